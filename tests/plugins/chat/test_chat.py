"""The chat socket over real sockets: docs/api.md's protocol, as the guide's client speaks it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from core.auth.models import Rol
from core.ratelimit import parse_rate
from core.settings import Settings

#: Chat messages per user and ticket within the window (``rate_chat_messages``' default).
MAX_MENSAJES = parse_rate(Settings.model_fields["rate_chat_messages"].default).amount
pytestmark = pytest.mark.plugins("tickets", "chat")


async def crear_ticket(
    soporte: Any, cliente: Any, asunto: str = "Pago rechazado"
) -> dict[str, Any]:
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(cliente),
        json={
            "asunto": asunto,
            "categoria": "PAGOS",
            "prioridad": "ALTA",
            "descripcion": "No puedo pagar mi reserva",
            "archivos_adjuntos": [],
            "reserva_relacionada": None,
        },
    )
    assert r.status == 201, await r.text()
    return await r.json()


def ruta(ticket_id: int) -> str:
    return f"/ws/soporte/ticket/{ticket_id}/"


async def conectar(soporte: Any, ticket_id: int, usuario: Any, **params: Any) -> Any:
    """Open a socket the way the guide does and wait for ``connection_status``."""
    ws = await soporte.ws(ruta(ticket_id), usuario, **params)
    estado = await soporte.recibir(ws, "connection_status")
    assert estado["conectado"] is True
    return ws


async def enviar(ws: Any, texto: str) -> None:
    """Exactly the guide's ``sendMessage``."""
    await ws.send_str(
        json.dumps({"tipo": "mensaje", "mensaje": texto, "timestamp": "2026-11-26T10:00:00.000Z"})
    )


async def nada_mas(ws: Any, espera: float = 0.2) -> None:
    """Assert that no frame arrives within ``espera`` seconds."""
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.receive(), espera)


async def test_both_participants_receive_the_stored_message(soporte):
    cliente = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    ticket = await crear_ticket(soporte, cliente)
    ws_cliente = await conectar(soporte, ticket["id"], cliente)
    ws_agente = await conectar(soporte, ticket["id"], agente)

    await enviar(ws_agente, "Hola Lucía, lo reviso ahora")
    for ws in (ws_cliente, ws_agente):  # the sender is included
        frame = await soporte.recibir(ws, "mensaje")
        assert frame["autor"] == "Carla Ruiz"
        assert frame["autor_id"] == agente.id
        assert frame["rol"] == "AGENTE"
        assert frame["contenido"] == "Hola Lucía, lo reviso ahora"
        assert isinstance(frame["id"], int) and frame["timestamp"].endswith("+00:00")

    r = await soporte.get(f"/api/soporte/tickets/{ticket['id']}/", headers=soporte.auth(cliente))
    detalle = await r.json()
    assert [(x["mensaje"], x["canal"]) for x in detalle["respuestas"]] == [
        ("Hola Lucía, lo reviso ahora", "CHAT")
    ]


async def test_connection_status_names_user_and_participants(soporte):
    cliente = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, cliente)
    await conectar(soporte, ticket["id"], cliente)
    ws = await soporte.ws(ruta(ticket["id"]), agente)
    estado = await soporte.recibir(ws, "connection_status")
    assert estado["usuario"]["id"] == agente.id
    assert {p["id"] for p in estado["participantes"]} == {cliente.id, agente.id}


@pytest.mark.parametrize("token", [None, "null", "no-es-un-token"])
async def test_bad_or_missing_token_closes_4401(soporte, token):
    cliente = await soporte.usuario("lucia")
    ticket = await crear_ticket(soporte, cliente)
    params = {} if token is None else {"token": token}
    ws = await soporte.client.ws_connect(ruta(ticket["id"]), params=params)
    msg = await ws.receive()
    assert msg.type == WSMsgType.CLOSE
    assert ws.close_code == 4401


async def test_foreign_customer_and_unknown_ticket_close_4404(soporte):
    cliente = await soporte.usuario("lucia")
    otro = await soporte.usuario("martin")
    ticket = await crear_ticket(soporte, cliente)
    for ticket_id, usuario in ((ticket["id"], otro), (999999, cliente)):
        ws = await soporte.ws(ruta(ticket_id), usuario)
        msg = await ws.receive()
        assert msg.type == WSMsgType.CLOSE
        assert ws.close_code == 4404


async def test_history_replay_default_desde_and_none(soporte):
    cliente = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, cliente)
    ids = []
    for i in range(55):
        r = await soporte.post(
            f"/api/soporte/tickets/{ticket['id']}/responder/",
            headers=soporte.auth(agente if i % 2 else cliente),
            json={"mensaje": f"mensaje {i}"},
        )
        assert r.status == 201, await r.text()
        ids.append((await r.json())["id"])

    async def replay(**params: Any) -> list[dict[str, Any]]:
        ws = await conectar(soporte, ticket["id"], cliente, **params)
        frames = []
        while True:
            try:
                frames.append(await soporte.recibir(ws, "mensaje", espera=0.3))
            except TimeoutError:
                await ws.close()
                return frames

    por_defecto = await replay()
    assert [f["id"] for f in por_defecto] == ids[-50:]  # the last 50, oldest first
    assert por_defecto[-1]["contenido"] == "mensaje 54"
    desde = await replay(desde=ids[51])
    assert [f["id"] for f in desde] == ids[52:]
    assert await replay(historial=0) == []


async def test_typing_is_relayed_to_the_others_only(soporte):
    cliente = await soporte.usuario("lucia", nombre="Lucía")
    agente = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, cliente)
    ws_cliente = await conectar(soporte, ticket["id"], cliente)
    ws_agente = await conectar(soporte, ticket["id"], agente)
    await soporte.recibir(ws_cliente, "presencia")  # the agent joined
    await ws_cliente.send_json({"tipo": "typing", "escribiendo": True})
    frame = await soporte.recibir(ws_agente, "typing")
    assert frame == {
        "tipo": "typing",
        "autor": "Lucía",
        "autor_id": cliente.id,
        "escribiendo": True,
        "interna": False,
    }
    await nada_mas(ws_cliente)


async def test_presence_on_join_and_leave(soporte):
    cliente = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla")
    ticket = await crear_ticket(soporte, cliente)
    ws_cliente = await conectar(soporte, ticket["id"], cliente)
    ws_agente = await conectar(soporte, ticket["id"], agente)
    entra = await soporte.recibir(ws_cliente, "presencia")
    assert entra["usuario"]["nombre"] == "Carla" and entra["conectado"] is True
    await ws_agente.close()
    sale = await soporte.recibir(ws_cliente, "presencia")
    assert sale["usuario"]["id"] == agente.id and sale["conectado"] is False


@pytest.mark.parametrize(
    ("frame", "codigo"),
    [
        ("esto no es json", "json_invalido"),
        ('{"sin_tipo": 1}', "json_invalido"),
        ('{"tipo": "baile"}', "tipo_desconocido"),
        ('{"tipo": "mensaje", "mensaje": "   "}', "mensaje_vacio"),
        (json.dumps({"tipo": "mensaje", "mensaje": "x" * 5001}), "mensaje_invalido"),
        ('{"tipo": "mensaje"}', "mensaje_invalido"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays(soporte, frame, codigo):
    cliente = await soporte.usuario("lucia")
    ticket = await crear_ticket(soporte, cliente)
    ws = await conectar(soporte, ticket["id"], cliente)
    await ws.send_str(frame)
    error = await soporte.recibir(ws, "error")
    assert error["codigo"] == codigo and error["detalle"]
    await enviar(ws, "sigo aquí")  # still usable
    assert (await soporte.recibir(ws, "mensaje"))["contenido"] == "sigo aquí"


async def test_exactly_5000_characters_is_accepted(soporte):
    cliente = await soporte.usuario("lucia")
    ticket = await crear_ticket(soporte, cliente)
    ws = await conectar(soporte, ticket["id"], cliente)
    await enviar(ws, "x" * 5000)
    assert len((await soporte.recibir(ws, "mensaje"))["contenido"]) == 5000


async def test_chatting_on_a_closed_ticket_is_an_error(soporte):
    cliente = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, cliente)
    ws = await conectar(soporte, ticket["id"], cliente)
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket['id']}/",
        headers=soporte.auth(agente),
        json={"estado": "CERRADO"},
    )
    assert r.status == 200, await r.text()
    await enviar(ws, "¿sigue abierto?")
    error = await soporte.recibir(ws, "error")
    assert error["codigo"] == "ticket_cerrado"
    r = await soporte.get(f"/api/soporte/tickets/{ticket['id']}/", headers=soporte.auth(cliente))
    assert (await r.json())["respuestas"] == []


async def test_rate_limit_refuses_the_21st_message_in_10_seconds(soporte):
    cliente = await soporte.usuario("lucia")
    ticket = await crear_ticket(soporte, cliente)
    ws = await conectar(soporte, ticket["id"], cliente)
    for i in range(MAX_MENSAJES + 1):
        await enviar(ws, f"m{i}")
    recibidos = []
    error = None
    while len(recibidos) < MAX_MENSAJES or error is None:
        frame = await soporte.recibir(ws)
        if frame["tipo"] == "mensaje":
            recibidos.append(frame["contenido"])
        elif frame["tipo"] == "error":
            error = frame
    assert recibidos == [f"m{i}" for i in range(MAX_MENSAJES)]
    assert error["codigo"] == "limite"


async def test_a_rest_reply_reaches_the_sockets(soporte):
    cliente = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla")
    ticket = await crear_ticket(soporte, cliente)
    ws = await conectar(soporte, ticket["id"], cliente)
    data = _form({"mensaje": "Le adjunto el comprobante"})
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        headers={"Authorization": f"Bearer {agente.token}"},
        data=data,
    )
    assert r.status == 201, await r.text()
    frame = await soporte.recibir(ws, "mensaje")
    assert frame["contenido"] == "Le adjunto el comprobante"
    assert frame["autor"] == "Carla" and frame["canal"] == "TICKET"


async def test_an_agent_chat_message_answers_the_ticket(soporte):
    cliente = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, cliente)
    ws = await conectar(soporte, ticket["id"], agente)
    await enviar(ws, "Ya lo estoy mirando")
    await soporte.recibir(ws, "mensaje")
    from plugins.tickets.models import Ticket

    fila = await Ticket.get(id=ticket["id"])
    assert fila.estado == "EN_PROGRESO"
    assert fila.esperando_desde is None
    assert fila.primera_respuesta_agente is not None


async def test_shutdown_closes_sockets_going_away(make_app, aiohttp_client):
    from core import keys
    from core.db import activate
    from core.testing import SoporteClient

    app = make_app(plugins=["tickets", "chat"])
    client = await aiohttp_client(app)
    soporte = SoporteClient(client, app)
    with activate(app[keys.DB].ctx):
        cliente = await soporte.usuario("lucia")
        ticket = await crear_ticket(soporte, cliente)
    ws = await conectar(soporte, ticket["id"], cliente)
    await client.server.close()
    msg = await asyncio.wait_for(ws.receive(), 5)
    # The close frame carries 1001 (going away); the client may then report 1006 because the
    # server drops the connection right after it, so the frame is what is asserted.
    assert msg.type == WSMsgType.CLOSE
    assert msg.data == 1001


async def test_a_closed_socket_leaves_its_group_at_once(soporte):
    from core import keys
    from plugins.chat.service import grupo

    cliente = await soporte.usuario("lucia")
    ticket = await crear_ticket(soporte, cliente)
    ws = await conectar(soporte, ticket["id"], cliente)
    capa = soporte.app[keys.CHANNELS]
    assert len(capa.local_members(grupo(ticket["id"]))) == 1
    await ws.close()
    for _ in range(50):
        if not capa.local_members(grupo(ticket["id"])):
            break
        await asyncio.sleep(0.01)
    assert capa.local_members(grupo(ticket["id"])) == frozenset()


async def test_200_sockets_on_one_ticket_all_receive_one_message(start_app):
    # Fan-out, not abuse: the per-user socket limits are lifted for this one agent.
    soporte = await start_app(
        plugins=["tickets", "chat"], max_sockets_per_user=200, rate_socket_opens="off"
    )
    cliente = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, cliente)
    url = soporte.client.make_url(ruta(ticket["id"]))
    params = {"token": agente.token, "historial": "0"}
    # aiohttp's client allows 100 connections per session by default: lift the limit.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets = await asyncio.gather(
            *(session.ws_connect(url, params=params) for _ in range(200))
        )
        await asyncio.gather(
            *(soporte.recibir(ws, "connection_status", espera=20) for ws in sockets)
        )
        await enviar(sockets[0], "a todos")
        frames = await asyncio.gather(
            *(soporte.recibir(ws, "mensaje", espera=20) for ws in sockets)
        )
        assert len(frames) == 200
        assert {f["contenido"] for f in frames} == {"a todos"}
        assert {f["id"] for f in frames} == {frames[0]["id"]}  # one stored message, 200 copies
        await asyncio.gather(*(ws.close() for ws in sockets))


def _form(fields: dict[str, str]) -> Any:
    from aiohttp import FormData

    data = FormData()
    for key, value in fields.items():
        data.add_field(key, value)
    return data
