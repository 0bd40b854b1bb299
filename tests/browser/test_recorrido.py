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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from core.cli import DEMO_USERS
from core.pages import SITE
from tests.browser.accesibilidad import comprobar_accesibilidad
from tests.browser.paginas import (
    ANCHOS,
    EJEMPLOS,
    ENTRAR,
    IDIOMAS,
    PERFILES,
    ejemplos,
    paginas_de,
    ruta_de,
    segmento_de,
)

if TYPE_CHECKING:
    from playwright.async_api import Page as Pestaña

    from core.auth.models import Usuario
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador


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
        await navegador.entrar(pestaña, perfil, DEMO_USERS[perfil][0], etiquetas=ENTRAR[idioma])
        # The page logged into answers in the browser's language (its Accept-Language).
        assert await pestaña.evaluate("document.documentElement.lang") == idioma
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
    detalles = {segmento_de(p) for _, p in paginas if p.has_params}
    assert detalles <= set(EJEMPLOS), f"detail pages without an example id: {detalles}"
