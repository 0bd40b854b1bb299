"""The channel layer with real sockets, through the ad-hoc plugin's ``/ws/pruebas/{grupo}/``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType

from core import keys
from core.api import Endpoint

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SoporteClient


async def entrar(api: SoporteClient, grupo: str, **params: Any) -> Any:
    """Open a socket in ``grupo`` and wait for the handler's greeting."""
    ws = await api.ws(f"/ws/pruebas/{grupo}/", **params)
    listo = await api.recibir(ws, "listo")
    assert listo["grupo"] == grupo
    return ws


async def hasta(condicion: Callable[[], bool], espera: float = 3.0) -> None:
    """Wait until ``condicion()`` holds (socket state changes are asynchronous)."""
    async with asyncio.timeout(espera):
        while not condicion():  # noqa: ASYNC110 — the state lives in aiohttp, nobody signals it
            await asyncio.sleep(0.01)


async def test_group_send_reaches_every_member_of_the_group_only(api: SoporteClient) -> None:
    a, b = await entrar(api, "g"), await entrar(api, "g")
    c = await entrar(api, "h")
    await a.send_json({"texto": "hola"})
    assert await api.recibir(a, "eco") == {"tipo": "eco", "texto": "hola"}  # sender included
    assert await api.recibir(b, "eco") == {"tipo": "eco", "texto": "hola"}
    await c.send_json({"texto": "solo h"})
    assert (await api.recibir(c, "eco"))["texto"] == "solo h"
    # a and b never got h's message: their next frame is g's next one.
    await b.send_json({"texto": "segundo"})
    assert (await api.recibir(a, "eco"))["texto"] == "segundo"
    assert len(api.app[keys.CHANNELS].local_members("g")) == 2
    for ws in (a, b, c):
        await ws.close()


async def test_exclude_skips_one_socket(api: SoporteClient) -> None:
    a, b = await entrar(api, "g"), await entrar(api, "g")
    await a.send_json({"texto": "sin mí", "excluirme": True})
    assert (await api.recibir(b, "eco"))["texto"] == "sin mí"
    await b.send_json({"texto": "para todos"})
    assert (await api.recibir(a, "eco"))["texto"] == "para todos"  # not "sin mí"
    await a.close()
    await b.close()


async def test_websocket_handlers_run_with_the_database_current(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    ws = await api.ws("/ws/pruebas/g/", ana)
    assert (await api.recibir(ws, "listo"))["usuario"] == "ana"  # token resolved via the ORM
    await ws.close()


async def test_group_discard_removes_a_closed_socket(api: SoporteClient) -> None:
    channels = api.app[keys.CHANNELS]
    a, b = await entrar(api, "g"), await entrar(api, "g")
    await b.close()
    await hasta(lambda: len(channels.local_members("g")) == 1)
    await a.send_json({"miembros": True})
    assert (await api.recibir(a, "miembros"))["total"] == 1
    await a.close()
    await hasta(lambda: channels.local_members("g") == frozenset())


async def test_a_closed_socket_leaves_its_group_even_if_nobody_discards_it(
    api: SoporteClient,
) -> None:
    channels = api.app[keys.CHANNELS]
    a = await entrar(api, "g")
    b = await entrar(api, "g", discard="0")  # its handler leaves membership to the layer
    await b.close()
    await hasta(lambda: any(ws.closed for ws in channels.local_members("g")))
    assert len(channels.local_members("g")) == 2
    await a.send_json({"texto": "¿quién queda?"})
    assert (await api.recibir(a, "eco"))["texto"] == "¿quién queda?"
    assert len(channels.local_members("g")) == 1
    await a.close()


async def test_shutdown_closes_every_socket_with_going_away(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar()
    a, b = await entrar(api, "g"), await entrar(api, "h")
    await api.client.server.close()
    for ws in (a, b):
        msg = await asyncio.wait_for(ws.receive(), 3)
        # The close frame the server sent (what a browser's CloseEvent.code shows).
        assert msg.type == WSMsgType.CLOSE
        assert msg.data == WSCloseCode.GOING_AWAY == 1001
    assert api.app[keys.CHANNELS].local_members("g") == frozenset()


def test_websocket_endpoints_are_get_routes_without_cors_or_token_guard() -> None:
    from tests.core.pruebas import routes

    [sala] = [e for e in routes if e.websocket]
    assert isinstance(sala, Endpoint)
    assert sala.method == "GET" and sala.auth == "public"
    assert sala.path_params == {"grupo": str}
