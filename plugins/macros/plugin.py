"""Hook implementations of the ``macros`` plugin: thin wiring only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookimpl
from core.i18n import N_
from plugins.macros import name, requires, version
from plugins.macros.settings import MacrosSettings

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from aiohttp import web

    from core.api.routing import Endpoint
    from core.auth.models import Usuario
    from core.pages import Page
    from plugins.tickets.api import AccionLote

__all__ = [
    "load_demo_data",
    "name",
    "register_models",
    "register_pages",
    "register_routes",
    "register_settings",
    "register_ticket_bulk_actions",
    "requires",
    "version",
]


@hookimpl
def register_settings() -> type[MacrosSettings]:
    """``timezone`` (``SOPORTE_MACROS_TIMEZONE``): the zone of the macros' dates."""
    return MacrosSettings


@hookimpl
def register_models() -> Iterable[str]:
    """The macro model."""
    return ["plugins.macros.models"]


@hookimpl
def register_routes(app: web.Application) -> Iterable[Endpoint]:
    """``/api/soporte/macros/…``; also sets the zone macros render dates in."""
    from core.plugin_settings import plugin_settings
    from plugins.macros import service
    from plugins.macros.routes import routes

    service.configurar(plugin_settings(app, name, MacrosSettings).timezone)
    return routes.endpoints


@hookimpl
def register_ticket_bulk_actions() -> Mapping[str, AccionLote]:
    """``macro``: apply a macro (its id is the value) to each selected ticket."""
    from plugins.macros.service import accion_lote

    return {"macro": accion_lote}


@hookimpl
async def load_demo_data(usuarios: dict[str, Usuario]) -> None:
    """Three global macros (greeting, invoice resent, escalate to payments) and one personal
    of the demo agent (idempotent)."""
    from plugins.macros.demo import cargar_demo

    await cargar_demo(usuarios)


@hookimpl
def register_pages(app: web.Application) -> Iterable[Page]:
    """The console's "Macros" page (list, create, edit, delete); the picker of the ticket
    page's reply box is a fragment (``macros/_respuesta.html``)."""
    from core.pages import Page

    return [
        Page(
            path="/agente/macros/",
            template="macros/gestion.html",
            title=N_("Macros"),
            area="agente",
            nav=N_("Macros"),
            order=55,
        )
    ]
