"""Hook implementations of the ``casos`` plugin: thin wiring only.

Models, routes and services are imported inside the hooks, so that merely discovering the
plugin through its entry point (enabled or not) imports nothing but this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import hookimpl
from core.i18n import N_
from plugins.casos import name, requires, version

if TYPE_CHECKING:
    import random
    from collections.abc import Iterable
    from datetime import datetime

    from aiohttp import web
    from pydantic import BaseModel

    from core.api.routing import Endpoint
    from core.auth.models import Usuario
    from core.dashboard import Aporte, Partes, Periodo
    from core.pages import Page
    from core.synthetic import SyntheticUsers

__all__ = ["name", "requires", "version"]


@hookimpl
def register_models() -> Iterable[str]:
    """The case model lives in ``plugins.casos.models``."""
    return ["plugins.casos.models"]


@hookimpl
def register_routes(app: web.Application) -> Iterable[Endpoint]:
    """Create, list, urgent array, detail and agents' changes of cases; their history."""
    from plugins.casos import exportar, historial
    from plugins.casos.routes import routes

    return [*routes.endpoints, *historial.routes.endpoints, *exportar.routes.endpoints]


@hookimpl
def dashboard_stats_schema() -> type[BaseModel]:
    """``casos_criticos``, an integer."""
    from plugins.casos.schemas import EstadisticasCasos

    return EstadisticasCasos


@hookimpl
async def dashboard_stats(usuario: Usuario, desde: datetime) -> dict[str, Any]:
    """``casos_criticos``: open (ABIERTO, EN_INVESTIGACION) CRITICA cases, whatever their age."""
    from plugins.casos.service import contar_criticos

    return {"casos_criticos": await contar_criticos()}


@hookimpl
def dashboard_series_schema() -> type[BaseModel]:
    """``casos_abiertos``, per day."""
    from plugins.casos.tablero import SeriesCasos

    return SeriesCasos


@hookimpl
async def dashboard_series(usuario: Usuario, periodo: Periodo, partes: Partes) -> Aporte | None:
    """Cases opened each day (a series: nothing for the tables' request)."""
    from plugins.casos.tablero import series

    return await series(usuario, periodo) if partes.series else None


@hookimpl
async def load_demo_data(usuarios: dict[str, Usuario]) -> None:
    """A handful of realistic cases, some CRITICA and ALTA (idempotent)."""
    from plugins.casos.demo import cargar_demo

    await cargar_demo(usuarios)


@hookimpl
async def generate_synthetic_data(
    usuarios: SyntheticUsers, n_tickets: int, rng: random.Random, ahora: datetime
) -> dict[str, int]:
    """One case per 20 tickets over two years, in bulk."""
    from plugins.casos.demo import generar_sinteticos

    return await generar_sinteticos(usuarios, n_tickets, rng, ahora)


@hookimpl
def register_pages(app: web.Application) -> Iterable[Page]:
    """The customer's cases, new-case form and case page; the agents' cases with the urgent
    list and their case page."""
    from core.pages import Page

    return [
        Page(
            path="/casos/",
            template="casos/mis_casos.html",
            title=N_("Mis casos"),
            nav=N_("Mis casos"),
            order=40,
        ),
        Page(path="/casos/nuevo/", template="casos/nuevo.html", title=N_("Nuevo caso")),
        Page(path=r"/casos/{id:\d+}/", template="casos/detalle.html", title=N_("Caso")),
        Page(
            path="/agente/casos/",
            template="casos/agente.html",
            title=N_("Casos"),
            area="agente",
            nav=N_("Casos"),
            order=30,
        ),
        Page(
            path=r"/agente/casos/{id:\d+}/",
            template="casos/agente_detalle.html",
            title=N_("Caso"),
            area="agente",
        ),
    ]
