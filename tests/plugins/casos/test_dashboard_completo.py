"""The whole dashboard: the guide's four numbers from hand-made tickets, ratings and cases.

Tickets, agent replies, state changes and ratings go through the tickets HTTP API; only each
ticket's creation date is moved back first, so that the first agent reply (made through the
API right after) lands a known number of hours later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.auth.models import Rol
from plugins.tickets.models import Ticket
from tests.plugins.casos.ayudas import crear, poner_estado

STATS = "/api/soporte/dashboard/stats/"
TICKETS = "/api/soporte/tickets/"
CLAVES_TICKETS = {"tickets_abiertos", "tiempo_promedio_respuesta", "satisfaccion_promedio"}


class Mesa:
    """A customer, an agent and helpers to drive tickets through the API."""

    def __init__(self, soporte, cliente, agente) -> None:
        self.soporte, self.cliente, self.agente = soporte, cliente, agente

    async def ticket(self, asunto: str, creado_hace: timedelta | None = None) -> int:
        r = await self.soporte.post(
            TICKETS,
            json={
                "asunto": asunto,
                "categoria": "RESERVAS",
                "prioridad": "MEDIA",
                "descripcion": f"Detalle de {asunto}",
            },
            headers=self.soporte.auth(self.cliente),
        )
        assert r.status == 201, await r.text()
        ticket_id = (await r.json())["id"]
        if creado_hace is not None:
            creado = datetime.now(UTC) - creado_hace
            await Ticket.filter(id=ticket_id).update(fecha_creacion=creado)
        return ticket_id

    async def responder(self, ticket_id: int, autor) -> None:
        r = await self.soporte.post(
            f"{TICKETS}{ticket_id}/responder/",
            json={"mensaje": f"Respuesta de {autor.username}"},
            headers=self.soporte.auth(autor),
        )
        assert r.status == 201, await r.text()

    async def estado(self, ticket_id: int, estado: str) -> None:
        r = await self.soporte.patch(
            f"{TICKETS}{ticket_id}/",
            json={"estado": estado},
            headers=self.soporte.auth(self.agente),
        )
        assert r.status == 200, await r.text()

    async def valorar(self, ticket_id: int, puntuacion: int) -> None:
        r = await self.soporte.post(
            f"{TICKETS}{ticket_id}/valorar/",
            json={"puntuacion": puntuacion},
            headers=self.soporte.auth(self.cliente),
        )
        assert r.status == 200, await r.text()

    async def stats(self, query: str = "") -> dict:
        r = await self.soporte.get(STATS + query, headers=self.soporte.auth(self.agente))
        assert r.status == 200, await r.text()
        return await r.json()


@pytest.mark.plugins("tickets", "casos")
async def test_los_cuatro_numeros_de_la_guia(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    mesa = Mesa(soporte, lucia, ana)

    vacio = await mesa.stats()
    assert vacio == {
        "tickets_abiertos": 0,
        "tiempo_promedio_respuesta": 0,
        "satisfaccion_promedio": 0,
        "casos_criticos": 0,
    }

    # First agent replies after 2 h, 4 h and 52 h (recent tickets), and 960 h (40 days old).
    t2 = await mesa.ticket("dos horas", timedelta(hours=2))
    await mesa.responder(t2, lucia)  # the customer's own reply does not count
    await mesa.responder(t2, ana)
    await mesa.responder(t2, ana)  # only the first agent reply counts
    t4 = await mesa.ticket("cuatro horas", timedelta(hours=4))
    await mesa.responder(t4, ana)
    t52 = await mesa.ticket("cincuenta y dos horas", timedelta(hours=52))
    await mesa.responder(t52, ana)
    viejo = await mesa.ticket("cuarenta dias", timedelta(days=40))
    await mesa.responder(viejo, ana)
    await mesa.ticket("sin respuesta", timedelta(hours=30))  # stays ABIERTO
    cerrado = await mesa.ticket("cerrado sin respuesta")
    await mesa.estado(cerrado, "CERRADO")

    # Ratings: 5, 4 and 2 → two of three are 4 or 5.
    for ticket_id, puntuacion in ((t2, 5), (t4, 4), (t52, 2)):
        await mesa.estado(ticket_id, "RESUELTO")
        await mesa.valorar(ticket_id, puntuacion)

    # Cases: one open CRITICA, one CRITICA under investigation, others that do not count.
    await crear(soporte, lucia, urgencia="CRITICA")
    investigando = await crear(soporte, ana, urgencia="CRITICA")
    await poner_estado(investigando["id"], "EN_INVESTIGACION")
    resuelto = await crear(soporte, ana, urgencia="CRITICA")
    await poner_estado(resuelto["id"], "RESUELTO")
    await crear(soporte, lucia, urgencia="ALTA")

    # Open tickets: the 40-day-old one (EN_PROGRESO after the reply) and the unanswered one.
    assert await mesa.stats() == {
        "tickets_abiertos": 2,
        "tiempo_promedio_respuesta": 19.3,  # (2 + 4 + 52) / 3
        "satisfaccion_promedio": 66.7,  # 2 of 3 ratings
        "casos_criticos": 2,
    }
    assert (await mesa.stats("?dias=1"))["tiempo_promedio_respuesta"] == 3.0  # (2 + 4) / 2
    assert (await mesa.stats("?dias=60"))["tiempo_promedio_respuesta"] == 254.5  # +960 h
    # The period bounds only the response time; counts and CSAT are the same for any period.
    for query in ("?dias=1", "?dias=60"):
        otros = await mesa.stats(query)
        assert (otros["tickets_abiertos"], otros["satisfaccion_promedio"]) == (2, 66.7)
        assert otros["casos_criticos"] == 2

    # A second rating replaces the first; a reopened ticket is open again.
    await mesa.valorar(t52, 5)
    await mesa.responder(t4, lucia)  # the customer writes on a RESUELTO ticket: reopened
    numeros = await mesa.stats()
    assert numeros["satisfaccion_promedio"] == 100
    assert numeros["tickets_abiertos"] == 3
    await mesa.valorar(t2, 1)
    assert (await mesa.stats())["satisfaccion_promedio"] == 66.7

    # What DashboardSoporte does: the stats, then the recent tickets and the urgent cases.
    headers = soporte.auth(ana)
    stats = await (await soporte.get(STATS, headers=headers)).json()
    assert {"tickets_abiertos", "tiempo_promedio_respuesta", "satisfaccion_promedio"} <= set(stats)
    assert "casos_criticos" in stats
    recientes = await (await soporte.get(f"{TICKETS}recientes/", headers=headers)).json()
    assert isinstance(recientes, list) and recientes
    for ticket in recientes:
        assert ticket["id"] and ticket["numero"] and ticket["asunto"]
        assert ticket["estado"] in ("ABIERTO", "EN_PROGRESO", "RESUELTO", "CERRADO")
    urgentes = await (await soporte.get("/api/soporte/casos/urgentes/", headers=headers)).json()
    assert [c["urgencia"].lower() for c in urgentes] == ["critica", "critica", "alta"]
    assert all(c["titulo"] and c["id"] for c in urgentes)


@pytest.mark.plugins("tickets")
async def test_sin_casos_no_hay_casos_criticos(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    lucia = await soporte.usuario("lucia")
    mesa = Mesa(soporte, lucia, ana)
    ticket = await mesa.ticket("una hora", timedelta(hours=1))
    await mesa.responder(ticket, ana)
    stats = await mesa.stats()
    assert set(stats) == CLAVES_TICKETS
    assert stats == {
        "tickets_abiertos": 1,
        "tiempo_promedio_respuesta": 1.0,
        "satisfaccion_promedio": 0,
    }
    r = await soporte.get("/api/soporte/casos/urgentes/", headers=soporte.auth(ana))
    assert r.status == 404  # the casos plugin is off: its routes do not exist


async def test_todos_los_plugins_dan_las_cuatro_claves_en_cero(make_app, aiohttp_client):
    from core import keys
    from core.db import activate
    from core.testing import SoporteClient

    app = make_app(plugins=None)  # every installed plugin
    client = SoporteClient(await aiohttp_client(app), app)
    with activate(app[keys.DB].ctx):
        ana = await client.usuario("ana", Rol.AGENTE)
        r = await client.get(STATS, headers=client.auth(ana))
        assert r.status == 200, await r.text()
        stats = await r.json()
    guia = {**dict.fromkeys(CLAVES_TICKETS, 0), "casos_criticos": 0}
    assert {k: stats[k] for k in guia} == guia
    assert all(v == 0 for v in stats.values())
