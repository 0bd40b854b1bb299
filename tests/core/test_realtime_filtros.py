"""The channel layer's additions for frames that must not be lost: per-member ``accept`` filters,
``subscribed`` and ``on_gap`` — with real sockets, on whichever layer the run uses (in memory,
or Redis with ``SOPORTE_TEST_REDIS_URL``)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from core import hookimpl, keys
from core.api import Routes
from core.realtime import InMemoryChannelLayer
from core.testing import SoporteClient

if TYPE_CHECKING:
    from collections.abc import Callable

routes = Routes(tag="filtros")


@routes.websocket("/ws/filtros/{grupo}/")
async def sala(request: web.Request, grupo: str) -> web.WebSocketResponse:
    """Echo each text frame to the group; this socket refuses frames that mention ``?no=``."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    channels = request.app[keys.CHANNELS]
    palabra = request.query.get("no")
    await channels.group_add(grupo, ws, accept=(lambda t: palabra not in t) if palabra else None)
    try:
        await ws.send_json({"tipo": "listo"})
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await channels.group_send(grupo, {"tipo": "eco", "texto": msg.data})
    finally:
        await channels.group_discard(grupo, ws)
    return ws


class Filtros:
    """An ad-hoc plugin with the socket above."""

    name = "filtros"
    version = "1.0"
    requires: tuple[str, ...] = ()

    @hookimpl
    def register_routes(self, app: web.Application) -> Routes:
        """The filtered echo socket."""
        return routes


async def arrancar(make_app: Callable[..., web.Application], aiohttp_client: Any) -> SoporteClient:
    app = make_app(plugins=[], extra=[Filtros()])
    return SoporteClient(await aiohttp_client(app), app)


async def entrar(api: SoporteClient, **params: Any) -> Any:
    ws = await api.ws("/ws/filtros/g/", **params)
    await api.recibir(ws, "listo")
    return ws


async def test_a_member_filter_skips_frames_for_that_socket_only(make_app, aiohttp_client):
    api = await arrancar(make_app, aiohttp_client)
    todo, filtrado = await entrar(api), await entrar(api, no="secreto")
    await todo.send_str("hola")
    assert (await api.recibir(filtrado, "eco"))["texto"] == "hola"
    await todo.send_str("un secreto")
    assert (await api.recibir(todo, "eco"))["texto"] == "hola"
    assert (await api.recibir(todo, "eco"))["texto"] == "un secreto"
    await todo.send_str("adiós")
    assert (await api.recibir(filtrado, "eco"))["texto"] == "adiós"  # the secret never came
    await todo.close()
    await filtrado.close()


async def test_the_in_memory_layer_is_always_subscribed_and_never_has_a_gap():
    layer = InMemoryChannelLayer()
    llamadas: list[str] = []

    async def restaurado() -> None:
        llamadas.append("restored")

    layer.on_gap(lost=lambda: llamadas.append("lost"), restored=restaurado)
    assert layer.subscribed is True
    await layer.group_send("g", {"tipo": "nadie"})  # no member, no gap
    await asyncio.sleep(0)
    assert llamadas == []
