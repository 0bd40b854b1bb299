"""The tickets' contribution to GET /api/soporte/dashboard/stats/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.auth.models import Rol
from plugins.tickets.service import ESTADOS_ABIERTOS, Ticket, Valoracion
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


async def test_el_tiempo_medio_suma_la_hora_parcial_las_horas_y_los_dias(soporte):
    """The mean first-answer time since ``desde`` (now − ``dias``) reads the first, partial
    hour from the tickets, the rest of that UTC day from the hour totals and later days from
    the day totals: each ticket below lands in one of them (or before ``desde``), and the mean
    is the one computed from the tickets themselves."""
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ahora = datetime.now(UTC)
    desde = ahora - timedelta(days=3)
    siguiente_hora = desde.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    momentos = [
        desde - timedelta(minutes=1),  # before the period: not counted
        desde + timedelta(seconds=1),  # the partial hour
        siguiente_hora,  # the first whole hour
        siguiente_hora + timedelta(hours=1, minutes=30),
        ahora - timedelta(days=1),  # a later day
        ahora,
    ]
    for i, momento in enumerate(momentos):
        t = await crear(soporte, lucia, asunto=f"T{i}")
        await Ticket.filter(id=t["id"]).update(
            fecha_creacion=momento, segundos_primera_respuesta=3600 * (i + 1)
        )
    r = await soporte.get(STATS, headers=soporte.auth(carla), params={"dias": 3})
    contados = [3600 * (i + 1) for i, m in enumerate(momentos) if m >= desde]
    # ``desde`` is computed again by the server a moment later: the first ticket stays out.
    assert (await r.json())["tiempo_promedio_respuesta"] == round(
        sum(contados) / len(contados) / 3600, 1
    )


async def test_los_escalados_salen_de_los_totales_y_son_exactos(soporte):
    """``api.contar`` of open escalated tickets (the dashboard's ``tickets_escalados``) reads
    the ``e|`` totals, which the triggers keep equal to a ``COUNT`` through escalations, moves
    of state, category and priority, and deletions; the start-up check rebuilds them."""
    from tortoise.connection import connections

    from plugins.tickets import agregados, api

    lucia = await soporte.usuario("lucia")
    tickets = [(await crear(soporte, lucia, asunto=f"T{i}"))["id"] for i in range(6)]
    criterios = [
        api.Criterios(nivel_minimo=1),
        api.Criterios(nivel_minimo=1, estados=None),
        api.Criterios(nivel_minimo=1, prioridades=["ALTA"]),
        api.Criterios(nivel_minimo=1, estados=[]),
        api.Criterios(estados=["CERRADO"], categorias=["PAGOS", "TECNICO"]),
    ]

    async def comprobar() -> None:
        for c in criterios:
            assert await api.contar(c) == await api._consulta(c).count(), c
        # The totals themselves (what contar reads for the first three).
        claves = agregados.claves_tickets(ESTADOS_ABIERTOS, escalados=True)
        assert api._claves_del_total(criterios[0]) == claves
        abiertos = api._consulta(criterios[0])
        assert await agregados.contar_claves(claves) == await abiertos.count()

    await comprobar()
    await Ticket.filter(id__in=tickets[:4]).update(nivel_escalamiento=1)
    await Ticket.filter(id=tickets[0]).update(nivel_escalamiento=3)
    await Ticket.filter(id=tickets[1]).update(estado="CERRADO")
    await Ticket.filter(id=tickets[2]).update(prioridad="BAJA", categoria="TECNICO")
    await Ticket.filter(id=tickets[3]).delete()
    await comprobar()
    assert await api.contar(api.Criterios(nivel_minimo=1)) == 2
    conn = connections.get("default")
    await conn.execute_query("DELETE FROM tickets_agregado WHERE clave LIKE 'e|%'")
    await agregados.preparar()
    await comprobar()
