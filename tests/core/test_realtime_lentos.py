"""A client that stops reading cannot hold the others up: the channel layer waits for a stuck
socket at most ``slow_socket_seconds``, then closes it with 1013 (*try again later*: a chat
client reconnects and is replayed what it missed), while the sockets that keep up get every
frame, in order. Real sockets on whichever layer the run uses (in memory, or Redis)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from core import hookimpl, keys
from core.api import Routes
from core.realtime import CLOSE_TOO_SLOW
from core.testing import SoporteClient

if TYPE_CHECKING:
    from collections.abc import Callable

routes = Routes(tag="lentos")

#: Each frame carries this much, so that a client that does not read fills its buffers soon
#: (the kernel's on both ends, then the server's transport).
RELLENO = "x" * 64 * 1024


@routes.websocket("/ws/lentos/")
async def sala(request: web.Request) -> web.WebSocketResponse:
    """Join group ``g`` and stay until the client leaves."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    channels = request.app[keys.CHANNELS]
    await channels.group_add("g", ws)
    try:
        await ws.send_json({"tipo": "listo"})
        async for _ in ws:
            pass
    finally:
        await channels.group_discard("g", ws)
    return ws


class Lentos:
    """An ad-hoc plugin with the socket above."""

    name = "lentos"
    version = "1.0"
    requires: tuple[str, ...] = ()

    @hookimpl
    def register_routes(self, app: web.Application) -> Routes:
        """The socket of group ``g``."""
        return routes


async def test_a_client_that_stops_reading_is_closed_and_the_others_get_everything(
    make_app: Callable[..., web.Application], aiohttp_client: Any
) -> None:
    app = make_app(plugins=[], extra=[Lentos()])
    api = SoporteClient(await aiohttp_client(app), app)
    channels = app[keys.CHANNELS]
    channels.slow_socket_seconds = 0.5  # type: ignore[attr-defined]
    rapido, lento = await api.ws("/ws/lentos/"), await api.ws("/ws/lentos/")
    for ws in (rapido, lento):
        await api.recibir(ws, "listo")
    recibidos: list[int] = []

    async def leer() -> None:
        async for msg in rapido:
            if msg.type == WSMsgType.TEXT:
                recibidos.append(int(msg.json()["n"]))

    lector = asyncio.create_task(leer())
    enviados, mas_lento = 0, 0.0
    # Until the layer gives the stuck socket up (its buffers hold a few MB at most); without
    # the bound, a send waits for the stuck socket for ever: the timeout fails the test.
    async with asyncio.timeout(30):
        while len(channels.local_members("g")) == 2 and enviados < 2000:
            inicio = time.perf_counter()
            await channels.group_send("g", {"tipo": "grande", "n": enviados, "relleno": RELLENO})
            mas_lento = max(mas_lento, time.perf_counter() - inicio)
            enviados += 1
    assert len(channels.local_members("g")) == 1, "the stuck socket was never given up"
    assert mas_lento < 0.5 + 1.0  # the sender waited for it once, and not for long
    for n in range(enviados, enviados + 20):  # the group goes on, at full speed
        inicio = time.perf_counter()
        await channels.group_send("g", {"tipo": "grande", "n": n, "relleno": RELLENO})
        assert time.perf_counter() - inicio < 0.5
    enviados += 20
    async with asyncio.timeout(10):
        while len(recibidos) < enviados:  # noqa: ASYNC110 (the reader task appends)
            await asyncio.sleep(0.01)
    assert recibidos == list(range(enviados))  # every frame, once, in order
    # The stuck client, reading at last, finds what was buffered, then the close: 1013.
    async with asyncio.timeout(10):
        while (msg := await lento.receive()).type == WSMsgType.TEXT:
            pass
    assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
    assert lento.close_code == CLOSE_TOO_SLOW
    await rapido.close()
    lector.cancel()
