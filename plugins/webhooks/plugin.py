"""Hook implementations of the ``webhooks`` plugin: thin wiring only.

Everything but the package metadata is imported inside the hooks, so that discovering the
plugin through its entry point (enabled or not) imports nothing but this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookimpl, keys
from plugins.webhooks import name, requires, version

if TYPE_CHECKING:
    from collections.abc import Iterable

    from aiohttp import web

    from core.api.routing import Endpoint
    from core.events import Listener
    from core.outbox import OutboxChannel
    from plugins.webhooks.catalogo import TipoEvento
    from plugins.webhooks.settings import WebhooksSettings

__all__ = [
    "name",
    "register_listeners",
    "register_models",
    "register_outbox_channels",
    "register_routes",
    "register_settings",
    "requires",
    "version",
]


def ajustes(app: web.Application) -> WebhooksSettings:
    """This plugin's settings on ``app`` (read once, kept on the app)."""
    from plugins.webhooks.routes import AJUSTES

    if AJUSTES not in app:
        from core.plugin_settings import plugin_settings
        from plugins.webhooks.settings import WebhooksSettings

        app[AJUSTES] = plugin_settings(app, name, WebhooksSettings)
    return app[AJUSTES]


def _catalogo(app: web.Application) -> frozenset[str]:
    """The event types of the app's enabled plugins (collected once, kept on the app)."""
    from plugins.webhooks.catalogo import catalogo, paquete
    from plugins.webhooks.routes import CATALOGO

    if CATALOGO not in app:
        app[CATALOGO] = catalogo((i.name, paquete(i.obj)) for i in app[keys.PLUGINS].plugins)
    tipos: dict[str, TipoEvento] = app[CATALOGO]
    return frozenset(tipos)


@hookimpl
def register_settings() -> type[WebhooksSettings]:
    """Retries, auto-disable, rotation grace, SSRF guard (``SOPORTE_WEBHOOKS_*``)."""
    from plugins.webhooks.settings import WebhooksSettings

    return WebhooksSettings


@hookimpl
def register_models() -> Iterable[str]:
    """Subscriptions and deliveries."""
    return ["plugins.webhooks.models"]


@hookimpl
def register_routes(app: web.Application) -> Iterable[Endpoint]:
    """``/api/soporte/webhooks/…`` (ADMIN)."""
    from plugins.webhooks.routes import routes

    ajustes(app)
    _catalogo(app)
    return routes.endpoints


@hookimpl
def register_listeners(app: web.Application) -> Iterable[Listener]:
    """Every event, inside its transaction: one delivery per subscription that wants it; and
    the outbox's dead letters of this channel."""
    from core.events import Event, Listener
    from core.outbox import EnvioFallido
    from plugins.webhooks.entregas import al_descartar, encolar

    tipos = _catalogo(app)

    async def al_evento(evento: Event) -> None:
        await encolar(evento, tipos)

    return [Listener(Event, al_evento, "in_transaction"), Listener(EnvioFallido, al_descartar)]


@hookimpl
def register_outbox_channels(app: web.Application) -> Iterable[OutboxChannel]:
    """The channel ``webhooks``: signed POSTs, ordered per ticket, retried over a day."""
    from plugins.webhooks.entregas import canal

    return [canal(ajustes)]
