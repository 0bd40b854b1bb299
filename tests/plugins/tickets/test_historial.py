"""The tickets' change history: every change recorded in its own transaction, with the channel
and the author it came from, and ``GET …/historial/`` (agents everything, the customer the
public timeline, anyone else a 404)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from core import keys
from core.api.errors import Conflict
from core.auth.models import Rol, Usuario
from core.events import Listener, current_connection
from core.history import record
from core.history_models import Cambio
from core.reply_address import reply_address
from plugins.tickets.events import TicketActualizado
from tests.plugins.correo.ayudas import arrancar as arrancar_correo
from tests.plugins.correo.ayudas import correo, entregar
from tests.plugins.escalamiento.conftest import kit_de
from tests.plugins.tickets.conftest import crear

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SoporteClient


def ruta(ticket_id: int) -> str:
    return f"/api/soporte/tickets/{ticket_id}/historial/"


async def historial(
    soporte: SoporteClient, usuario: Usuario, ticket_id: int, **query: Any
) -> dict[str, Any]:
    """``GET …/historial/`` as ``usuario``; the page (asserting a 200)."""
    r = await soporte.get(ruta(ticket_id), headers=soporte.auth(usuario), params=query)
    assert r.status == 200, await r.text()
    pagina: dict[str, Any] = await r.json()
    return pagina


def resumen(pagina: dict[str, Any]) -> list[tuple[Any, ...]]:
    """``(campo, anterior, nuevo, autor id, canal)`` of each entry."""
    return [
        (c["campo"], c["anterior"], c["nuevo"], c["autor"] and c["autor"]["id"], c["canal"])
        for c in pagina["results"]
    ]


@pytest.mark.plugins("tickets")
async def test_a_patch_and_a_reply_are_recorded_with_author_and_channel(
    soporte: SoporteClient,
) -> None:
    cliente = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    otro = await soporte.usuario("pablo", Rol.AGENTE, nombre="Pablo Gil")
    ticket = await crear(soporte, cliente)
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket['id']}/",
        json={"prioridad": "BAJA", "agente_asignado": otro.id},
        headers=soporte.auth(agente),
    )
    assert r.status == 200, await r.text()
    # An agent's reply moves ABIERTO → EN_PROGRESO: the state machine's change, by the author.
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        json={"mensaje": "Lo reviso"},
        headers=soporte.auth(otro),
    )
    assert r.status == 201, await r.text()

    pagina = await historial(soporte, agente, ticket["id"])
    assert resumen(pagina) == [
        ("creado", None, "ABIERTO", cliente.id, "API"),
        ("prioridad", "ALTA", "BAJA", agente.id, "API"),
        ("agente_asignado", None, otro.id, agente.id, "API"),
        ("estado", "ABIERTO", "EN_PROGRESO", otro.id, "API"),
    ]
    asignacion = pagina["results"][2]
    assert asignacion["nuevo_nombre"] == "Pablo Gil" and asignacion["anterior_nombre"] is None
    assert asignacion["autor"] == {"id": agente.id, "nombre": "Carla Ruiz"}
    assert all(c["fecha"].endswith("+00:00") for c in pagina["results"])
    assert pagina["count"] == 4 and pagina["next"] is None


@pytest.mark.plugins("tickets")
async def test_a_change_whose_transaction_fails_leaves_no_history(
    soporte: SoporteClient,
) -> None:
    cliente = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear(soporte, cliente)

    vistos: list[int] = []

    async def veto(evento: TicketActualizado) -> None:
        # Inside the change's transaction its history row is already there...
        conn = current_connection()
        vistos.append(await Cambio.filter(campo="estado").using_db(conn).count())
        raise Conflict("Vetado por un plugin.")

    bus = soporte.app[keys.EVENTS]
    # Subscribed after the history's listener: its row is written, then rolled back.
    oyente = Listener(TicketActualizado, veto, "in_transaction")
    bus.subscribe(oyente)
    try:
        r = await soporte.patch(
            f"/api/soporte/tickets/{ticket['id']}/",
            json={"estado": "RESUELTO"},
            headers=soporte.auth(agente),
        )
        assert r.status == 409
    finally:
        bus.unsubscribe(oyente)
    # ... and it is rolled back with the change.
    assert vistos == [1]
    assert await Cambio.filter(campo="estado").count() == 0
    assert [c["campo"] for c in (await historial(soporte, agente, ticket["id"]))["results"]] == [
        "creado"
    ]


@pytest.mark.plugins("tickets", "escalamiento")
async def test_an_escalation_level_is_a_system_change_the_customer_does_not_see(
    soporte: SoporteClient,
) -> None:
    kit = await kit_de(soporte)
    await kit.regla(tiempo_respuesta_maximo=1, niveles_escalamiento=1)
    ticket_id = await kit.ticket("ALTA", esperando_hace=timedelta(hours=2))
    assert len(await kit.pasada()) == 1

    todo = await historial(soporte, kit.agente, ticket_id)
    assert resumen(todo)[-1] == ("nivel_escalamiento", 0, 1, None, "SISTEMA")
    assert todo["results"][-1]["publico"] is False
    # The customer's timeline: their ticket's creation only.
    publico = await historial(soporte, kit.cliente, ticket_id)
    assert [c["campo"] for c in publico["results"]] == ["creado"]
    assert publico["count"] == 1


@pytest.mark.plugins("tickets", "chat")
async def test_a_reply_in_the_chat_records_its_change_as_chat(soporte: SoporteClient) -> None:
    cliente = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear(soporte, cliente)
    ws = await soporte.ws(f"/ws/soporte/ticket/{ticket['id']}/", agente)
    await soporte.recibir(ws, "connection_status")
    await ws.send_str(json.dumps({"tipo": "mensaje", "mensaje": "Hola, lo miro"}))
    await soporte.recibir(ws, "mensaje")  # stored (and its transaction committed)
    await ws.close()
    assert resumen(await historial(soporte, agente, ticket["id"]))[-1] == (
        "estado",
        "ABIERTO",
        "EN_PROGRESO",
        agente.id,
        "CHAT",
    )


async def test_a_ticket_and_a_reply_by_mail_are_recorded_as_mail(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    soporte = await arrancar_correo(start_app)
    carla = await soporte.usuario("carla", Rol.AGENTE)
    fila = await entregar(soporte, correo())
    assert fila.ticket_id is not None
    numero = f"TK-{fila.ticket_id:06d}"
    await entregar(
        soporte,
        correo(
            de="Carla <carla@example.test>",
            para=reply_address(soporte.app, numero),
            cuerpo="Lo miro ya.",
        ),
    )
    ana = await Usuario.get(email="ana@cliente.test")
    assert resumen(await historial(soporte, carla, fila.ticket_id)) == [
        ("creado", None, "ABIERTO", ana.id, "CORREO"),
        ("estado", "ABIERTO", "EN_PROGRESO", carla.id, "CORREO"),
    ]


@pytest.mark.plugins("tickets")
async def test_the_customer_sees_the_public_timeline_and_others_get_404(
    soporte: SoporteClient,
) -> None:
    cliente = await soporte.usuario("lucia")
    extrano = await soporte.usuario("eva")
    agente = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear(soporte, cliente)
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket['id']}/",
        json={"estado": "EN_PROGRESO", "categoria": "TECNICO", "agente_asignado": agente.id},
        headers=soporte.auth(agente),
    )
    assert r.status == 200, await r.text()
    # Tickets alone record nothing internal through a PATCH: a team change, as teams will.
    await record(
        None,
        entidad="ticket",
        entidad_id=ticket["id"],
        cambios={"equipo": [None, 1]},
        autor_id=agente.id,
        canal="API",
    )
    publico = await historial(soporte, cliente, ticket["id"])
    assert [c["campo"] for c in publico["results"]] == [
        "creado",
        "estado",
        "categoria",
        "agente_asignado",
    ]
    assert len((await historial(soporte, agente, ticket["id"]))["results"]) == 5
    r = await soporte.get(ruta(ticket["id"]), headers=soporte.auth(extrano))
    assert r.status == 404
    r = await soporte.get(ruta(ticket["id"] + 1000), headers=soporte.auth(agente))
    assert r.status == 404
    r = await soporte.get(ruta(ticket["id"]))
    assert r.status == 401


@pytest.mark.plugins("tickets")
async def test_the_history_is_paginated_oldest_first(soporte: SoporteClient) -> None:
    cliente = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear(soporte, cliente)
    for prioridad in ("BAJA", "MEDIA", "ALTA"):
        r = await soporte.patch(
            f"/api/soporte/tickets/{ticket['id']}/",
            json={"prioridad": prioridad},
            headers=soporte.auth(agente),
        )
        assert r.status == 200
    primera = await historial(soporte, agente, ticket["id"], size=3)
    assert primera["count"] == 4 and primera["previous"] is None
    assert [c["nuevo"] for c in primera["results"]] == ["ABIERTO", "BAJA", "MEDIA"]
    assert primera["next"] is not None and "page=2" in primera["next"]
    segunda = await historial(soporte, agente, ticket["id"], size=3, page=2)
    assert [c["nuevo"] for c in segunda["results"]] == ["ALTA"]
    r = await soporte.get(ruta(ticket["id"]), headers=soporte.auth(agente), params={"size": 101})
    assert r.status == 400
