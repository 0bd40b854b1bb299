"""Hook implementations of the ``correo`` plugin: thin wiring only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookimpl
from plugins.correo import name, requires, version

if TYPE_CHECKING:
    from collections.abc import Iterable

    import click
    from aiohttp import web

    from core.api.routing import Endpoint
    from core.events import Listener
    from core.plugin_contract import BackgroundContext
    from plugins.correo.settings import CorreoSettings

__all__ = ["ajustes", "name", "requires", "version"]


def ajustes(app: web.Application) -> CorreoSettings:
    """This plugin's settings on ``app``."""
    from core.plugin_settings import plugin_settings
    from plugins.correo.settings import CorreoSettings

    return plugin_settings(app, name, CorreoSettings)


@hookimpl
def register_settings() -> type[CorreoSettings]:
    """The support address, the transports, limits and what a new ticket gets
    (``SOPORTE_CORREO_*``)."""
    from plugins.correo.settings import CorreoSettings

    return CorreoSettings


@hookimpl
def register_models() -> Iterable[str]:
    """The stored messages (``correo_mensaje``)."""
    return ["plugins.correo.models"]


@hookimpl
def register_routes(app: web.Application) -> Iterable[Endpoint]:
    """The raw inbound endpoint and the admins' view of stored messages."""
    from plugins.correo.routes import routes

    return routes.endpoints


@hookimpl
def register_listeners(app: web.Application) -> Iterable[Listener]:
    """None yet."""
    return []


@hookimpl
def register_background(app: web.Application) -> Iterable[BackgroundContext]:
    """Message processing (woken by each stored message, and a sweep every minute); the
    transports' receivers, each doing nothing when its setting is empty."""
    from plugins.correo.imap import lector
    from plugins.correo.procesamiento import PROCESADOR, Procesador
    from plugins.correo.smtpd import receptor

    app[PROCESADOR] = procesador = Procesador(app)
    return [procesador.lifetime, receptor, lector]


@hookimpl
def register_commands(cli: click.Group) -> None:
    """``soporte correo …`` (``token``: the inbound endpoint's credential)."""
    from plugins.correo.comandos import grupo
    from plugins.correo.credencial import comando_token

    grupo.add_command(comando_token)
    cli.add_command(grupo)


@hookimpl
async def mail_thread_references(numero: str) -> list[str]:
    """The Message-IDs of the first and the last mail received for ticket ``numero`` (and
    the one being processed, while its ticket's mails are composed), so that notifications —
    the acknowledgement first — thread with the customer's own messages."""
    from plugins.correo.hilos import referencias

    return await referencias(numero)
