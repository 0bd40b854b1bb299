"""Screenshots of the portal and the console for ``docs/ui.md`` (``docs/screenshots/*.png``).

    .venv/bin/python scripts/screenshots.py [--salida docs/screenshots]

Starts the app on a loopback port with a throwaway SQLite database and the demo data
(``soporte demo``), escalates the demo's overdue tickets, and photographs with Debian's Chromium
(``scripts/chromium.sh``): a few scenes (live chat, the widget, an FAQ open) at 1280×800 and
390×844, then every page of the browser walk (``tests/browser/paginas.py``: every registered
page, as the visitor, the customer or the admin opens it) at both widths, and writes their
table into docs/ui.md between its ``capturas`` markers. Nothing is downloaded.
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
from core.pages import SITE
from core.settings import Settings

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

ROOT = Path(__file__).resolve().parents[1]
# The browser tests' launch settings, so the screenshots see exactly what the tests see.
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.paginas import (  # noqa: E402
    ANCHOS,
    PARAMETRO,
    PERFILES,
    ejemplos,
    paginas_de,
    ruta_de,
)

ESCRITORIO = {"width": 1280, "height": 800}
MOVIL = {"width": 390, "height": 844}
UI_MD = ROOT / "docs" / "ui.md"
#: docs/ui.md's generated table of every page sits between these two lines.
INICIO_TABLA = "<!-- capturas: generado por scripts/screenshots.py -->"
FIN_TABLA = "<!-- /capturas -->"


async def preparar_datos(app: web.Application) -> dict[str, int]:
    """Demo users and data through every plugin, then one escalation pass two days ahead;
    the example ids of the detail pages."""
    with activate(app[keys.DB].ctx):
        usuarios = await ensure_demo_users()
        await app[keys.PLUGINS].load_demo_data(usuarios)
        if app[keys.PLUGINS].is_enabled("escalamiento"):
            from plugins.escalamiento import service
            from plugins.escalamiento.politicas import REGISTRO

            await service.escalar(
                app[keys.EVENTS], app[REGISTRO], ahora=datetime.now(UTC) + timedelta(days=2)
            )
        return await ejemplos(usuarios)


async def entrar(
    browser: Browser, base: str, usuario: str | None, viewport: dict[str, int]
) -> Page:
    """A page of a fresh browser profile, logged in as ``usuario`` (``None``: a visitor)."""
    ctx = await browser.new_context(base_url=base, viewport=viewport, locale="es-ES")
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    if usuario is None:
        return page
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


def nombre_de(perfil: str, ruta: str, ancho: str) -> str:
    """``<perfil>-<path, its parameters as "detalle">-<width>``: ``admin-agente-tickets-1280``."""
    partes = PARAMETRO.sub("detalle", ruta).strip("/").replace("/", "-") or "inicio"
    return f"{perfil}-{partes}-{ancho}"


async def fotografiar_recorrido(
    browser: Browser, base: str, app: web.Application, ids: dict[str, int], salida: Path
) -> list[str]:
    """Every page of the walk at both widths; the rows of docs/ui.md's table."""
    filas: list[str] = []
    usuarios = {"anonimo": None, "cliente": "cliente", "admin": "admin"}
    for perfil in PERFILES:
        paginas = paginas_de(perfil, app[SITE].pages)
        pestañas = {
            ancho: await entrar(browser, base, usuarios[perfil], {"width": w, "height": h})
            for ancho, (w, h) in ANCHOS.items()
        }
        for pagina in paginas:
            celdas = []
            for ancho, pestaña in pestañas.items():
                nombre = nombre_de(perfil, pagina.path, ancho)
                await foto(pestaña, salida, nombre, ruta_de(pagina, ids))
                celdas.append(
                    f'<img src="screenshots/{nombre}.png" width="{min(320, int(ancho))}">'
                )
            filas.append(
                f"| `{pagina.path}` {pagina.title} | {perfil} | " + " | ".join(celdas) + " |"
            )
    return filas


def escribir_tabla(filas: list[str], ui_md: Path = UI_MD) -> None:
    """Put the table of every page between docs/ui.md's markers (appended the first time)."""
    cabecera = "| page | who | " + " | ".join(f"{a} px" for a in ANCHOS) + " |"
    separador = "|---|---|" + "---|" * len(ANCHOS)
    tabla = "\n".join([INICIO_TABLA, cabecera, separador, *filas, FIN_TABLA])
    texto = ui_md.read_text(encoding="utf-8")
    if INICIO_TABLA in texto and FIN_TABLA in texto:
        antes, resto = texto.split(INICIO_TABLA, 1)
        despues = resto.split(FIN_TABLA, 1)[1]
        texto = antes + tabla + despues
    else:
        texto = texto.rstrip("\n") + "\n\n## Every page\n\n" + tabla + "\n"
    ui_md.write_text(texto, encoding="utf-8")


async def fotografiar(
    base: str, salida: Path, app: web.Application, ids: dict[str, int]
) -> list[str]:
    """Every screenshot of docs/ui.md; the rows of its table of every page."""
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
        filas = await fotografiar_recorrido(browser, base, app, ids, salida)
        await browser.close()
    return filas


async def main(salida: Path) -> list[str]:
    """Serve a demo app on a free loopback port, photograph it, stop it; the table's rows."""
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
            ids = await preparar_datos(app)
            print(f"capturas de http://127.0.0.1:{port} en {salida}")
            return await fotografiar(f"http://127.0.0.1:{port}", salida, app, ids)
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--salida", type=Path, default=ROOT / "docs" / "screenshots")
    salida = parser.parse_args().salida
    salida.mkdir(parents=True, exist_ok=True)
    filas = asyncio.run(main(salida))
    # docs/ui.md links docs/screenshots: another folder (a preview) leaves it alone.
    if salida.resolve() == (ROOT / "docs" / "screenshots").resolve():
        escribir_tabla(filas)
