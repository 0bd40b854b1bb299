"""axe-core in the browser tests: the accessibility rules every page must pass.

axe-core is the npm package pinned in ``tests/browser/package-lock.json`` (installed by
``scripts/guide-deps.sh``, hence by ``make test``). :func:`comprobar_accesibilidad` injects it
into the page and runs ``axe.run`` on the whole document: a violation of impact *serious* or
*critical* fails, listing every rule with its nodes; *moderate* and *minor* ones are reported
(a warning), not failing — the bar of issue 20.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Page

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
#: Where the page loads axe from: a path of its own origin that no route of the app serves.
AXE_URL = "/static/__pruebas__/axe.min.js"
#: The impacts that fail a page; the others are reported.
GRAVES = frozenset({"serious", "critical"})


class AvisoDeAccesibilidad(UserWarning):
    """A moderate or minor axe violation: shown in pytest's summary, never failing."""


def describir(violaciones: list[dict[str, Any]]) -> str:
    """Every violation as ``[impact] rule: help`` followed by its nodes (selector and summary)."""
    lineas: list[str] = []
    for v in violaciones:
        lineas.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for nodo in v["nodes"]:
            selector = " ".join(str(s) for s in nodo["target"])
            resumen = (nodo.get("failureSummary") or "").replace("\n", " ")
            lineas.append(f"    {selector} — {nodo['html'][:160]} — {resumen}")
    return "\n".join(lineas)


async def violaciones(page: Page) -> list[dict[str, Any]]:
    """axe's violations of the page as it is now (axe injected once per document)."""
    if not AXE.is_file():
        raise AssertionError(f"{AXE} is missing: run scripts/guide-deps.sh (make guide-deps)")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        # The pages' CSP allows no inline script (``add_script_tag(path=…)`` inlines the file
        # and is refused) and the walk must keep that CSP on, to catch violations: axe is
        # served as a script of the page's own origin, answered by the browser from the npm
        # file without reaching the server.
        await page.route(AXE_URL, lambda route: route.fulfill(path=AXE))
        await page.add_script_tag(url=AXE_URL)
    resultado: dict[str, Any] = await page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
    )
    lista: list[dict[str, Any]] = resultado["violations"]
    return lista


async def comprobar_accesibilidad(page: Page) -> list[dict[str, Any]]:
    """Run axe on ``page``: fail listing every serious/critical violation with its nodes;
    warn with the moderate and minor ones, which are returned."""
    todas = await violaciones(page)
    graves = [v for v in todas if v["impact"] in GRAVES]
    leves = [v for v in todas if v["impact"] not in GRAVES]
    if graves:
        raise AssertionError(f"axe en {page.url}:\n{describir(graves)}")
    if leves:
        warnings.warn(f"axe en {page.url}:\n{describir(leves)}", AvisoDeAccesibilidad, stacklevel=2)
    return leves
