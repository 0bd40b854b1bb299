"""The portal and the console in English (an English browser), with no Spanish text left, and
the layout's language switch."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import expect

from core.auth.models import Rol, Usuario
from core.i18n_catalog import read_catalog
from tests.browser.test_primer_uso import crear

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador

#: The English login page's labels (``Navegador.entrar``).
INGLES = ("Username", "Password", "Log in")
_ENDONIMOS = frozenset({"Español", "English"})
#: Spanish function words: none may appear in an English page whose data is English.
_ESPANOL = re.compile(
    r"\b(de|del|el|la|los|las|que|para|por|con|una|sin|más|está|tus|aún|todavía|también)\b",
    re.IGNORECASE,
)


def _spanish_ids() -> set[str]:
    """Every catalog text whose English differs from its Spanish id (what must not be seen)."""
    return {
        str(m.id)
        for m in read_catalog("en")
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string != m.id
    }


async def _ingles(navegador: Navegador) -> BrowserContext:
    """A fresh browser profile whose language is British English (its Accept-Language)."""
    return await navegador.browser.new_context(
        base_url=navegador.base, viewport={"width": 1280, "height": 800}, locale="en-GB"
    )


async def _spanish_on(page: Page, ids: set[str]) -> list[str]:
    """The visible lines of ``page`` (and its controls' accessible texts) that are Spanish."""
    await expect(page.locator("body.listo")).to_be_attached()
    await page.wait_for_load_state("networkidle")
    texto: str = await page.evaluate(
        """() => [document.body.innerText,
                 ...[...document.querySelectorAll('[aria-label],[placeholder],[title]')].map(
                   (e) => e.getAttribute('aria-label') || e.getAttribute('placeholder') ||
                          e.getAttribute('title'))].join('\\n')"""
    )
    found = []
    for linea in (line.strip() for line in texto.splitlines()):
        if linea in _ENDONIMOS:  # the language switch names each language in itself
            continue
        if linea and (linea in ids or _ESPANOL.search(linea)):
            found.append(linea)
    return found


async def test_portal_and_console_in_english_show_no_spanish(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    await soporte.usuario("ana", Rol.CLIENTE, nombre="Ann Customer")
    await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Agent")
    ids = _spanish_ids()
    cliente = await navegador.pagina(await _ingles(navegador))
    await cliente.goto("/entrar/")
    await expect(cliente.locator("html")).to_have_attribute("lang", "en")
    await cliente.get_by_label("Username", exact=True).first.fill("ana")
    await cliente.get_by_label("Password", exact=True).first.fill("not-the-password")
    await cliente.get_by_role("button", name="Log in").click()
    # A wrong password: the server's message, in English.
    await expect(cliente.locator("#form-entrar .form-error")).to_have_text(
        "Wrong username or password."
    )
    await navegador.entrar(cliente, "ana", etiquetas=INGLES)
    await cliente.goto("/tickets/nuevo/")
    await cliente.get_by_label("Subject").fill("I cannot pay my booking")
    await cliente.get_by_label("Description").fill("The card payment fails at the last step.")
    await cliente.get_by_role("button", name="Create ticket").click()
    await cliente.wait_for_url(re.compile(r"/tickets/\d+/$"))
    await expect(cliente.locator(".insignia.estado")).to_have_text("Open")
    problemas: dict[str, list[str]] = {}
    for ruta in ("/", "/tickets/", "/tickets/nuevo/", "/faq/", "/perfil/", "/notificaciones/"):
        await cliente.goto(ruta)
        if found := await _spanish_on(cliente, ids):
            problemas[ruta] = found

    agente = await navegador.pagina(await _ingles(navegador))
    await navegador.entrar(agente, "carla", etiquetas=INGLES)
    for ruta in ("/agente/", "/agente/tickets/", "/agente/casos/", "/agente/faq/"):
        await agente.goto(ruta)
        if found := await _spanish_on(agente, ids):
            problemas[ruta] = found
    assert problemas == {}, json.dumps(problemas, ensure_ascii=False, indent=1)


async def test_the_language_switch_saves_to_the_profile(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    ana = await soporte.usuario("ana", Rol.CLIENTE, nombre="Ana")
    page = await navegador.pagina()
    await navegador.entrar(page, "ana")
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    await page.get_by_label("Idioma").select_option("en")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert (await Usuario.get(id=ana.id)).idioma == "en"
    # Another browser, a Spanish one: the profile's language wins once logged in.
    otra = await navegador.pagina()
    await navegador.entrar(otra, "ana")
    await expect(otra.locator("html")).to_have_attribute("lang", "en")


async def test_the_dashboard_in_english_charts_tables_and_definitions(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    ana = await soporte.usuario("ana", Rol.CLIENTE, nombre="Ann Customer")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Agent")
    for asunto in ("Payment fails", "Booking lost"):
        await crear(
            soporte,
            "/api/soporte/tickets/",
            ana,
            asunto=asunto,
            categoria="PAGOS",
            descripcion="It does not work.",
        )
    agente = await navegador.pagina(await _ingles(navegador))
    await navegador.entrar(agente, "carla", etiquetas=INGLES)
    await agente.goto("/agente/")
    await expect(agente.locator("#graficos")).to_have_attribute("aria-busy", "false")
    # The charts' titles (the page's) and their series (the server's), the backlog series
    # titled by the states' labels, not their raw values.
    await expect(agente.locator("[data-grupo='volumen'] figcaption")).to_contain_text(
        "Tickets created and resolved"
    )
    backlog = agente.locator("[data-grupo='backlog'] figcaption")
    await expect(backlog).to_contain_text("Open")
    await expect(backlog).to_contain_text("In progress")
    await expect(backlog).not_to_contain_text("ABIERTO")
    # The per-agent table: headings, the row of unassigned tickets, definitions on hover.
    tabla = agente.locator("[data-tabla='agentes']")
    await expect(tabla.get_by_role("heading", name=re.compile("^By agent"))).to_be_visible()
    await expect(tabla.get_by_role("region", name="By agent")).to_be_visible()
    await expect(tabla.get_by_role("columnheader", name=re.compile("^Assigned"))).to_be_visible()
    await expect(tabla.get_by_role("row", name=re.compile("^Unassigned"))).to_be_visible()
    definicion = agente.locator("[data-grupo='volumen'] .definicion").first
    assert (await definicion.get_attribute("title") or "").startswith("Tickets created that day")
    # The period selector and its status line.
    await agente.get_by_role("button", name="7 days").click()
    await expect(agente.locator("#periodo-estado")).to_contain_text("From ")
    ids = _spanish_ids()
    assert await _spanish_on(agente, ids) == []
    # The series' API answers in the request's language too (its problems included).
    r = await soporte.get(
        "/api/soporte/dashboard/series/?periodo=7d",
        headers={**soporte.auth(carla), "Accept-Language": "en"},
    )
    series = (await r.json())["series"]
    assert series["backlog_abierto"]["titulo"] == "Open"
    assert series["sla_incumplido"]["titulo"] == "SLA breached"
    r = await soporte.get(
        "/api/soporte/dashboard/series/?desde=2026-01-02&hasta=2026-01-01",
        headers={**soporte.auth(carla), "Accept-Language": "en"},
    )
    assert r.status == 400
    assert (await r.json())["detail"] == "“desde” must be on or before “hasta”."


async def test_the_error_pages_in_english(soporte: SoporteClient, navegador: Navegador) -> None:
    await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Agent")
    ids = _spanish_ids()
    page = await navegador.pagina(await _ingles(navegador))
    respuesta = await page.goto("/esto-no-existe/")
    assert respuesta is not None and respuesta.status == 404
    await expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    await expect(page).to_have_title(re.compile("^Page not found"))
    await expect(page.locator(".pagina-error")).to_contain_text("does not exist")
    assert await _spanish_on(page, ids) == []
    await page.get_by_role("link", name="Go to the home page").click()
    await page.wait_for_url(navegador.base + "/")

    agente = await navegador.pagina(await _ingles(navegador))
    await navegador.entrar(agente, "carla", etiquetas=INGLES)
    respuesta = await agente.goto("/agente/nada-de-nada/")
    assert respuesta is not None and respuesta.status == 404
    await expect(agente.get_by_role("link", name="Go to the dashboard")).to_be_visible()
    assert await _spanish_on(agente, ids) == []


async def test_the_home_faq_search_in_english(soporte: SoporteClient, navegador: Navegador) -> None:
    admin = await soporte.usuario("diego", Rol.ADMIN, nombre="Diego Admin")
    await crear(
        soporte,
        "/api/soporte/faqs/",
        admin,
        pregunta="How do I cancel a booking?",
        respuesta="Open My bookings and press Cancel.",
        categoria="Bookings",
    )
    ids = _spanish_ids()
    visitante = await navegador.pagina(await _ingles(navegador))
    await visitante.goto("/")
    buscador = visitante.get_by_role("search", name="Search the FAQ")
    campo = buscador.get_by_label("Search", exact=True)
    await expect(campo).to_have_attribute("placeholder", "For example: cancel a booking")
    await campo.fill("booking")
    resultados = visitante.locator("#inicio-faq-resultados")
    await expect(resultados).to_contain_text("How do I cancel a booking?")
    assert await _spanish_on(visitante, ids) == []
    await campo.fill("zzzzqx")
    await expect(resultados).to_contain_text("No results. Try other words or create a ticket.")
    assert await _spanish_on(visitante, ids) == []


# The built-in plugins only: an example plugin's policy describes itself in its own catalog.
@pytest.mark.plugins("tickets", "escalamiento")
async def test_the_rule_editor_in_english(soporte: SoporteClient, navegador: Navegador) -> None:
    diego = await soporte.usuario("diego", Rol.ADMIN, nombre="Diego Admin")
    await crear(
        soporte,
        "/api/soporte/escalamiento/reglas/",
        diego,
        nombre="Urgent ones",
        tiempo_respuesta_maximo=2,
        prioridades_escalamiento=["ALTA", "MEDIA"],
        niveles_escalamiento=[{"nivel": 1, "nombre": "First line", "notificar": ["ADMIN"]}],
        notificaciones_automaticas=True,
    )
    ids = _spanish_ids()
    admin = await navegador.pagina(await _ingles(navegador))
    await navegador.entrar(admin, "diego", etiquetas=INGLES)
    await admin.goto("/agente/escalamiento/reglas/")
    fila = admin.locator("#reglas tr[data-id]")
    await expect(fila).to_contain_text("High, Medium")  # priorities by their labels
    await expect(fila).to_contain_text("First line: All administrators")
    await expect(fila).to_contain_text("Always (no business hours)")
    await admin.get_by_role("button", name="New rule").click()
    await admin.get_by_label("Count only the time within business hours").check()
    await expect(admin.get_by_label("Name of level 1")).to_be_visible()
    await expect(admin.get_by_label("Start of time slot 1")).to_be_visible()
    await expect(admin.locator("#regla-politica-ayuda")).to_contain_text("Escalates one level")
    assert await _spanish_on(admin, ids) == []
