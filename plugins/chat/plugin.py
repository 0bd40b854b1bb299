"""Hook implementations of the ``chat`` plugin: thin wiring only."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from core import hookimpl
from core.events import Listener
from core.keys import CHANNELS
from core.plugin_settings import plugin_settings
from plugins.chat import name, requires, version
from plugins.chat.routes import SALAS, VIENDO, resincronizar, routes
from plugins.chat.service import Salas, grupo, grupo_personal, mensaje_frame
from plugins.chat.settings import ChatSettings
from plugins.chat.viendo import Viendo
from plugins.tickets import api as tickets
from plugins.tickets.events import RespuestaCreada

if TYPE_CHECKING:
    from collections.abc import Iterable

    from aiohttp import web

    from core.api.routing import Endpoint
    from core.plugin_contract import BackgroundContext

__all__ = ["name", "requires", "version"]


@hookimpl
def register_settings() -> type[ChatSettings]:
    """``viewers_announce_seconds`` (``SOPORTE_CHAT_*``)."""
    return ChatSettings


@hookimpl
def register_routes(app: web.Application) -> Iterable[Endpoint]:
    """The chat socket; also gives the app its room registry (who is in which chat), and has
    the channel layer replay from the database what sockets missed while it had a gap."""
    app[SALAS] = salas = Salas()
    ajustes = plugin_settings(app, name, ChatSettings)
    app[VIENDO] = Viendo(app[CHANNELS], ajustes.viewers_announce_seconds)
    app[CHANNELS].on_gap(lost=salas.abrir_hueco, restored=functools.partial(resincronizar, salas))
    return routes


@hookimpl
def register_background(app: web.Application) -> Iterable[BackgroundContext]:
    """Who is viewing: learnt from the other processes at start-up, then re-announced and
    expired periodically (:mod:`plugins.chat.viendo`)."""
    return [app[VIENDO].lifetime]


@hookimpl
def register_listeners(app: web.Application) -> Iterable[Listener]:
    """Every stored reply — chat or ``/responder/`` — reaches the ticket's sockets."""

    async def difundir(evento: RespuestaCreada) -> None:
        respuesta = await tickets.respuesta_de(evento)  # from the event: no query
        # An internal note goes to the staff group only: no customer socket is in it.
        destino = grupo_personal if respuesta.interna else grupo
        await app[CHANNELS].group_send(destino(evento.ticket_id), mensaje_frame(respuesta))

    return [Listener(RespuestaCreada, difundir)]
