"""No N+1: the SQL statements of a list or detail do not grow with tickets, replies or files."""

from __future__ import annotations

import pytest

from core import keys
from core.auth.models import Rol
from plugins.tickets import service
from plugins.tickets.service import Categoria, Estado, Ticket, Valoracion
from tests.plugins.tickets.conftest import adjuntar, contar_consultas

pytestmark = pytest.mark.plugins("tickets")


async def poblar(soporte, n: int):
    """``n`` tickets of several customers, each with a file, an agent and a rating."""
    bus = soporte.app[keys.EVENTS]
    carla = await soporte.usuario(f"carla{n}", Rol.AGENTE)
    clientes = [await soporte.usuario(f"c{n}_{i}") for i in range(3)]
    tickets = []
    for i in range(n):
        cliente = clientes[i % 3]
        ticket = await service.crear_ticket(
            bus, cliente, asunto=f"T{i}", descripcion="d", categoria=Categoria.PAGOS
        )
        await adjuntar(cliente, ticket.id)
        await service.actualizar(
            bus, ticket, carla, {"agente_asignado": carla.id, "estado": Estado.RESUELTO}
        )
        await Valoracion.create(ticket=ticket, puntuacion=5)
        tickets.append(ticket)
    return carla, clientes[0], tickets


async def consultas_de(soporte, usuario, url: str, **params) -> int:
    with contar_consultas() as sentencias:
        r = await soporte.get(url, headers=soporte.auth(usuario), params=params)
        assert r.status == 200, await r.text()
        await r.read()
    return len(sentencias)


@pytest.mark.parametrize(
    ("url", "params", "quien", "esperadas"),
    [
        # The lists as the guide opens them (plugins.tickets.lectura): token, count, the page
        # joined with customer, agent, team and rating, files; the agents' add the tags.
        ("/api/soporte/tickets/", {"size": 100}, "agente", (5, 5)),
        ("/api/soporte/mis-tickets/", {"size": 100}, "cliente", (4, 4)),
        # Through the ORM: token, (count, ids), tickets, files, ratings, (tags).
        ("/api/soporte/tickets/", {"size": 100, "ordering": "-prioridad,estado"}, "agente", (5, 7)),
        ("/api/soporte/tickets/recientes/", {}, "agente", (5, 7)),
    ],
)
async def test_listas_con_consultas_constantes(soporte, url, params, quien, esperadas):
    agente, cliente, _ = await poblar(soporte, 3)
    pocas = await consultas_de(soporte, agente if quien == "agente" else cliente, url, **params)
    await Ticket.all().delete()
    agente, cliente, _ = await poblar(soporte, 30)
    muchas = await consultas_de(soporte, agente if quien == "agente" else cliente, url, **params)
    assert pocas == muchas, (pocas, muchas)
    assert esperadas[0] <= muchas <= esperadas[1], muchas


async def test_detalle_con_consultas_constantes(soporte):
    bus = soporte.app[keys.EVENTS]
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    medidas = []
    for n in (3, 30):
        ticket = await service.crear_ticket(
            bus, lucia, asunto="Larga", descripcion="d", categoria=Categoria.TECNICO
        )
        await adjuntar(lucia, ticket.id)
        for i in range(n):
            autor = carla if i % 2 else lucia
            respuesta = await service.responder(bus, ticket, autor, f"mensaje {i}")
            await adjuntar(autor, ticket.id, respuesta.id)
        url = f"/api/soporte/tickets/{ticket.id}/"
        medidas.append(await consultas_de(soporte, lucia, url))
        medidas.append(await consultas_de(soporte, carla, url))
    # token, the ticket joined with its people, team and rating, files, replies with their
    # authors (plugins.tickets.lectura); an agent's adds the tags (customers never see them)
    assert medidas == [4, 5, 4, 5], medidas


async def test_una_respuesta_en_pocas_entregas_a_sqlite(soporte, monkeypatch):
    """An agent's reply through ``/responder/``: on SQLite the reply's row and the ticket's
    change go in one hand-off to aiosqlite's thread, the search index's two statements with
    the ``COMMIT``, ``BEGIN`` in one: ``BEGIN``, the lock, reply + ticket, index + ``COMMIT``
    (it was eight: ``BEGIN`` two, then one per statement) — plus the token's read on an
    in-memory database (a file has a read connection of its own). The rows are the same, the
    search finds the reply's words."""
    from tests.core.test_db_juntas import contar_entregas

    bus = soporte.app[keys.EVENTS]
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await service.crear_ticket(
        bus, lucia, asunto="Factura", descripcion="d", categoria=Categoria.PAGOS
    )
    sqlite = ticket._meta.db.capabilities.dialect == "sqlite"
    # A first reply moves the ticket to EN_PROGRESO (a history row more): the steady case, what
    # every later reply costs, is the second.
    await service.responder(bus, ticket.id, carla, "Primera respuesta")
    with contar_entregas(monkeypatch) as entregas, contar_consultas() as sentencias:
        r = await soporte.post(
            f"/api/soporte/tickets/{ticket.id}/responder/",
            headers=soporte.auth(carla),
            json={"mensaje": "Revisado el cobro duplicado"},
        )
        assert r.status == 201, await r.text()
    if sqlite:
        lectura_token = 1 if soporte.app[keys.DB].reader is None else 0
        assert entregas[0] == 4 + lectura_token, (entregas[0], sentencias)
    actual = await Ticket.get(id=ticket.id)
    assert actual.estado == Estado.EN_PROGRESO
    assert actual.primera_respuesta_agente is not None
    assert actual.primera_respuesta_agente < actual.fecha_actualizacion
    assert actual.esperando_desde is None
    respuesta = await service.Respuesta.filter(ticket_id=ticket.id).order_by("-id").first()
    assert respuesta is not None
    assert (respuesta.mensaje, respuesta.autor_id, respuesta.interna) == (
        "Revisado el cobro duplicado",
        carla.id,
        False,
    )
    assert respuesta.fecha_creacion == actual.fecha_actualizacion
    assert (await r.json())["id"] == respuesta.id
    r = await soporte.get(
        "/api/soporte/tickets/", headers=soporte.auth(carla), params={"q": "duplicado"}
    )
    assert [t["id"] for t in (await r.json())["results"]] == [ticket.id]


async def test_la_respuesta_de_la_api_lee_el_ticket_una_vez_y_sigue_protegida(soporte):
    """``tickets.api.responder`` (the chat's every message) checks visibility on the row the
    reply locks: the ticket is read once (it was read and checked first, then again under the
    lock), and someone who may not see it still gets a 404 with nothing stored."""
    from core.api.errors import NotFound
    from plugins.tickets import api as tickets_api

    bus = soporte.app[keys.EVENTS]
    lucia = await soporte.usuario("lucia")
    otro = await soporte.usuario("otro")
    ticket = await service.crear_ticket(
        bus, lucia, asunto="Factura", descripcion="d", categoria=Categoria.PAGOS
    )
    with contar_consultas() as sentencias:
        vista = await tickets_api.responder(bus, lucia, ticket.id, "¿Alguna novedad?")
    lecturas = [s for s in sentencias if s.startswith("SELECT") and '"tickets_ticket"' in s]
    assert len(lecturas) == 1, lecturas
    assert vista.mensaje == "¿Alguna novedad?" and vista.autor_id == lucia.id
    with pytest.raises(NotFound):
        await tickets_api.responder(bus, otro, ticket.id, "No es mío")
    assert await service.Respuesta.filter(ticket_id=ticket.id).count() == 1
