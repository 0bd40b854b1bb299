"""The pages of the walk: every page of the app's registry (``core.pages.SITE``), split by who
opens it, with detail pages' parameters filled from the demo data. Shared by the browser walk
(``test_recorrido.py``) and ``scripts/screenshots.py``, so both cover the same pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The registry's own pattern of a path parameter (``{id:\d+}``), not a second copy of it.
from core.pages import _PARAM as PARAMETRO

if TYPE_CHECKING:
    from core.auth.models import Usuario
    from core.pages import Page

ANCHOS = {"1280": (1280, 800), "390": (390, 844)}
#: The browser's language (context locale → ``Accept-Language``).
IDIOMAS = {"es": "es-ES", "en": "en-US"}
#: The login page's labels (username, password, button) in each language.
ENTRAR = {"es": ("Usuario", "Contraseña", "Entrar"), "en": ("Username", "Password", "Log in")}
#: Who walks which pages: visitors the pages open without a session, the demo customer the
#: rest of the portal, the demo admin every page of the console (agents see a subset).
PERFILES = ("anonimo", "cliente", "admin")


def paginas_de(perfil: str, paginas: list[tuple[str, Page]]) -> list[Page]:
    """The registered pages ``perfil`` walks."""
    if perfil == "anonimo":
        return [p for _, p in paginas if p.area == "cliente" and not p.login]
    if perfil == "cliente":
        return [p for _, p in paginas if p.area == "cliente" and (p.login or p.path == "/")]
    return [p for _, p in paginas if p.area == "agente"]


async def ejemplos(usuarios: dict[str, Usuario]) -> dict[str, int]:
    """An id of the demo data for each kind of detail page: the demo customer's own."""
    from plugins.casos.models import Caso
    from plugins.tickets.models import Ticket

    ticket = await Ticket.filter(cliente=usuarios["cliente"]).order_by("id").first()
    caso = await Caso.filter(cliente_afectado=usuarios["cliente"]).order_by("id").first()
    assert ticket is not None and caso is not None, "the demo data has no ticket or case"
    return {"tickets": ticket.id, "casos": caso.id}


#: Which example id fills a detail page's parameter: by the path's first segment (after
#: ``/agente/``). A plugin adding a detail page adds its segment here.
EJEMPLOS = ("tickets", "casos")


def segmento_de(pagina: Page) -> str:
    """The first segment of the page's path after ``/agente/`` (``tickets``, ``casos``…)."""
    return pagina.path.removeprefix("/agente/").strip("/").split("/")[0]


def ruta_de(pagina: Page, ids: dict[str, int]) -> str:
    """The page's path with its parameters filled by an example id."""
    if not pagina.has_params:
        return pagina.path
    segmento = segmento_de(pagina)
    if segmento not in ids:
        raise AssertionError(
            f"the page {pagina.path} has parameters and no example id: add {segmento!r} to "
            "EJEMPLOS and to ejemplos() in tests/browser/paginas.py"
        )
    return PARAMETRO.sub(str(ids[segmento]), pagina.path)
