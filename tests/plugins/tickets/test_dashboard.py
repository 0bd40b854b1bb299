"""The tickets' contribution to GET /api/soporte/dashboard/stats/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.auth.models import Rol
from plugins.tickets.service import Ticket, Valoracion
from tests.plugins.tickets.conftest import crear

pytestmark = pytest.mark.plugins("tickets")

STATS = "/api/soporte/dashboard/stats/"


async def test_ceros_en_una_base_vacia(soporte):
    carla = await soporte.usuario("carla", Rol.AGENTE)
    r = await soporte.get(STATS, headers=soporte.auth(carla))
    assert r.status == 200
    assert await r.json() == {
        "tickets_abiertos": 0,
        "tiempo_promedio_respuesta": 0,
        "satisfaccion_promedio": 0,
    }
    assert '"tiempo_promedio_respuesta":0,' in await r.text()  # a plain 0: not null, not 0.0


async def test_numeros_del_dashboard(soporte):
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    tickets = [await crear(soporte, lucia, asunto=f"T{i}") for i in range(6)]
    ahora = datetime.now(UTC)

    async def fijar(i: int, estado: str, segundos: int | None, dias: int = 1) -> None:
        await Ticket.filter(id=tickets[i]["id"]).update(
            estado=estado,
            segundos_primera_respuesta=segundos,
            fecha_creacion=ahora - timedelta(days=dias),
        )

    await fijar(0, "ABIERTO", None)
    await fijar(1, "EN_PROGRESO", 3600)
    await fijar(2, "RESUELTO", 7200)
    await fijar(3, "CERRADO", 3 * 3600)
    await fijar(4, "CERRADO", 37800, dias=40)  # 10.5 h, outside the default 30 days
    await fijar(5, "ABIERTO", None, dias=40)
    for i, puntuacion in ((2, 5), (3, 4), (4, 2)):
        await Valoracion.create(ticket_id=tickets[i]["id"], puntuacion=puntuacion)
    r = await soporte.get(STATS, headers=soporte.auth(carla))
    assert await r.json() == {
        "tickets_abiertos": 3,  # ABIERTO + EN_PROGRESO, of any age
        "tiempo_promedio_respuesta": 2.0,  # (1 h + 2 h + 3 h) / 3
        "satisfaccion_promedio": 66.7,  # 2 of 3 ratings are 4 or 5
    }
    r = await soporte.get(STATS, headers=soporte.auth(carla), params={"dias": 60})
    assert (await r.json())["tiempo_promedio_respuesta"] == 4.1  # (1+2+3+10.5) / 4 = 4.125


async def test_el_tiempo_sale_de_respuestas_reales(soporte):
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear(soporte, lucia)
    await Ticket.filter(id=ticket["id"]).update(
        fecha_creacion=datetime.now(UTC) - timedelta(hours=5)
    )
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        headers=soporte.auth(carla),
        json={"mensaje": "Perdón por la espera"},
    )
    assert r.status == 201
    r = await soporte.get(STATS, headers=soporte.auth(carla))
    assert (await r.json())["tiempo_promedio_respuesta"] == 5.0


async def test_solo_agentes(soporte):
    lucia = await soporte.usuario("lucia")
    assert (await soporte.get(STATS, headers=soporte.auth(lucia))).status == 403


@pytest.mark.plugins()  # the core alone
async def test_sin_el_plugin_no_hay_claves_de_tickets(soporte):
    carla = await soporte.usuario("carla", Rol.AGENTE)
    stats = await (await soporte.get(STATS, headers=soporte.auth(carla))).json()
    assert "tickets_abiertos" not in stats and "satisfaccion_promedio" not in stats
