"""Hook implementations of the ``tickets`` plugin: thin wiring only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from core import hookimpl
from core.i18n import N_
from plugins.tickets import hookspecs, name, requires, version

if TYPE_CHECKING:
    import random
    from collections.abc import AsyncIterator
    from datetime import datetime

    import pluggy
    from aiohttp import web
    from pydantic import BaseModel

    from core.api import Endpoint
    from core.auth.models import Usuario
    from core.dashboard import Aporte, Partes, Periodo
    from core.events import Listener
    from core.pages import Page
    from core.plugin_contract import BackgroundContext
    from core.synthetic import SyntheticUsers
    from plugins.tickets.settings import TicketsSettings

__all__ = ["name", "requires", "version"]


@hookimpl
def register_hookspecs(plugin_manager: pluggy.PluginManager) -> None:
    """Declare ``validate_reserva`` for the host platform's booking plugin and
    ``register_ticket_bulk_actions`` for plugins contributing bulk actions."""
    plugin_manager.add_hookspecs(hookspecs)


@hookimpl
def register_settings() -> type[TicketsSettings]:
    """``lote_maximo`` (``SOPORTE_TICKETS_LOTE_MAXIMO``)."""
    from plugins.tickets.settings import TicketsSettings

    return TicketsSettings


def ajustes(app: web.Application) -> TicketsSettings:
    """This plugin's settings on ``app``."""
    from core.plugin_settings import plugin_settings
    from plugins.tickets.settings import TicketsSettings

    return plugin_settings(app, name, TicketsSettings)


@hookimpl
def register_models() -> Iterable[str]:
    """Tickets, replies, attachments and ratings."""
    return ["plugins.tickets.models"]


@hookimpl
def register_routes(app: web.Application) -> Iterable[Endpoint]:
    """The tickets API of docs/api.md, "Tickets"; collects the bulk actions other plugins
    contribute (hook ``register_ticket_bulk_actions``) once, failing the start-up on a
    duplicate name."""
    from core import keys
    from plugins.tickets import exportar, historial, lote
    from plugins.tickets.routes import routes

    if lote.ACCIONES not in app:
        app[lote.ACCIONES] = lote.cargar_acciones(app[keys.PLUGINS])
    return [
        *routes.endpoints,
        *lote.routes.endpoints,
        *historial.routes.endpoints,
        *exportar.routes.endpoints,
    ]


@hookimpl
def register_listeners() -> Iterable[Listener]:
    """The change history and the search index: both written in the change's transaction."""
    from plugins.tickets import busqueda
    from plugins.tickets.historial import LISTENERS

    return [*LISTENERS, *busqueda.LISTENERS]


async def _totales(app: web.Application) -> AsyncIterator[None]:
    """Create (or repair) the maintained totals (:mod:`plugins.tickets.agregados`), the search
    index (:mod:`plugins.tickets.busqueda`) and PostgreSQL's own indexes
    (:mod:`plugins.tickets.indices`) at start-up."""
    from plugins.tickets import agregados, agregados_periodo, busqueda, indices

    await indices.preparar()
    await agregados.preparar()
    await agregados_periodo.preparar()
    await busqueda.preparar()
    yield


#: Name of the orphan-upload sweep's asyncio task (tests and operators can find it by name).
NOMBRE_BARRIDO = "soporte-barrido-adjuntos"


async def _barrido(app: web.Application) -> AsyncIterator[None]:
    """The orphan-upload sweep (:mod:`plugins.tickets.limpieza`) for the life of the app."""
    import functools
    from datetime import timedelta

    from core import keys
    from core.background import running
    from plugins.tickets.limpieza import bucle

    settings = app[keys.SETTINGS]
    trabajo = functools.partial(
        bucle,
        app[keys.STORAGE],
        timedelta(hours=settings.upload_orphan_hours),
        settings.upload_sweep_interval_seconds,
    )
    # A batch is one short statement: let it finish, cancel a stuck one.
    async with running(trabajo, name=NOMBRE_BARRIDO, grace=10):
        yield


@hookimpl
def register_background(app: web.Application) -> Iterable[BackgroundContext]:
    """The start-up step that prepares the totals the dashboard and the agents' list read and
    the search index;
    and the orphan-upload sweep every ``SOPORTE_UPLOAD_SWEEP_INTERVAL_SECONDS`` (0: none)."""
    from core import keys

    if app[keys.SETTINGS].upload_sweep_interval_seconds > 0:
        return [_totales, _barrido]
    return [_totales]


@hookimpl
def dashboard_stats_schema() -> type[BaseModel]:
    """The keys of :func:`dashboard_stats`."""
    from plugins.tickets.schemas import EstadisticasTickets

    return EstadisticasTickets


@hookimpl
async def dashboard_stats(usuario: Usuario, desde: datetime) -> dict[str, Any]:
    """``tickets_abiertos``, ``tiempo_promedio_respuesta`` and ``satisfaccion_promedio``."""
    from plugins.tickets.service import estadisticas

    return await estadisticas(desde)


@hookimpl
def dashboard_series_schema() -> type[BaseModel]:
    """The series and tables of :func:`dashboard_series`."""
    from plugins.tickets.tablero import SeriesTickets

    return SeriesTickets


@hookimpl
async def dashboard_series(usuario: Usuario, periodo: Periodo, partes: Partes) -> Aporte:
    """Tickets created and resolved, first-response and resolution times, CSAT and backlog
    per day; or the tables per agent and per team (as ``partes`` asks)."""
    from plugins.tickets.tablero import series

    return await series(usuario, periodo, partes)


@hookimpl
async def load_demo_data(usuarios: dict[str, Usuario]) -> None:
    """Realistic tickets of a booking platform, with the agent's replies (idempotent)."""
    from plugins.tickets.demo import cargar_demo

    await cargar_demo(usuarios)


@hookimpl
def register_pages(app: web.Application) -> Iterable[Page]:
    """Customers: their tickets, a new ticket, a ticket's detail. Agents: the queue, a detail."""
    from core.pages import Page

    return [
        Page(
            path="/tickets/",
            template="tickets/mis_tickets.html",
            title=N_("Mis tickets"),
            nav=N_("Mis tickets"),
            order=20,
        ),
        Page(
            path="/tickets/nuevo/",
            template="tickets/nuevo.html",
            title=N_("Nuevo ticket"),
            nav=N_("Nuevo ticket"),
            order=30,
        ),
        Page(path=r"/tickets/{id:\d+}/", template="tickets/detalle.html", title=N_("Ticket")),
        Page(
            path="/agente/tickets/",
            template="tickets/cola.html",
            title=N_("Cola de tickets"),
            area="agente",
            nav=N_("Tickets"),
            order=10,
        ),
        Page(
            path=r"/agente/tickets/{id:\d+}/",
            template="tickets/agente_detalle.html",
            title=N_("Ticket"),
            area="agente",
        ),
    ]


@hookimpl
async def generate_synthetic_data(
    usuarios: SyntheticUsers, n_tickets: int, rng: random.Random, ahora: datetime
) -> dict[str, int]:
    """``n_tickets`` tickets over two years, with conversations and ratings, in bulk."""
    from plugins.tickets.demo import generar_sinteticos

    return await generar_sinteticos(usuarios, n_tickets, rng, ahora)
