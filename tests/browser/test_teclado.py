"""Keyboard only: the skip link, every control of the console's queue and of the portal's
new-ticket form reached with Tab (each showing where the focus is), and operated with the keys
a keyboard user has (Space, Enter, arrows), the bulk action bar included.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from playwright.async_api import expect

from core.cli import DEMO_USERS

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

    from core.auth.models import Usuario
    from tests.browser.conftest import Navegador

#: How a control is named in these tests: its tag and its accessible name. By name, not by a
#: mark on the element: a live update (the queue's socket) may redraw the rows between the
#: listing and the Tabs, and the redrawn controls are the same ones to a keyboard user.
_DESCRIBIR = """(el) => {
  const nombre = el.getAttribute("aria-label") || el.labels?.[0]?.textContent
                 || el.textContent || el.name || el.id || "";
  return `${el.tagName.toLowerCase()} ${nombre.trim().slice(0, 60)}`;
}"""
#: The descriptions of every visible, enabled, tabbable control inside ``raiz``, and how many
#: the whole page has.
_LISTAR = f"""(raiz) => {{
  const describir = {_DESCRIBIR};
  const tabulables = (dentro) => [...dentro.querySelectorAll(
      "a[href], button, input, select, textarea, [tabindex]")]
    .filter((el) => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length > 0
                    && getComputedStyle(el).visibility !== "hidden");
  const controles = tabulables(document.querySelector(raiz)).map(describir);
  return {{controles, enPagina: tabulables(document).length}};
}}"""
#: The focused element's description when it is inside ``raiz`` (else null), and whether the
#: focus is drawn (an outline or a shadow).
_ENFOCADO = f"""(raiz) => {{
  const describir = {_DESCRIBIR};
  const el = document.activeElement;
  const estilo = getComputedStyle(el);
  const visible = (estilo.outlineStyle !== "none" && parseFloat(estilo.outlineWidth) > 0)
                  || estilo.boxShadow !== "none";
  const dentro = document.querySelector(raiz)?.contains(el) && el !== document.querySelector(raiz);
  return {{control: dentro ? describir(el) : null, visible, html: el.outerHTML.slice(0, 120)}};
}}"""


async def tabular_hasta_cubrir(page: Page, raiz: str) -> None:
    """Press Tab until every control of ``raiz`` had the focus, each with a visible focus
    indicator; fail naming the controls never reached (or reached without one)."""
    listados: dict[str, Any] = await page.evaluate(_LISTAR, raiz)
    controles: set[str] = set(listados["controles"])
    assert controles, f"no control in {raiz}"
    alcanzados: set[str] = set()
    sin_foco_visible: list[str] = []
    # From wherever the focus is, once round the whole page (a date field takes a Tab per
    # part: twice the page's controls is more than enough).
    for _ in range(2 * listados["enPagina"] + 5):
        await page.keyboard.press("Tab")
        enfocado: dict[str, Any] = await page.evaluate(_ENFOCADO, raiz)
        if enfocado["control"] is not None:
            alcanzados.add(enfocado["control"])
            if not enfocado["visible"]:
                sin_foco_visible.append(enfocado["html"])
        if controles <= alcanzados:
            break
    faltan = sorted(controles - alcanzados)
    assert not faltan, f"never reached with Tab in {raiz}: {faltan}"
    assert not sin_foco_visible, f"focus not drawn: {sin_foco_visible}"


async def saltar_al_contenido(page: Page) -> None:
    """On a page just loaded, the first Tab shows the skip link; Enter on it puts the focus on
    the main content."""
    await page.keyboard.press("Tab")
    saltar = page.get_by_role("link", name="Saltar al contenido")
    await expect(saltar).to_be_focused()
    caja = await saltar.bounding_box()
    assert caja is not None and caja["x"] >= 0, "the skip link stays off screen when focused"
    await page.keyboard.press("Enter")
    await expect(page.locator("main#contenido")).to_be_focused()


async def tab_a(page: Page, control: Locator) -> None:
    """One Tab puts the focus on ``control`` (the next control in the page's order)."""
    await page.keyboard.press("Tab")
    await expect(control).to_be_focused()


async def una_flecha_cambia(page: Page, select: Locator) -> None:
    """An arrow key on the focused ``select`` chooses another option (no mouse, no popup):
    ArrowDown, or ArrowUp when the preselected option is the last one (a new ticket's
    default category, General, is)."""
    antes = await select.input_value()
    ultima = await select.evaluate("s => s.selectedIndex === s.options.length - 1")
    tecla = "ArrowUp" if ultima else "ArrowDown"
    await page.keyboard.press(tecla)
    assert await select.input_value() != antes, f"{tecla} does not change {select}"


async def test_la_cola_de_la_consola_con_el_teclado(
    navegador: Navegador, demo: dict[str, Usuario]
) -> None:
    """Queue: the skip link, every filter, checkbox, link and select reached with Tab; a row
    selected with Space opens the bulk bar, a state chosen with the arrows and "Aplicar"
    pressed with Enter change the ticket; "Quitar selección" gives the focus back to the
    row's checkbox instead of dropping it with the bar."""
    page = await navegador.pagina()
    await navegador.entrar(page, "agente", DEMO_USERS["agente"][0])
    await page.goto("/agente/tickets/")
    filas = page.locator("#cola tr[data-id]")
    await expect(filas.first).to_be_visible()

    await saltar_al_contenido(page)
    await tabular_hasta_cubrir(page, "main#contenido")

    # Select the first row with Space: the bar appears.
    casilla = filas.first.locator("input.lote-casilla")
    numero = await filas.first.locator("a").first.inner_text()
    await casilla.focus()
    await page.keyboard.press("Space")
    await expect(casilla).to_be_checked()
    barra = page.get_by_role("form", name="Acciones en lote")
    await expect(barra).to_be_visible()
    await tabular_hasta_cubrir(page, "#barra-lote")

    # Choose "Resuelto" with the arrow keys, apply with Enter.
    estado = barra.get_by_label("Cambiar estado de los seleccionados")
    await estado.focus()
    while await estado.input_value() != "RESUELTO":
        await page.keyboard.press("ArrowDown")
    await barra.get_by_role("button", name="Aplicar").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#lote-resultado")).to_contain_text("1 de 1 tickets actualizados")
    fila = page.locator("#cola tr[data-id]", has=page.get_by_role("link", name=numero))
    await expect(fila.locator("select").first).to_have_value("RESUELTO")
    # Applied, the selection is over and the bar hides: the focus must not fall to the body.
    pagina = page.get_by_label("Seleccionar los tickets de esta página")
    await expect(barra).to_be_hidden()
    await expect(pagina).to_be_focused()

    # Select again (the page's checkbox, Space), then "Quitar selección" with Enter: the same.
    await page.keyboard.press("Space")
    await expect(barra).to_be_visible()
    await barra.get_by_role("button", name="Quitar selección").focus()
    await page.keyboard.press("Enter")
    await expect(barra).to_be_hidden()
    await expect(pagina).to_be_focused()
    await expect(casilla).not_to_be_checked()


async def test_el_formulario_de_nuevo_ticket_con_el_teclado(
    navegador: Navegador, demo: dict[str, Usuario]
) -> None:
    """New ticket: every control reached with Tab; filled in by typing and arrow keys, sent
    with Enter on "Crear ticket", it opens the new ticket's page."""
    page = await navegador.pagina()
    await navegador.entrar(page, "cliente", DEMO_USERS["cliente"][0])
    await page.goto("/tickets/nuevo/")
    await saltar_al_contenido(page)
    await tabular_hasta_cubrir(page, "#form-ticket")

    # Anew, without the #contenido the skip link left in the address (Tab would start there).
    await page.goto("/tickets/nuevo/")
    await saltar_al_contenido(page)
    await tab_a(page, page.get_by_label("Asunto"))
    await page.keyboard.type("No llega el correo de confirmación")
    categoria = page.get_by_label("Categoría")
    await tab_a(page, categoria)
    await una_flecha_cambia(page, categoria)
    elegida = await categoria.locator("option:checked").inner_text()
    prioridad = page.get_by_label("Prioridad")
    await tab_a(page, prioridad)
    await una_flecha_cambia(page, prioridad)
    await tab_a(page, page.get_by_label("Reserva relacionada (opcional)"))
    await tab_a(page, page.get_by_label("Descripción"))
    await page.keyboard.type("Reservé ayer y no recibí nada.")
    await tab_a(page, page.get_by_label("Archivos adjuntos"))
    await tab_a(page, page.get_by_role("button", name="Crear ticket"))
    await page.keyboard.press("Enter")

    await page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    await expect(page.locator("#ticket-titulo")).to_contain_text(
        "No llega el correo de confirmación"
    )
    await expect(page.locator("#ticket-datos")).to_contain_text(elegida)
