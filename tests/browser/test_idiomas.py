"""The portal and the console in English (an English browser), with no Spanish text left, and
the layout's language switch."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from playwright.async_api import expect

from core.auth.models import Rol, Usuario
from core.i18n_catalog import read_catalog

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
