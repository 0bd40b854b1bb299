"""The walk of issue 20's "Done when": every page of the portal and the console, at desktop
(1280×800) and phone (390×844) width, in Spanish and English, with the demo data loaded.

The pages come from the app's own registry (``core.pages.SITE``), so a page a plugin adds is
walked without touching this file; a page with path parameters needs an example id in
:data:`EJEMPLOS` (the test fails naming it otherwise). Each page is opened, left to settle
(no request in flight), and must show no console error, no failed request (an answer of 400
or more, or a network failure) and no axe-core violation of impact serious or critical
(moderate and minor ones are reported as warnings, see ``accesibilidad.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from core.cli import DEMO_USERS
from core.pages import SITE
from tests.browser.accesibilidad import comprobar_accesibilidad

if TYPE_CHECKING:
    from playwright.async_api import Page as Pestaña

    from core.auth.models import Usuario
    from core.pages import Page
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador

ANCHOS = {"1280": (1280, 800), "390": (390, 844)}
#: The browser's language (context locale → ``Accept-Language``).
IDIOMAS = {"es": "es-ES", "en": "en-US"}
#: Who walks which pages: visitors the pages open without a session, the demo customer the
#: rest of the portal, the demo admin every page of the console (agents see a subset).
PERFILES = ("anonimo", "cliente", "admin")
_PARAMETRO = re.compile(r"\{(\w+)(?::[^}]*)?\}")


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


def ruta_de(pagina: Page, ids: dict[str, int]) -> str:
    """The page's path with its parameters filled by an example id."""
    if not pagina.has_params:
        return pagina.path
    segmento = pagina.path.removeprefix("/agente/").strip("/").split("/")[0]
    if segmento not in ids:
        raise AssertionError(
            f"the page {pagina.path} has parameters and no example id: add {segmento!r} to "
            "EJEMPLOS and to ejemplos() in tests/browser/test_recorrido.py"
        )
    return _PARAMETRO.sub(str(ids[segmento]), pagina.path)


@dataclass
class Vigia:
    """What a tab does wrong while a page loads: console errors and failed requests."""

    problemas: list[str] = field(default_factory=list)

    def vigilar(self, pestaña: Pestaña) -> None:
        """Listen to the tab's console, uncaught errors, answers and failed requests."""

        def consola(msg: Any) -> None:
            # "Failed to load resource" repeats, without the URL, an answer that ``respuesta``
            # reports with it; the one load it alone sees is the browser's own implicit
            # /favicon.ico, which is no request of the page (the favicon has its own test).
            if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
                self.problemas.append(f"console error: {msg.text}")

        def respuesta(resp: Any) -> None:
            if resp.status >= 400:
                self.problemas.append(f"{resp.status} {resp.request.method} {resp.url}")

        def fallida(req: Any) -> None:
            # Navigating away cancels what the previous page had in flight (a poll, a socket):
            # that is the browser's doing, not a failure of the page.
            if req.failure != "net::ERR_ABORTED":
                self.problemas.append(f"failed {req.method} {req.url}: {req.failure}")

        pestaña.on("console", consola)
        pestaña.on("pageerror", lambda exc: self.problemas.append(f"page error: {exc}"))
        pestaña.on("response", respuesta)
        pestaña.on("requestfailed", fallida)


async def recorrer(pestaña: Pestaña, vigia: Vigia, rutas: list[str]) -> list[str]:
    """Open each path, let it settle, check it: every problem found, by page."""
    hallazgos: list[str] = []
    for ruta in rutas:
        vigia.problemas.clear()
        await pestaña.goto(ruta)
        await pestaña.wait_for_load_state("networkidle")
        try:
            await comprobar_accesibilidad(pestaña)
        except AssertionError as exc:
            vigia.problemas.append(str(exc))
        if not pestaña.url.endswith(ruta):
            vigia.problemas.append(f"sent elsewhere: {pestaña.url}")
        hallazgos.extend(f"{ruta}: {p}" for p in vigia.problemas)
    return hallazgos


@pytest.mark.parametrize("idioma", IDIOMAS)
@pytest.mark.parametrize("ancho", ANCHOS)
@pytest.mark.parametrize("perfil", PERFILES)
async def test_cada_pagina_sin_errores_ni_violaciones_graves(
    soporte: SoporteClient,
    navegador: Navegador,
    demo: dict[str, Usuario],
    perfil: str,
    ancho: str,
    idioma: str,
) -> None:
    """Every page of the registry that ``perfil`` may open, at ``ancho`` px in ``idioma``:
    no console error, no failed request, no axe violation above moderate."""
    ids = await ejemplos(demo)
    paginas = paginas_de(perfil, soporte.app[SITE].pages)
    assert paginas, f"no page for {perfil}"
    rutas = [ruta_de(p, ids) for p in paginas]

    w, h = ANCHOS[ancho]
    ctx = await navegador.contexto(w, h, locale=IDIOMAS[idioma])
    pestaña = await navegador.pagina(ctx)
    if perfil != "anonimo":
        await navegador.entrar(pestaña, perfil, DEMO_USERS[perfil][0])
    vigia = Vigia()
    vigia.vigilar(pestaña)
    hallazgos = await recorrer(pestaña, vigia, rutas)
    # The console listener of the fixture would report the same errors again at teardown.
    navegador.errores.clear()
    assert not hallazgos, f"{len(hallazgos)} problems:\n" + "\n".join(hallazgos)


def test_el_recorrido_cubre_cada_pagina_registrada(soporte: SoporteClient) -> None:
    """Every registered page is walked by some profile (none left out by the split)."""
    paginas = soporte.app[SITE].pages
    recorridas = {p.path for perfil in PERFILES for p in paginas_de(perfil, paginas)}
    faltan = {p.path for _, p in paginas} - recorridas
    assert not faltan, f"pages no profile walks: {sorted(faltan)}"
    detalles = {
        p.path.removeprefix("/agente/").strip("/").split("/")[0] for _, p in paginas if p.has_params
    }
    assert detalles <= set(EJEMPLOS), f"detail pages without an example id: {detalles}"
