"""Hook implementations of the ``faq`` plugin: thin wiring only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookimpl
from core.i18n import N_
from plugins.faq import name, requires, version
from plugins.faq.demo import cargar_demo
from plugins.faq.routes import routes
from plugins.faq.service import preparar_busqueda

if TYPE_CHECKING:
    import random
    from collections.abc import AsyncIterator, Iterable
    from datetime import datetime

    from aiohttp import web

    from core.api.routing import Endpoint
    from core.app import BackgroundContext
    from core.auth.models import Usuario
    from core.pages import Page
    from core.synthetic import SyntheticUsers

__all__ = [
    "generate_synthetic_data",
    "load_demo_data",
    "name",
    "register_background",
    "register_models",
    "register_pages",
    "register_routes",
    "requires",
    "version",
]


@hookimpl
def register_models() -> Iterable[str]:
    """The FAQ and vote models."""
    return ["plugins.faq.models"]


@hookimpl
def register_routes(app: web.Application) -> Iterable[Endpoint]:
    """``/api/soporte/faqs/…``."""
    return routes.endpoints


async def _indice_de_busqueda(app: web.Application) -> AsyncIterator[None]:
    """Create (or repair) the full-text index at start-up.

    Tables come from migrations or ``generate_schemas``, neither of which knows the index (an
    FTS5 table on SQLite, a text search configuration and generated column on PostgreSQL), so
    the plugin makes sure it exists each time the app starts; the work is idempotent.
    """
    await preparar_busqueda()
    yield


@hookimpl
def register_background(app: web.Application) -> Iterable[BackgroundContext]:
    """The start-up step that prepares the search index."""
    return [_indice_de_busqueda]


@hookimpl
async def load_demo_data(usuarios: dict[str, Usuario]) -> None:
    """About 30 FAQs of a hotel and flight booking platform, and a few votes (idempotent)."""
    await cargar_demo(usuarios)


@hookimpl
async def generate_synthetic_data(
    usuarios: SyntheticUsers, n_tickets: int, rng: random.Random, ahora: datetime
) -> dict[str, int]:
    """Up to 1,000 FAQs (one per 10 tickets) and users' votes, in bulk; index rebuilt once."""
    from plugins.faq.demo import generar_sinteticos

    return await generar_sinteticos(usuarios, n_tickets, rng, ahora)


@hookimpl
def register_pages(app: web.Application) -> Iterable[Page]:
    """The public FAQ page (search, categories, votes) and the admins' FAQ management."""
    from core.auth.models import Rol
    from core.pages import Page

    return [
        Page(
            path="/faq/",
            template="faq/faq.html",
            title=N_("Preguntas frecuentes"),
            nav=N_("Preguntas frecuentes"),
            order=10,
            login=False,
        ),
        Page(
            path="/agente/faq/",
            template="faq/gestion.html",
            title=N_("Gestión de FAQ"),
            area="agente",
            nav=N_("FAQ"),
            order=60,
            rol=Rol.ADMIN,
        ),
    ]
