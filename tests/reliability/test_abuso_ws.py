"""Abusive WebSocket clients: floods, garbage, binary and broken frames, frames over the size
limit. The chat answers bad frames with error frames and keeps the socket; frames the protocol
layer cannot accept close that socket cleanly; nothing beyond the limits is stored, no handler
crashes (nothing logged as an error), and the server keeps serving everybody else.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import WSCloseCode, WSMsgType, web

from core import hookimpl
from core.api import Routes
from core.ratelimit import parse_rate
from core.settings import Settings
from plugins.chat.schemas import MAX_CARACTERES
from plugins.tickets.models import Respuesta

if TYPE_CHECKING:
    from collections.abc import Callable

    from core.auth.models import Usuario
    from core.testing import SoporteClient

#: Chat messages per user and ticket within the window (``rate_chat_messages``' default).
MAX_MENSAJES = parse_rate(Settings.model_fields["rate_chat_messages"].default).amount
pytestmark = pytest.mark.plugins("tickets", "chat")


@pytest.fixture(autouse=True)
def sin_errores(caplog: pytest.LogCaptureFixture) -> Any:
    """Fail a test if anything was logged as an error (a crashed handler, a 500)."""
    caplog.set_level(logging.ERROR)
    yield
    errores = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errores == [], [r.getMessage() for r in errores]


async def abrir(soporte: SoporteClient) -> tuple[Usuario, Any]:
    """A customer, one of their tickets, and their open chat socket (status already read)."""
    ana = await soporte.usuario("ana")
    body = {"asunto": "Chat", "categoria": "GENERAL", "descripcion": "Hablemos"}
    r = await soporte.post("/api/soporte/tickets/", headers=soporte.auth(ana), json=body)
    ticket = (await r.json())["id"]
    ws = await soporte.ws(f"/ws/soporte/ticket/{ticket}/", ana, historial="0")
    assert (await soporte.recibir(ws))["tipo"] == "connection_status"
    return ana, ws


async def sigue_abierto(soporte: SoporteClient, ws: Any) -> None:
    """The socket still answers."""
    await ws.send_json({"tipo": "ping"})
    assert (await soporte.recibir(ws, "pong"))["tipo"] == "pong"


async def test_a_message_flood_is_rate_limited_and_the_socket_stays(soporte: SoporteClient) -> None:
    _, ws = await abrir(soporte)
    enviados = 200
    for i in range(enviados):
        await ws.send_json({"tipo": "mensaje", "mensaje": f"spam {i}", "timestamp": "x"})
    recibidos: dict[str, int] = {}
    for _ in range(enviados):  # one answer per frame: the stored message, or an error
        frame = await soporte.recibir(ws, espera=10)
        clave = frame["tipo"] if frame["tipo"] != "error" else f"error:{frame['codigo']}"
        recibidos[clave] = recibidos.get(clave, 0) + 1
    assert recibidos == {"mensaje": MAX_MENSAJES, "error:limite": enviados - MAX_MENSAJES}
    await sigue_abierto(soporte, ws)
    assert await Respuesta.all().count() == MAX_MENSAJES  # nothing beyond the limit stored


#: Garbage a client may send, and the error code each must get (the socket stays open).
BASURA: list[tuple[Any, str]] = [
    (b"\x00\xff\x00binario", "formato"),
    ("esto no es json", "json_invalido"),
    ("", "json_invalido"),
    ("[]", "json_invalido"),
    ("123", "json_invalido"),
    ("null", "json_invalido"),
    ('{"tipo": 5}', "json_invalido"),
    ("[" * 30_000 + "]" * 30_000, "json_invalido"),  # nesting beyond the parser (under 64 KiB)
    ('{"tipo": "desconocido"}', "tipo_desconocido"),
    ('{"tipo": "mensaje"}', "mensaje_invalido"),
    ('{"tipo": "mensaje", "mensaje": 42}', "mensaje_invalido"),
    ('{"tipo": "mensaje", "mensaje": "   \\n\\t "}', "mensaje_vacio"),
    (json.dumps({"tipo": "mensaje", "mensaje": "x" * (MAX_CARACTERES + 1)}), "mensaje_invalido"),
    ('{"tipo": "mensaje", "mensaje": "a\\u0000b"}', "mensaje_invalido"),  # NUL
    ('{"tipo": "typing", "escribiendo": "quizas"}', "typing_invalido"),
]


async def test_garbage_frames_get_error_frames_and_store_nothing(soporte: SoporteClient) -> None:
    _, ws = await abrir(soporte)
    for frame, codigo in BASURA:
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)
        error = await soporte.recibir(ws, "error")
        assert error["codigo"] == codigo, frame[:60]
        assert isinstance(error["detalle"], str) and error["detalle"]
    await sigue_abierto(soporte, ws)
    assert await Respuesta.all().count() == 0
    # A good message after all that is still accepted.
    await ws.send_json({"tipo": "mensaje", "mensaje": "Hola, de verdad"})
    assert (await soporte.recibir(ws, "mensaje"))["contenido"] == "Hola, de verdad"
    assert await Respuesta.all().count() == 1


async def test_a_garbage_flood_never_closes_the_socket(soporte: SoporteClient) -> None:
    _, ws = await abrir(soporte)
    for i in range(300):
        if i % 2:
            await ws.send_bytes(bytes([i % 256]) * 100)
        else:
            await ws.send_str("{" * (i % 50 + 1))
    for _ in range(300):
        assert (await soporte.recibir(ws, espera=10))["tipo"] == "error"
    await sigue_abierto(soporte, ws)
    assert await Respuesta.all().count() == 0


async def test_oversized_and_broken_frames_close_cleanly_and_the_server_goes_on(
    soporte: SoporteClient,
) -> None:
    ana, _ = await abrir(soporte)
    ticket = (
        await (await soporte.get("/api/soporte/mis-tickets/", headers=soporte.auth(ana))).json()
    )["results"][0]["id"]
    ruta = f"/ws/soporte/ticket/{ticket}/"
    casos = [
        ("text over max_msg_size", "str", "x" * (200 * 1024), WSCloseCode.MESSAGE_TOO_BIG),
        ("binary over max_msg_size", "bytes", b"x" * (200 * 1024), WSCloseCode.MESSAGE_TOO_BIG),
        ("text frame that is not UTF-8", "texto_crudo", b"\xff\xfe\xfd", WSCloseCode.INVALID_TEXT),
    ]
    for caso, modo, datos, codigo in casos:
        ws = await soporte.ws(ruta, ana, historial="0")
        assert (await soporte.recibir(ws))["tipo"] == "connection_status"
        if modo == "str":
            await ws.send_str(datos)
        elif modo == "bytes":
            await ws.send_bytes(datos)
        else:
            await ws.send_frame(datos, WSMsgType.TEXT)
        msg = await ws.receive(timeout=5)
        while msg.type == WSMsgType.TEXT:  # presence frames of the earlier sockets
            msg = await ws.receive(timeout=5)
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING), caso
        assert ws.close_code == codigo, (caso, ws.close_code)
        await ws.close()
    assert await Respuesta.all().count() == 0
    # Everybody else is still served: a new socket joins and chats, REST answers.
    ws = await soporte.ws(ruta, ana, historial="0")
    assert (await soporte.recibir(ws))["tipo"] == "connection_status"
    await ws.send_json({"tipo": "mensaje", "mensaje": "sigo aquí"})
    assert (await soporte.recibir(ws, "mensaje"))["contenido"] == "sigo aquí"
    assert (await soporte.get("/healthz")).status == 200


rotas = Routes(tag="rotas")


@rotas.websocket("/ws/rotas/")
async def socket_roto(request: web.Request) -> web.WebSocketResponse:
    """Accepts the socket, then fails on the first frame, as a buggy handler would."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.receive()
    raise RuntimeError("fallo del manejador")


class Rotas:
    """An ad-hoc plugin with a WebSocket handler that crashes after the handshake."""

    name = "rotas"
    version = "0.0.1"
    requires: tuple[str, ...] = ()

    @hookimpl
    def register_routes(self, app: web.Application) -> Routes:
        """The crashing socket."""
        return rotas


async def test_a_handler_crash_after_the_handshake_drops_the_socket_without_garbage(
    make_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No HTTP error answer is written into an upgraded connection (a browser would see a
    corrupt frame): the crash is logged and the connection dropped."""
    client = await aiohttp_client(make_app(plugins=[], extra=[Rotas()]))
    ws = await client.ws_connect("/ws/rotas/")
    await ws.send_str("hola")
    msg = await ws.receive(timeout=5)
    assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED), (msg.type, msg.data)
    registrados = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("unhandled error in GET /ws/rotas/" in m for m in registrados), registrados
    caplog.clear()  # the one expected error
    assert (await client.get("/healthz")).status == 200
