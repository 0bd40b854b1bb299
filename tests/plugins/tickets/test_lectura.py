"""The hand-written reads (plugins/tickets/lectura.py) answer byte for byte what the models do.

Each test fills one database with what the objects show — files on tickets and replies,
ratings, teams, assigned agents, tags, internal notes, a customer without a name, non-ASCII
text — and compares the JSON of the fast path with the JSON the response models give for the
same tickets (the ORM path: ``service.cargar_tickets`` and the ``schemas`` builders), on the
in-memory database (statements through the ORM's connection, or PostgreSQL) and on a SQLite
file (the read connection, one hand-off). Signed links carry a timestamp, so each ``url`` is
compared by what it signs.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from core import keys
from core.api import SearchPage
from core.api.routing import adapter_for
from core.auth.models import Equipo, Rol
from plugins.tickets import lectura, service
from plugins.tickets.schemas import TicketDetalle, TicketEnLista, ticket_detalle, ticket_en_lista
from plugins.tickets.service import Categoria, Estado, Ticket, Valoracion
from tests.plugins.tickets.conftest import adjuntar

if TYPE_CHECKING:
    from pathlib import Path

    from core.testing import SoporteClient

pytestmark = pytest.mark.plugins("tickets")


async def _poblar(soporte: SoporteClient) -> tuple[Any, Any, list[int]]:
    """Tickets with everything their objects can show; returns (agent, customer, ids)."""
    bus = soporte.app[keys.EVENTS]
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz «Soporte»")
    lucia = await soporte.usuario("lucia", nombre="")  # no name: the username is shown
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    await pagos.miembros.add(carla)
    ids = []
    for i, categoria in enumerate([Categoria.PAGOS, Categoria.TECNICO, Categoria.GENERAL]):
        ticket = await service.crear_ticket(
            bus,
            lucia,
            asunto=f"No puedo pagar — intento {i} ✓",
            descripcion="El cargo aparece «rechazado».\nSegunda línea.",
            categoria=categoria,
            reserva_relacionada=4000 + i if i != 1 else None,
        )
        ids.append(ticket.id)
        if i != 2:
            await adjuntar(lucia, ticket.id, nombre="factura ñandú.png")
            respuesta = await service.responder(bus, ticket, carla, f"Respuesta {i} 😀")
            await adjuntar(carla, ticket.id, respuesta.id)
            await service.responder(bus, ticket, carla, "Nota interna", interna=True)
            await service.actualizar(
                bus,
                ticket,
                carla,
                {
                    "agente_asignado": carla.id,
                    "estado": Estado.RESUELTO,
                    "etiquetas": ["VIP", "Ágil"],
                },
            )
            await Valoracion.create(ticket=ticket, puntuacion=4, comentario="Bien, gracias")
    assert (await service.cargar_tickets([ids[0]]))[0].ticket.equipo_id == pagos.id
    return carla, lucia, ids


_URL = re.compile(rb'"url":"([^"]*)"')


def _sin_firmas(soporte: SoporteClient, cuerpo: bytes) -> bytes:
    """``cuerpo`` with each signed link replaced by what it signs (the key of its file)."""
    storage = soporte.app[keys.STORAGE]

    def firmado(m: re.Match[bytes]) -> bytes:
        token = m.group(1).decode().rstrip("/").rsplit("/", 1)[-1]
        return b'"url":' + json.dumps(storage.verify(token)["k"]).encode()

    return _URL.sub(firmado, cuerpo)


async def _cuerpo(soporte: SoporteClient, usuario: Any, url: str, **params: Any) -> bytes:
    """The body of a 200 answer to ``GET url`` by ``usuario``."""
    r = await soporte.get(url, headers=soporte.auth(usuario), params=params)
    assert r.status == 200, await r.text()
    return await r.read()


def _url(soporte: SoporteClient) -> Any:
    storage = soporte.app[keys.STORAGE]
    return lambda a: storage.links("http://127.0.0.1", a.clave, a.nombre, a.tipo)


@pytest.fixture(params=["agente", "cliente"])
async def lector(request: pytest.FixtureRequest, soporte: SoporteClient) -> tuple[Any, list[int]]:
    """The filled database (:func:`_poblar`) and who reads it: the agent, or the customer."""
    carla, lucia, ids = await _poblar(soporte)
    return (carla if request.param == "agente" else lucia), ids


class TestConLaConexionDelOrm:
    """On the test database (in-memory SQLite, or PostgreSQL): statement by statement through
    the ORM's connection."""

    async def test_la_lista_rapida_es_la_de_los_modelos(
        self, soporte: SoporteClient, lector: tuple[Any, list[int]]
    ) -> None:
        usuario, ids = lector
        url = "/api/soporte/tickets/" if usuario.es_agente else "/api/soporte/mis-tickets/"
        cuerpo = await _cuerpo(soporte, usuario, url, size=2, page=1)
        # What paginate and the models give for the same page (newest first: the last two).
        pagina = list(reversed(ids))[:2]
        vistas = await service.cargar_tickets(pagina, con_etiquetas=usuario.es_agente)
        enlaces = _url(soporte)
        modelos = SearchPage[TicketEnLista](
            count=3,
            next=json.loads(cuerpo)["next"],
            previous=None,
            results=[ticket_en_lista(v, enlaces) for v in vistas],
        )
        esperado = adapter_for(SearchPage[TicketEnLista]).dump_json(modelos)
        assert _sin_firmas(soporte, cuerpo) == _sin_firmas(soporte, esperado)
        assert json.loads(cuerpo)["next"].endswith(f"{url}?size=2&page=2")
        if usuario.es_agente:
            assert [t["etiquetas"] for t in json.loads(cuerpo)["results"]] == [[], ["Ágil", "VIP"]]

    async def test_el_detalle_rapido_es_el_de_los_modelos(
        self, soporte: SoporteClient, lector: tuple[Any, list[int]]
    ) -> None:
        usuario, ids = lector
        for ticket_id in ids:
            cuerpo = await _cuerpo(soporte, usuario, f"/api/soporte/tickets/{ticket_id}/")
            [vista] = await service.cargar_tickets(
                [ticket_id], con_respuestas=True, para=usuario, con_etiquetas=usuario.es_agente
            )
            esperado = adapter_for(TicketDetalle).dump_json(ticket_detalle(vista, _url(soporte)))
            assert _sin_firmas(soporte, cuerpo) == _sin_firmas(soporte, esperado)
            notas = [m for m in json.loads(cuerpo)["respuestas"] if m["interna"]]
            assert bool(notas) == (usuario.es_agente and ticket_id != ids[2])

    async def test_el_detalle_de_otro_cliente_es_404(self, soporte: SoporteClient) -> None:
        _, _, ids = await _poblar(soporte)
        otro = await soporte.usuario("otro")
        for ticket_id in (ids[0], 999_999):
            r = await soporte.get(f"/api/soporte/tickets/{ticket_id}/", headers=soporte.auth(otro))
            assert r.status == 404


class TestConLaConexionDeLectura(TestConLaConexionDelOrm):
    """On a SQLite file: every statement of a read in one hand-off to the read connection."""

    @pytest.fixture
    def soporte_database_url(self, tmp_path: Path) -> str:
        """A SQLite file (the read connection exists only for files), whatever the test
        database."""
        return f"sqlite://{tmp_path}/lectura.db"

    async def test_lee_por_la_conexion_de_lectura(self, soporte: SoporteClient) -> None:
        assert soporte.app[keys.DB].reader is not None


async def _repartidos(soporte: SoporteClient) -> tuple[Any, list[int]]:
    """An agent and 23 tickets spread over four UTC days and several hours — two created at
    the same instant, one exactly on the hour, one in the future, one deleted — newest first
    as the list orders them (``fecha_creacion``, then id)."""
    bus = soporte.app[keys.EVENTS]
    carla = await soporte.usuario("carla", Rol.AGENTE)
    lucia = await soporte.usuario("lucia")
    base = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    momentos = [base + timedelta(days=d, hours=h, minutes=m) for d, h, m in (
        (0, 0, 0), (0, 0, 0), (0, 0, 30), (0, 1, 5), (0, 1, 59), (0, 14, 0), (1, 0, 0),
        (1, 0, 1), (1, 2, 0), (1, 2, 0), (1, 2, 0), (1, 23, 59), (2, 5, 0), (2, 5, 10),
        (2, 6, 0), (3, 0, 0), (3, 0, 0), (3, 1, 0), (3, 7, 45), (3, 8, 0), (3, 8, 1),
        (400, 0, 0), (0, 3, 0),
    )]  # fmt: skip
    ids = []
    for i, momento in enumerate(momentos):
        ticket = await service.crear_ticket(
            bus, lucia, asunto=f"T{i}", descripcion="x", categoria=Categoria.GENERAL
        )
        await Ticket.filter(id=ticket.id).update(fecha_creacion=momento)  # the triggers move it
        ids.append(ticket.id)
    await Ticket.filter(id=ids.pop()).delete()
    orden = await Ticket.all().order_by("-fecha_creacion", "-id").values_list("id", flat=True)
    return carla, list(orden)


class TestPaginasProfundas:
    """A deep page of every ticket starts at the hour holding it (the per-day and per-hour
    totals) instead of ``OFFSET``: every page is the one ``OFFSET`` gives, byte for byte — on
    the test database (the ORM's connection, or PostgreSQL)."""

    async def test_cada_pagina_es_la_del_offset(
        self, soporte: SoporteClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        carla, orden = await _repartidos(soporte)
        url = "/api/soporte/tickets/"
        for size in (1, 3, 5):
            paginas = range(1, len(orden) // size + 3)  # two past the end
            monkeypatch.setattr(lectura, "SALTO_DESDE", 10**9)  # always OFFSET
            por_offset = [await _cuerpo(soporte, carla, url, size=size, page=p) for p in paginas]
            monkeypatch.setattr(lectura, "SALTO_DESDE", 0)  # always from the totals
            for p, esperado in zip(paginas, por_offset, strict=True):
                cuerpo = await _cuerpo(soporte, carla, url, size=size, page=p)
                assert _sin_firmas(soporte, cuerpo) == _sin_firmas(soporte, esperado), (size, p)
                ids = [t["id"] for t in json.loads(cuerpo)["results"]]
                assert ids == orden[(p - 1) * size : p * size], (size, p)

    async def test_un_filtro_sigue_por_offset(
        self, soporte: SoporteClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        carla, orden = await _repartidos(soporte)
        await Ticket.filter(id__in=orden[::2]).update(estado=Estado.EN_PROGRESO)
        monkeypatch.setattr(lectura, "SALTO_DESDE", 0)
        cuerpo = await _cuerpo(
            soporte, carla, "/api/soporte/tickets/", size=2, page=3, estado="EN_PROGRESO"
        )
        assert [t["id"] for t in json.loads(cuerpo)["results"]] == orden[::2][4:6]


class TestPaginasProfundasConLaConexionDeLectura(TestPaginasProfundas):
    """The same on a SQLite file: the read connection, one hand-off."""

    @pytest.fixture
    def soporte_database_url(self, tmp_path: Path) -> str:
        """A SQLite file, whatever the test database."""
        return f"sqlite://{tmp_path}/lectura.db"
