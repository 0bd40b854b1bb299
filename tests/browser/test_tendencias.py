"""The console's dashboard trends (core/static/tendencias.js): a chart with a non-zero size per
group of series, the period selector (a segmented control, the current segment pressed)
refetching and living in the URL (the back button works), the tables from their own request
scrolling inside themselves, definitions drawn as a CSS badge and reachable by keyboard, the
header's language switch readable and as wide as its text — at 1280 and 390 px, with no console
error (the ``navegador`` fixture fails on any)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from core.auth.models import Rol
from core.testing import SoporteClient
from tests.browser.conftest import Navegador

GRUPOS = {"volumen", "tiempos", "csat", "sla", "backlog", "casos"}


async def _graficos_con_tamano(page: Page) -> set[str]:
    await expect(page.locator("#graficos")).to_have_attribute("aria-busy", "false")
    tamanos = await page.eval_on_selector_all(
        "#graficos canvas",
        "cs => cs.map(c => [c.dataset.grafico, c.getBoundingClientRect().width,"
        " c.getBoundingClientRect().height])",
    )
    return {g for g, ancho, alto in tamanos if ancho > 0 and alto > 0}


@pytest.mark.parametrize("ancho", [1280, 390])
async def test_graficos_periodo_y_tablas(
    soporte: SoporteClient, navegador: Navegador, ancho: int
) -> None:
    lucia = await soporte.usuario("lucia", Rol.CLIENTE)
    await soporte.usuario("carla", Rol.AGENTE)
    for i in range(3):
        r = await soporte.post(
            "/api/soporte/tickets/",
            json={"asunto": f"Consulta {i}", "categoria": "GENERAL", "descripcion": "Texto."},
            headers=soporte.auth(lucia),
        )
        assert r.status == 201
    page = await navegador.pagina(ancho=ancho, alto=800)
    pedidos: list[str] = []
    page.on(
        "request",
        lambda req: pedidos.append(req.url) if "/dashboard/series/" in req.url else None,
    )
    await navegador.entrar(page, "carla")
    await page.goto("/agente/")
    assert await _graficos_con_tamano(page) == GRUPOS
    assert any("/series/tablas/?periodo=30d" in u for u in pedidos)
    assert any("/series/?periodo=30d" in u for u in pedidos)
    await expect(page.get_by_role("button", name="30 días")).to_have_attribute(
        "aria-pressed", "true"
    )
    # The segments: one row of touching buttons at 1280 px, every one a finger's height.
    cajas = [await b.bounding_box() for b in await page.locator(".periodo-fijos button").all()]
    assert len(cajas) == 5 and all(c and c["height"] >= 38 for c in cajas)
    if ancho == 1280:
        assert len({round(c["y"]) for c in cajas if c}) == 1

    await page.get_by_role("button", name="7 días").click()
    await expect(page).to_have_url(re.compile(r"periodo=7d"))
    await expect(page.get_by_role("button", name="7 días")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(page.locator("#periodo-estado")).to_contain_text("Del ")
    assert "periodo=7d" in pedidos[-1]
    assert await _graficos_con_tamano(page) == GRUPOS

    await expect(page.get_by_label("Desde", exact=True)).to_be_hidden()
    await page.get_by_role("button", name="Personalizado").click()
    await expect(page.get_by_label("Desde", exact=True)).to_be_focused()
    await page.get_by_label("Desde", exact=True).fill("2026-01-01")
    await page.get_by_label("Hasta", exact=True).fill("2026-01-03")
    await page.get_by_role("button", name="Aplicar").click()
    await expect(page).to_have_url(re.compile(r"desde=2026-01-01"))
    await expect(page.locator("#periodo-estado")).to_contain_text("Del 2026-01-01 al 2026-01-03")
    await expect(page.get_by_role("button", name="Personalizado")).to_have_attribute(
        "aria-pressed", "true"
    )

    await page.go_back()  # the back button: the 7 days again, refetched
    await expect(page).to_have_url(re.compile(r"periodo=7d"))
    await expect(page.get_by_role("button", name="7 días")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert "periodo=7d" in pedidos[-1]

    # Tables: the agents' one lists the unassigned tickets, and scrolls within itself.
    tabla = page.locator("[data-tabla='agentes']")
    await expect(tabla.get_by_role("row", name="Sin asignar")).to_be_visible()
    ancho_pagina = await page.evaluate("document.documentElement.scrollWidth")
    assert ancho_pagina <= ancho, f"the dashboard is {ancho_pagina}px wide at {ancho}px"

    # A definition is reachable by keyboard and shown on focus.
    marca = page.locator("[data-grupo='volumen'] .definicion").first
    await marca.focus()
    await expect(marca).to_be_focused()
    assert "creados" in (await marca.get_attribute("title") or "").lower()
    # …drawn by CSS around a plain "i" (no glyph a font may lack), a circle of its own size.
    assert await marca.inner_text() == "i"
    caja = await marca.locator(".definicion-marca").bounding_box()
    assert caja and 12 <= caja["width"] <= 24 and abs(caja["width"] - caja["height"]) < 1

    # The header's language switch: its own width, dark text on its white box.
    selector = page.locator("#idioma-selector")
    caja = await selector.bounding_box()
    assert caja and caja["width"] < 160, caja
    color, fondo = await selector.evaluate(
        "s => [getComputedStyle(s).color, getComputedStyle(s).backgroundColor]"
    )
    assert color != fondo and fondo == "rgb(255, 255, 255)", (color, fondo)


async def test_tabla_de_agentes_con_el_resto_sumado_y_ver_todas(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """With more agents than the tables' 20 rows, the agents' table ends in «Otros (k)»; its
    button asks for every row (``filas=0``) and the table then lists each agent."""
    from plugins.tickets.models import Ticket

    lucia = await soporte.usuario("lucia", Rol.CLIENTE)
    await soporte.usuario("carla", Rol.AGENTE)
    for i in range(22):
        agente = await soporte.usuario(f"agente{i:02d}", Rol.AGENTE)
        r = await soporte.post(
            "/api/soporte/tickets/",
            json={"asunto": f"Consulta {i}", "categoria": "GENERAL", "descripcion": "Texto."},
            headers=soporte.auth(lucia),
        )
        assert r.status == 201
        await Ticket.filter(id=(await r.json())["id"]).update(agente_asignado_id=agente.id)
    page = await navegador.pagina(ancho=1280, alto=800)
    pedidos: list[str] = []
    page.on("request", lambda req: pedidos.append(req.url) if "/tablas/" in req.url else None)
    await navegador.entrar(page, "carla")
    await page.goto("/agente/")
    tabla = page.locator("[data-tabla='agentes']")
    await expect(tabla.get_by_role("row", name=re.compile(r"^Otros \(2\)"))).to_be_visible()
    await expect(tabla.locator("tbody tr")).to_have_count(21)
    await tabla.get_by_role("button", name="Ver todas las filas (2 más)").click()
    await expect(tabla.locator("tbody tr")).to_have_count(22)
    await expect(tabla.get_by_role("button")).to_have_count(0)
    assert "filas=0" in pedidos[-1]
