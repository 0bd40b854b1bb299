"""Browser tests: Debian's Chromium (``/usr/bin/chromium``, installed by ``scripts/chromium.sh``)
driven by playwright against a real server on a loopback port (the ``soporte`` fixture's test
server, all plugins enabled, a fresh database). Playwright never downloads a browser here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from playwright.async_api import async_playwright, expect

from core import keys
from core.cli import ensure_demo_users
from core.testing import TEST_PASSWORD

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from playwright.async_api import Browser, BrowserContext, Page

    from core.auth.models import Usuario
    from core.testing import SoporteClient

CHROMIUM = "/usr/bin/chromium"
#: Headless, as root, on a closed network: nothing may call home or wait for it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Playwright's waits, in ms: generous for a loaded 2-core machine, short enough to fail fast.
ESPERA_MS = 10_000
expect.set_options(timeout=ESPERA_MS)


@dataclass
class Navegador:
    """A Chromium with the test server's base URL; every page it opens is watched for errors."""

    browser: Browser
    base: str
    errores: list[str] = field(default_factory=list)

    async def contexto(
        self, ancho: int = 1280, alto: int = 800, locale: str = "es-ES"
    ) -> BrowserContext:
        """A fresh browser profile (its own localStorage: its own session); ``locale`` is the
        browser's language, sent as ``Accept-Language``."""
        ctx = await self.browser.new_context(
            base_url=self.base, viewport={"width": ancho, "height": alto}, locale=locale
        )
        ctx.set_default_timeout(ESPERA_MS)
        return ctx

    async def pagina(self, ctx: BrowserContext | None = None, **kw: Any) -> Page:
        """A new page whose JavaScript errors and CSP violations are recorded in ``errores``."""
        page = await (ctx or await self.contexto(**kw)).new_page()

        def consola(msg: Any) -> None:
            # A CSP violation or a failed module import shows up as a console error.
            if msg.type == "error" and "401" not in msg.text and "404" not in msg.text:
                self.errores.append(f"{page.url}: {msg.text}")

        page.on("console", consola)
        page.on("pageerror", lambda exc: self.errores.append(f"{page.url}: {exc}"))
        return page

    async def entrar(
        self,
        page: Page,
        username: str,
        password: str = TEST_PASSWORD,
        *,
        etiquetas: tuple[str, str, str] = ("Usuario", "Contraseña", "Entrar"),
    ) -> None:
        """Log in through the login page (POST /api/auth/token/, token in localStorage).

        A page already on the login page (sent there by a guard) keeps its ``?siguiente=``.
        ``etiquetas``: the labels of the username and password fields and of the button (the
        page's language's: ``("Username", "Password", "Log in")`` in English).
        """
        usuario, clave, boton = etiquetas
        if "/entrar/" not in page.url:
            await page.goto("/entrar/")
        await page.get_by_label(usuario, exact=True).first.fill(username)
        await page.get_by_label(clave, exact=True).first.fill(password)
        await page.get_by_role("button", name=boton).click()
        await page.wait_for_url(lambda url: "/entrar/" not in url)


@pytest.fixture
async def navegador(soporte: SoporteClient) -> AsyncIterator[Navegador]:
    """Chromium pointed at the running test server; fails the test on any page error."""
    base = str(soporte.client.make_url("/")).rstrip("/")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        nav = Navegador(browser, base)
        try:
            yield nav
        finally:
            await browser.close()
    assert not nav.errores, "errors in the browser:\n" + "\n".join(nav.errores)


@pytest.fixture
async def demo(soporte: SoporteClient) -> dict[str, Usuario]:
    """The demo accounts (``core.cli.DEMO_USERS``, their own passwords) and every plugin's demo
    data, as ``make run`` loads them: pages with realistic content to walk."""
    usuarios = await ensure_demo_users()
    await soporte.app[keys.PLUGINS].load_demo_data(usuarios)
    return usuarios
