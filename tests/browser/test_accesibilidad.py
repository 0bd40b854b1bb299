"""The axe-core check itself: a serious violation fails naming its rule and node; a moderate
one is a warning, not a failure."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.accesibilidad import AvisoDeAccesibilidad, comprobar_accesibilidad

if TYPE_CHECKING:
    from tests.browser.conftest import Navegador


async def test_una_violacion_grave_falla_con_su_regla_y_su_nodo(navegador: Navegador) -> None:
    """A button without a name (axe's ``button-name``, critical) fails the check, which lists
    the rule and the element's selector."""
    page = await navegador.pagina()
    await page.goto("/faq/")
    await page.wait_for_load_state("networkidle")
    await page.evaluate(
        """() => document.querySelector("main").append(
             Object.assign(document.createElement("button"), {id: "sin-nombre"}))"""
    )
    with pytest.raises(AssertionError) as fallo:
        await comprobar_accesibilidad(page)
    assert "[critical] button-name" in str(fallo.value)
    assert "#sin-nombre" in str(fallo.value)


async def test_una_violacion_moderada_se_avisa_sin_fallar(navegador: Navegador) -> None:
    """A heading that skips levels (``heading-order``, moderate) is a warning, returned."""
    page = await navegador.pagina()
    await page.goto("/faq/")
    await page.wait_for_load_state("networkidle")
    await page.evaluate(
        """() => document.querySelector("main").append(
             Object.assign(document.createElement("h5"), {textContent: "Salto"}))"""
    )
    with pytest.warns(AvisoDeAccesibilidad, match="heading-order"):
        leves = await comprobar_accesibilidad(page)
    assert "heading-order" in {v["id"] for v in leves}
