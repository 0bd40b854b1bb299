"""The guide's ``MonitorEscalamiento``: escalated tickets, alerts, acknowledgement, policies,
the dashboard's number and the demo rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.cli import ensure_demo_users
from plugins.escalamiento import service
from plugins.escalamiento.demo import cargar_demo
from plugins.escalamiento.models import Alerta, Regla
from plugins.escalamiento.schemas import ReglaIn
from plugins.tickets.models import Ticket
from tests.plugins.escalamiento.ayudas import REGLAS, Kit, ahora

pytestmark = pytest.mark.plugins("tickets", "escalamiento")

LEER = "/api/soporte/escalamiento/alertas/{}/leer/"


async def _escalar_en(kit: Kit, cuando_hace: timedelta, esperado: timedelta) -> int:
    """A ticket that had waited ``esperado`` when a pass ran ``cuando_hace`` ago; then an agent
    answered (its level stays, its clock stops)."""
    cuando = ahora() - cuando_hace
    ticket = await kit.ticket()
    await kit.esperando(ticket, cuando - esperado)
    assert await kit.pasada(cuando)
    await kit.responder(ticket, kit.agente, "Lo revisamos")
    return ticket


async def test_monitor_como_lo_lee_la_guia(kit: Kit) -> None:
    await kit.regla(tiempo_respuesta_maximo=1, niveles_escalamiento=3)
    antiguo = await _escalar_en(kit, timedelta(days=3, hours=4), timedelta(hours=1, minutes=30))
    alto = await _escalar_en(kit, timedelta(hours=2), timedelta(hours=3, minutes=10))
    cerrado = await _escalar_en(kit, timedelta(hours=1), timedelta(hours=2, minutes=5))
    reciente = await _escalar_en(kit, timedelta(minutes=45), timedelta(hours=1, minutes=10))
    r = await kit.soporte.patch(
        f"/api/soporte/tickets/{cerrado}/",
        json={"estado": "CERRADO"},
        headers=kit.soporte.auth(kit.agente),
    )
    assert r.status == 200
    await kit.ticket()  # never escalated

    data = await kit.monitor()
    filas = data["tickets_escalados"]
    assert [(f["id"], f["nivel_escalamiento"]) for f in filas] == [
        (alto, 3),
        (antiguo, 1),
        (reciente, 1),
    ]
    assert [f["tiempo_escalamiento"] for f in filas] == ["2 h", "3 d 4 h", "45 min"]
    primero = filas[0]
    ticket = await Ticket.get(id=alto)
    assert primero == {
        "id": alto,
        "numero": ticket.numero,
        "asunto": ticket.asunto,
        "prioridad": "ALTA",
        "estado": "EN_PROGRESO",
        "nivel_escalamiento": 3,
        "tiempo_escalamiento": "2 h",
        "fecha_escalamiento": primero["fecha_escalamiento"],
    }
    assert primero["fecha_escalamiento"].endswith("+00:00")

    alertas = data["alertas"]
    # Newest first; every alert unread; nivel is a CSS class.
    assert [a["ticket_id"] for a in alertas] == [
        reciente,
        cerrado,
        cerrado,
        alto,
        alto,
        alto,
        antiguo,
    ]
    assert [a["nivel"] for a in alertas[3:6]] == ["critica", "advertencia", "advertencia"]
    assert set(alertas[0]) == {"id", "nivel", "mensaje", "timestamp", "ticket_id", "leida"}
    assert not any(a["leida"] for a in alertas)
    assert ticket.numero in alertas[3]["mensaje"] and "nivel 3" in alertas[3]["mensaje"]
    assert alertas[0]["timestamp"] > alertas[1]["timestamp"]


async def test_un_nivel_puesto_fuera_del_plugin_tambien_se_lista(kit: Kit) -> None:
    ticket = await kit.ticket()
    await Ticket.filter(id=ticket).update(nivel_escalamiento=2)
    (fila,) = (await kit.monitor())["tickets_escalados"]
    assert (fila["id"], fila["fecha_escalamiento"], fila["tiempo_escalamiento"]) == (
        ticket,
        None,
        "",
    )


async def test_leer_una_alerta(kit: Kit) -> None:
    await kit.regla(niveles_escalamiento=2, tiempo_respuesta_maximo=1)
    await kit.ticket(esperando_hace=timedelta(hours=3))
    await kit.pasada()
    primera, segunda = (await kit.monitor())["alertas"]
    auth = kit.soporte.auth(kit.agente)
    r = await kit.soporte.post(LEER.format(primera["id"]), headers=auth)
    assert r.status == 200
    assert await r.json() == {**primera, "leida": True}
    assert [a["id"] for a in (await kit.monitor())["alertas"]] == [segunda["id"]]
    # Acknowledging twice is harmless; the first reader is kept.
    r = await kit.soporte.post(LEER.format(primera["id"]), headers=kit.soporte.auth(kit.admin))
    assert r.status == 200 and (await r.json())["leida"] is True
    alerta = await Alerta.get(id=primera["id"])
    assert alerta.leida_por_id == kit.agente.id and alerta.fecha_lectura is not None
    assert (await kit.soporte.post(LEER.format(999), headers=auth)).status == 404
    assert (await kit.soporte.post(LEER.format("x"), headers=auth)).status == 404


async def test_limites_del_monitor(kit: Kit) -> None:
    ticket = await kit.ticket()
    for i in range(55):
        await Alerta.create(nivel="info", mensaje=f"aviso {i}", timestamp=ahora(), ticket_id=ticket)
    alertas = (await kit.monitor())["alertas"]
    assert len(alertas) == 50 and alertas[0]["mensaje"] == "aviso 54"
    otros = [await kit.ticket() for _ in range(3)]
    await Ticket.filter(id__in=otros).update(nivel_escalamiento=1)
    assert len(await service.tickets_escalados(limite=2)) == 2


def test_formato_duracion() -> None:
    f = service.formato_duracion
    assert f(timedelta(seconds=20)) == "menos de 1 min"
    assert f(timedelta(minutes=45, seconds=59)) == "45 min"
    assert f(timedelta(hours=2, minutes=15)) == "2 h 15 min"
    assert f(timedelta(hours=2)) == "2 h"
    assert f(timedelta(days=3, hours=4, minutes=59)) == "3 d 4 h"
    assert f(timedelta(days=1)) == "1 d"
    assert f(timedelta(seconds=-5)) == "menos de 1 min"


async def test_el_panel_cuenta_los_tickets_escalados(kit: Kit) -> None:
    stats = "/api/soporte/dashboard/stats/"
    r = await kit.soporte.get(stats, headers=kit.soporte.auth(kit.agente))
    assert (await r.json())["tickets_escalados"] == 0
    await kit.regla(niveles_escalamiento=1)
    await kit.ticket(esperando_hace=timedelta(hours=3))
    await kit.ticket(esperando_hace=timedelta(hours=3))
    await kit.pasada()
    r = await kit.soporte.get(stats, headers=kit.soporte.auth(kit.agente))
    assert (await r.json())["tickets_escalados"] == 2


async def test_demo_idempotente_y_valida(kit: Kit) -> None:
    usuarios = await ensure_demo_users()
    await cargar_demo(usuarios)
    await cargar_demo(usuarios)
    (regla,) = await Regla.all()
    r = await kit.soporte.get(f"{REGLAS}{regla.id}/", headers=kit.soporte.auth(kit.admin))
    demo = await r.json()
    assert demo["horario"]["zona"] == "Europe/Madrid" and regla.total_niveles == 3
    # It is a rule the API itself would accept.
    campos = {k: demo[k] for k in ReglaIn.model_fields}
    ReglaIn.model_validate(campos)
