"""Internal notes on the ticket socket: staff sockets hear them (``grupo_personal``), a customer's
socket never does — live, in the replays, or after a channel-layer gap (issue 17, item 1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.auth.models import Rol
from plugins.chat.routes import SALAS, resincronizar
from plugins.chat.service import grupo_personal
from plugins.tickets.models import Respuesta
from tests.plugins.chat.test_chat import conectar, crear_ticket, enviar

pytestmark = pytest.mark.plugins("tickets", "chat")

NOTA = "Ojo: este cliente tiene un contracargo abierto"


@pytest.fixture
async def gente(soporte):
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    diego = await soporte.usuario("diego", Rol.ADMIN)
    ticket = await crear_ticket(soporte, lucia)
    return soporte, lucia, carla, diego, ticket


async def responder(soporte: Any, usuario: Any, ticket_id: int, texto: str, **extra: Any) -> None:
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket_id}/responder/",
        headers=soporte.auth(usuario),
        json={"mensaje": texto, **extra},
    )
    assert r.status == 201, await r.text()


async def siguiente_tras_ping(soporte: Any, ws: Any) -> dict[str, Any]:
    """The next frame of any type; a ``ping`` is sent first, so a ``pong`` means "nothing
    else was queued for this socket before it" (no sleeping)."""
    await ws.send_str(json.dumps({"tipo": "ping"}))
    return await soporte.recibir(ws)


def test_grupo_personal():
    assert grupo_personal(12) == "ticket.12.personal"


async def test_una_nota_llega_solo_a_los_sockets_del_personal(gente):
    soporte, lucia, carla, diego, ticket = gente
    ws_cliente = await conectar(soporte, ticket["id"], lucia)
    ws_agente = await conectar(soporte, ticket["id"], carla)
    ws_admin = await conectar(soporte, ticket["id"], diego)
    await soporte.recibir(ws_cliente, "presencia")  # carla joined
    await soporte.recibir(ws_cliente, "presencia")  # diego joined

    await responder(soporte, carla, ticket["id"], NOTA, interna=True)
    for ws in (ws_agente, ws_admin):
        frame = await soporte.recibir(ws, "mensaje")
        assert frame["contenido"] == NOTA and frame["interna"] is True
    # The public reply after it is the customer's next message frame: the note never came.
    await responder(soporte, carla, ticket["id"], "Hola Lucía")
    frame = await soporte.recibir(ws_cliente)
    assert frame["tipo"] == "mensaje" and frame["contenido"] == "Hola Lucía"
    assert frame["interna"] is False
    assert (await siguiente_tras_ping(soporte, ws_cliente))["tipo"] == "pong"
    for ws in (ws_cliente, ws_agente, ws_admin):
        await ws.close()


async def test_un_agente_escribe_una_nota_por_el_socket(gente):
    soporte, lucia, carla, _, ticket = gente
    ws_cliente = await conectar(soporte, ticket["id"], lucia)
    ws_agente = await conectar(soporte, ticket["id"], carla)
    await soporte.recibir(ws_cliente, "presencia")
    await ws_agente.send_str(json.dumps({"tipo": "mensaje", "mensaje": NOTA, "interna": True}))
    frame = await soporte.recibir(ws_agente, "mensaje")
    assert frame["interna"] is True and frame["canal"] == "CHAT"
    [fila] = await Respuesta.filter(ticket_id=ticket["id"])
    assert fila.interna is True and fila.mensaje == NOTA
    await enviar(ws_agente, "Ya lo miro")
    frame = await soporte.recibir(ws_cliente)
    assert frame["tipo"] == "mensaje" and frame["contenido"] == "Ya lo miro"
    await ws_cliente.close()
    await ws_agente.close()


async def test_un_cliente_no_puede_escribir_una_nota_por_el_socket(gente):
    soporte, lucia, _, _, ticket = gente
    ws = await conectar(soporte, ticket["id"], lucia)
    await ws.send_str(json.dumps({"tipo": "mensaje", "mensaje": "hola", "interna": True}))
    error = await soporte.recibir(ws)
    assert error == {
        "tipo": "error",
        "codigo": "prohibido",
        "detalle": "Solo los agentes pueden escribir notas internas.",
    }
    assert await Respuesta.filter(ticket_id=ticket["id"]).count() == 0
    assert (await siguiente_tras_ping(soporte, ws))["tipo"] == "pong"  # still open
    await ws.close()


async def test_las_repeticiones_historial_y_desde_omiten_las_notas_al_cliente(gente):
    soporte, lucia, carla, _, ticket = gente
    await responder(soporte, carla, ticket["id"], "uno")
    await responder(soporte, carla, ticket["id"], NOTA, interna=True)
    await responder(soporte, carla, ticket["id"], "dos")
    ids = [r.id for r in await Respuesta.filter(ticket_id=ticket["id"]).order_by("id")]

    for params in ({"historial": 50}, {"desde": 0}, {"desde": ids[0]}):
        ws = await conectar(soporte, ticket["id"], lucia, **params)
        vistos = []
        while (frame := await siguiente_tras_ping(soporte, ws))["tipo"] == "mensaje":
            vistos.append(frame["contenido"])
        assert frame["tipo"] == "pong"
        assert vistos == (["uno", "dos"] if params != {"desde": ids[0]} else ["dos"]), params
        await ws.close()
    # The last N of a customer's replay are the last N they may see.
    ws = await conectar(soporte, ticket["id"], lucia, historial=2)
    assert [(await soporte.recibir(ws, "mensaje"))["contenido"] for _ in range(2)] == [
        "uno",
        "dos",
    ]
    await ws.close()

    ws = await conectar(soporte, ticket["id"], carla, historial=50)
    frames = [await soporte.recibir(ws, "mensaje") for _ in range(3)]
    assert [(f["contenido"], f["interna"]) for f in frames] == [
        ("uno", False),
        (NOTA, True),
        ("dos", False),
    ]
    await ws.close()


async def test_la_repeticion_tras_un_hueco_omite_las_notas_al_cliente(gente):
    """After a channel-layer gap, the resync reads the replies once for every socket of the
    ticket: each socket is sent only what its user may see."""
    soporte, lucia, carla, _, ticket = gente
    ws_cliente = await conectar(soporte, ticket["id"], lucia)
    ws_agente = await conectar(soporte, ticket["id"], carla)
    await soporte.recibir(ws_cliente, "presencia")
    salas = soporte.app[SALAS]
    salas.abrir_hueco()
    await responder(soporte, carla, ticket["id"], NOTA, interna=True)
    assert (await soporte.recibir(ws_agente, "mensaje"))["contenido"] == NOTA  # live
    await resincronizar(salas)
    assert (await siguiente_tras_ping(soporte, ws_cliente))["tipo"] == "pong"
    assert (await siguiente_tras_ping(soporte, ws_agente))["tipo"] == "pong"  # sent once
    await ws_cliente.close()
    await ws_agente.close()
