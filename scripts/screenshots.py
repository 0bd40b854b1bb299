"""Screenshots of the portal and the console for ``docs/ui.md`` (``docs/screenshots/*.png``).

    .venv/bin/python scripts/screenshots.py [--salida docs/screenshots]

Starts the app on a loopback port with a throwaway SQLite database and the demo data
(``soporte demo``), escalates the demo's overdue tickets, and photographs the main pages with
Debian's Chromium (``scripts/chromium.sh``) at 1280×800 and 360×740. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from playwright.async_api import async_playwright, expect

from core import keys
from core.app import create_app
from core.cli import DEMO_USERS, ensure_demo_users
from core.db import activate
from core.settings import Settings

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

ROOT = Path(__file__).resolve().parents[1]
# The browser tests' launch settings, so the screenshots see exactly what the tests see.
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

ESCRITORIO = {"width": 1280, "height": 800}
MOVIL = {"width": 360, "height": 740}


async def preparar_datos(app: web.Application) -> None:
    """Demo users and data through every plugin, then one escalation pass two days ahead."""
    with activate(app[keys.DB].ctx):
        usuarios = await ensure_demo_users()
        await app[keys.PLUGINS].load_demo_data(usuarios)
        if app[keys.PLUGINS].is_enabled("escalamiento"):
            from plugins.escalamiento import service
            from plugins.escalamiento.politicas import REGISTRO

            await service.escalar(
                app[keys.EVENTS], app[REGISTRO], ahora=datetime.now(UTC) + timedelta(days=2)
            )


async def entrar(browser: Browser, base: str, usuario: str, viewport: dict[str, int]) -> Page:
    """A logged-in page of a fresh browser profile."""
    ctx = await browser.new_context(base_url=base, viewport=viewport, locale="es-ES")
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    await page.goto("/entrar/")
    await page.get_by_label("Usuario", exact=True).first.fill(usuario)
    await page.get_by_label("Contraseña", exact=True).first.fill(DEMO_USERS[usuario][0])
    await page.get_by_role("button", name="Entrar").click()
    await page.wait_for_url(lambda url: "/entrar/" not in url)
    return page


async def foto(page: Page, salida: Path, nombre: str, ruta: str | None = None) -> None:
    """Open ``ruta`` (if given), let its requests settle, and save ``<nombre>.png``."""
    if ruta is not None:
        await page.goto(ruta)
    await page.wait_for_load_state("networkidle")
    await page.wait_for_timeout(300)  # fonts, transitions
    await page.screenshot(path=str(salida / f"{nombre}.png"))
    print(f"  {nombre}.png")


async def fotografiar(base: str, salida: Path) -> None:
    """Every screenshot of docs/ui.md."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cliente = await entrar(browser, base, "cliente", ESCRITORIO)
        await foto(cliente, salida, "portal-inicio", "/")
        await foto(cliente, salida, "portal-mis-tickets", "/tickets/")
        await foto(cliente, salida, "portal-nuevo-ticket", "/tickets/nuevo/")
        await cliente.goto("/faq/")
        await cliente.locator(".faq-item .faq-pregunta").first.click()
        await foto(cliente, salida, "portal-faq")
        await foto(cliente, salida, "portal-casos", "/casos/")

        # A ticket with live chat: the agent joins and both write.
        await cliente.goto("/tickets/")
        await cliente.locator(".ticket-card a").first.click()
        await cliente.wait_for_url("**/tickets/*/")
        ticket = cliente.url.rstrip("/").rsplit("/", 1)[1]
        agente = await entrar(browser, base, "agente", ESCRITORIO)
        await agente.goto(f"/agente/tickets/{ticket}/")
        for page in (cliente, agente):
            await expect(page.locator("#chat-ticket .status")).to_have_text("Conectado")
        await cliente.get_by_label("Mensaje de chat").fill("¿Alguna novedad sobre mi consulta?")
        await cliente.get_by_label("Mensaje de chat").press("Enter")
        await agente.get_by_label("Mensaje de chat").fill(
            "Sí, ya está en revisión: te escribo hoy."
        )
        await agente.get_by_label("Mensaje de chat").press("Enter")
        await agente.get_by_label("Mensaje de chat").press_sequentially("Un momento")
        await expect(cliente.locator("#conversacion")).to_contain_text("ya está en revisión")
        await foto(cliente, salida, "portal-ticket-chat")
        await foto(agente, salida, "agente-ticket-chat")

        await cliente.goto("/")
        await cliente.get_by_role("button", name="Abrir ayuda").click()
        await cliente.get_by_role("button", name="Preguntas Frecuentes").click()
        await cliente.locator("#widget-faq-q").fill("reembolso")
        await expect(cliente.locator("#widget-vista .faq-item").first).to_be_visible()
        await foto(cliente, salida, "portal-widget")

        await foto(agente, salida, "agente-dashboard", "/agente/")
        await foto(agente, salida, "agente-cola", "/agente/tickets/")
        await foto(agente, salida, "agente-casos", "/agente/casos/")
        await foto(agente, salida, "agente-escalamiento", "/agente/escalamiento/")
        admin = await entrar(browser, base, "admin", ESCRITORIO)
        await foto(admin, salida, "agente-reglas", "/agente/escalamiento/reglas/")
        await foto(admin, salida, "agente-faq", "/agente/faq/")

        movil = await entrar(browser, base, "cliente", MOVIL)
        await foto(movil, salida, "movil-inicio", "/")
        await foto(movil, salida, "movil-ticket", f"/tickets/{ticket}/")
        await movil.get_by_role("button", name="Abrir ayuda").click()
        await foto(movil, salida, "movil-widget")
        movil_agente = await entrar(browser, base, "agente", MOVIL)
        await foto(movil_agente, salida, "movil-agente-dashboard", "/agente/")
        await browser.close()


async def main(salida: Path) -> None:
    """Serve a demo app on a free loopback port, photograph it, stop it."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite://{tmp}/capturas.db",
            media_dir=Path(tmp) / "media",
            secret_key="capturas",
            plugin_settings={"escalamiento": {"interval": 0}},
            plugins=None,
            redis_url=None,
            public_url=None,
        )
        app = create_app(settings, generate_schemas=True)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            await preparar_datos(app)
            print(f"capturas de http://127.0.0.1:{port} en {salida}")
            await fotografiar(f"http://127.0.0.1:{port}", salida)
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--salida", type=Path, default=ROOT / "docs" / "screenshots")
    salida = parser.parse_args().salida
    salida.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(salida))
