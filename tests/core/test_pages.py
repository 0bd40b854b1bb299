"""Server-rendered pages (``core/pages.py``): the ``register_pages`` hook, the security headers,
autoescaping, static folders and fragments found by convention, and what a disabled plugin
takes away. The templates and scripts of every plugin are scanned for inline code too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from core import hookimpl
from core.auth.models import Rol
from core.pages import CONTENT_SECURITY_POLICY, SITE, Page
from core.plugins import PluginError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import web

    from core.testing import SoporteClient

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    [*ROOT.glob("core/templates/**/*.html"), *ROOT.glob("plugins/*/templates/**/*.html")]
)
SCRIPTS = sorted([*ROOT.glob("core/static/**/*.js"), *ROOT.glob("plugins/*/static/**/*.js")])


class Paginas:
    """An ad-hoc plugin with pages, a template folder, a static folder and a fragment."""

    name = "paginas"
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self, carpeta: Path, paginas: list[Page] | None = None) -> None:
        # Templates and static files are found beside the plugin's module file.
        self.__file__ = str(carpeta / "plugin.py")
        plantillas = carpeta / "templates" / "paginas"
        plantillas.mkdir(parents=True, exist_ok=True)
        (plantillas / "eco.html").write_text(
            '{% extends "core/layout.html" %}{% block content %}'
            '<p id="eco">{{ params.texto }}</p>{% endblock %}'
        )
        (plantillas / "_widget.html").write_text(
            '<button type="button" class="opcion-menu" data-vista="eco" '
            'data-modulo="/static/paginas/eco.js"><span class="label">Eco</span></button>'
        )
        (carpeta / "static").mkdir(exist_ok=True)
        (carpeta / "static" / "eco.js").write_text("export function montar() {}\n")
        self.paginas = paginas or [
            Page(path="/eco/", template="paginas/eco.html", title="Eco", nav="Eco", order=5),
            Page(path="/eco/{texto}/", template="paginas/eco.html", title="Eco", login=False),
            Page(
                path="/agente/eco/",
                template="paginas/eco.html",
                title="Eco",
                area="agente",
                nav="Eco admin",
                order=70,
                rol=Rol.ADMIN,
            ),
        ]

    @hookimpl
    def register_pages(self, app: web.Application) -> list[Page]:
        return self.paginas


def ruta_de(page: Page) -> str:
    """A concrete address of a page (parameters filled with ``1``)."""
    return re.sub(r"\{[^}]+\}", "1", page.path)


# --- the hook --------------------------------------------------------------------------------


async def test_hook_register_pages_adds_pages_and_navigation(
    arrancar: Callable[..., Awaitable[SoporteClient]], tmp_path: Path
) -> None:
    """A plugin's pages are served, listed in its area's navigation in order, and admin-only
    entries are marked for the browser-side guard."""
    cliente = await arrancar(extra=[Paginas(tmp_path)])
    r = await cliente.get("/eco/")
    assert r.status == 200
    html = await r.text()
    assert "<title>Eco · Centro de ayuda</title>" in html
    assert 'data-area="cliente" data-login="true"' in html
    nav = re.findall(r'<a href="([^"]+)"(?: aria-current="page")?>([^<]+)</a>', html)
    assert nav == [("/", "Inicio"), ("/eco/", "Eco")]
    assert '<a href="/eco/" aria-current="page">Eco</a>' in html

    consola = await (await cliente.get("/agente/eco/")).text()
    assert 'data-area="agente" data-login="true" data-rol="ADMIN"' in consola
    assert '<li data-rol="ADMIN" hidden>\n        <a href="/agente/eco/"' in consola
    assert "Eco admin" not in await (await cliente.get("/")).text()

    site = cliente.app[SITE]
    # The core's admin pages (teams, users) are there too, the plugin's after them by order.
    entradas = [(e.href, e.label) for e in site.nav("agente")]
    assert entradas[0] == ("/agente/", "Dashboard")
    assert ("/agente/eco/", "Eco admin") in entradas
    assert {("/agente/equipos/", "Equipos"), ("/agente/usuarios/", "Usuarios")} <= set(entradas)


async def test_hook_register_pages_pages_answer_without_their_slash(
    arrancar: Callable[..., Awaitable[SoporteClient]], tmp_path: Path
) -> None:
    """``/eco`` redirects permanently to ``/eco/``, keeping the query string."""
    cliente = await arrancar(extra=[Paginas(tmp_path)])
    r = await cliente.get("/eco?q=1", allow_redirects=False)
    assert r.status == 308
    assert r.headers["Location"] == "/eco/?q=1"


@pytest.mark.parametrize(
    ("pagina", "motivo"),
    [
        (Page(path="/api/eco/", template="paginas/eco.html", title="x"), "/api/"),
        (Page(path="/static/eco/", template="paginas/eco.html", title="x"), "/api/"),
        (Page(path="/eco/", template="paginas/eco.html", title="x", area="agente"), "agent"),
        (Page(path="/agente/eco/", template="paginas/eco.html", title="x"), "agent"),
        (Page(path="/eco", template="paginas/eco.html", title="x"), "starts and ends"),
        (Page(path="/entrar/", template="paginas/eco.html", title="x"), "already declared"),
        (
            Page(path=r"/eco/{id:\d+}/", template="paginas/eco.html", title="x", nav="Eco"),
            "path parameters",
        ),
    ],
)
async def test_hook_register_pages_refuses_bad_pages(
    make_app: Callable[..., web.Application], tmp_path: Path, pagina: Page, motivo: str
) -> None:
    """A page that would shadow the API, sit in the wrong area, repeat a path or put a
    parameterised page in the menu stops the app with an error naming the plugin."""
    with pytest.raises(PluginError, match="'paginas'") as error:
        make_app(plugins=[], extra=[Paginas(tmp_path, [pagina])])
    assert motivo in str(error.value)


# --- security headers and escaping --------------------------------------------------------------


async def test_every_page_of_every_plugin_has_the_strict_csp(soporte: SoporteClient) -> None:
    """All built-in plugins: every page (and the API docs page) is HTML with the CSP, nosniff
    and no-referrer-leak headers; the JSON API and static files get nosniff."""
    pages = soporte.app[SITE].pages
    assert {plugin for plugin, _ in pages} == {
        "core",
        "tickets",
        "faq",
        "casos",
        "escalamiento",
        "notificaciones",
        "macros",
    }
    for _plugin, page in [*pages, ("core", Page(path="/api/docs/", template="", title=""))]:
        r = await soporte.get(ruta_de(page))
        assert r.status == 200, page.path
        assert r.content_type == "text/html"
        assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"
    for ruta in ("/api/soporte/faqs/", "/static/core/app.js", "/static/tickets/detalle.js"):
        r = await soporte.get(ruta)
        assert r.status == 200, ruta
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in r.headers
    assert (await soporte.get("/static/core/app.js")).content_type in {
        "application/javascript",
        "text/javascript",
    }


#: What a browser sends when it navigates to an address (Chromium's Accept).
NAVEGADOR = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_an_unknown_page_is_an_html_404_in_the_layout(soporte: SoporteClient) -> None:
    """A browser gets a page of the portal (or console) with a way back; the API and a
    ``fetch`` keep problem+json."""
    r = await soporte.get("/no-existe/", headers=NAVEGADOR)
    assert r.status == 404
    assert r.content_type == "text/html"
    assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert r.headers["X-Request-Id"]
    html = await r.text()
    assert "Página no encontrada" in html and 'href="/"' in html
    assert 'class="navegacion"' in html  # the portal's layout, navigation included
    r = await soporte.get("/agente/no-existe/", headers=NAVEGADOR)
    assert r.status == 404 and 'data-area="agente"' in await r.text()
    for ruta, headers in (
        ("/no-existe/", {"Accept": "application/json"}),
        ("/no-existe/", {"Accept": "*/*"}),
        ("/api/soporte/tickets/999/", NAVEGADOR),
        ("/api/no-existe/", NAVEGADOR),
    ):
        r = await soporte.get(ruta, headers=headers)
        assert r.status in (401, 404), ruta
        assert r.content_type == "application/problem+json", (ruta, headers)
    r = await soporte.post("/no-existe/", headers=NAVEGADOR)
    assert r.content_type == "application/problem+json"


async def test_a_bad_download_link_opened_in_a_browser_is_an_html_403(
    soporte: SoporteClient,
) -> None:
    r = await soporte.get("/api/descargas/no-vale/", headers=NAVEGADOR)
    assert r.status == 403 and r.content_type == "text/html"
    html = await r.text()
    assert "Acceso denegado" in html and "El enlace de descarga no es válido." in html
    r = await soporte.get("/api/descargas/no-vale/")
    assert r.status == 403 and r.content_type == "application/problem+json"


async def test_the_favicon_is_an_icon_every_page_links(soporte: SoporteClient) -> None:
    r = await soporte.get("/favicon.ico")
    assert r.status == 200
    assert (await r.read())[:4] == b"\x00\x00\x01\x00"  # the ICO signature
    for ruta in ("/", "/agente/", "/faq/"):
        assert 'rel="icon" href="/favicon.ico"' in await (await soporte.get(ruta)).text()
    r = await soporte.get("/static/core/favicon.svg")
    assert r.status == 200 and "<svg" in await r.text()


def test_the_policy_forbids_inline_code_and_framing() -> None:
    """No 'unsafe-inline' anywhere; scripts and styles only from this origin; never framed."""
    directivas = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directivas["script-src"] == "'self'"
    assert directivas["style-src"] == "'self'"
    assert directivas["default-src"] == "'self'"
    assert directivas["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


async def test_templates_autoescape_what_they_render(
    arrancar: Callable[..., Awaitable[SoporteClient]], tmp_path: Path
) -> None:
    """A path parameter rendered by a template comes out escaped."""
    cliente = await arrancar(extra=[Paginas(tmp_path)])
    r = await cliente.get("/eco/%3Cscript%3Ealert(1)%3C%2Fscript%3E%22/")
    assert r.status == 200
    html = await r.text()
    assert '<p id="eco">&lt;script&gt;alert(1)&lt;/script&gt;&#34;</p>' in html
    assert "<script>alert" not in html


# --- static folders and fragments by convention -------------------------------------------------


async def test_static_folders_and_fragments_are_found_by_convention(
    arrancar: Callable[..., Awaitable[SoporteClient]], tmp_path: Path
) -> None:
    """A plugin's ``static/`` is served at ``/static/<plugin>/``; its ``_widget.html`` becomes
    an option of the portal's help widget."""
    cliente = await arrancar(extra=[Paginas(tmp_path)])
    r = await cliente.get("/static/paginas/eco.js")
    assert r.status == 200
    assert "montar" in await r.text()
    assert (await cliente.get("/static/paginas/../plugin.py")).status in {403, 404}
    assert cliente.app[SITE].fragments == {"widget": ["paginas/_widget.html"]}
    inicio = await (await cliente.get("/")).text()
    assert 'id="widget-soporte"' in inicio
    assert 'data-vista="eco"' in inicio
    # The console has no customer widget.
    assert 'id="widget-soporte"' not in await (await cliente.get("/agente/")).text()


async def test_a_cabecera_fragment_sits_in_the_header_of_portal_and_console(
    arrancar: Callable[..., Awaitable[SoporteClient]], tmp_path: Path
) -> None:
    """A plugin's ``_cabecera.html`` is an item of the header of every page, in both areas
    (the slot the ``notificaciones`` bell uses); without one the header has no extras box."""
    plugin = Paginas(tmp_path)
    (tmp_path / "templates" / "paginas" / "_cabecera.html").write_text(
        '<span id="eco-cabecera" data-area="{{ area }}">eco</span>'
    )
    cliente = await arrancar(extra=[plugin])
    assert cliente.app[SITE].fragments["cabecera"] == ["paginas/_cabecera.html"]
    for ruta, area in (("/", "cliente"), ("/entrar/", "cliente"), ("/agente/", "agente")):
        html = await (await cliente.get(ruta)).text()
        cabecera = html.split('<header class="cabecera">', 1)[1].split("</header>", 1)[0]
        assert f'<span id="eco-cabecera" data-area="{area}">eco</span>' in cabecera
    solo = await arrancar()
    assert "cabecera-extras" not in await (await solo.get("/")).text()


async def test_without_fragments_the_portal_has_no_widget(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    """The core alone still serves its home, login and dashboard, with no empty widget."""
    cliente = await arrancar()
    for ruta in ("/", "/entrar/", "/agente/"):
        r = await cliente.get(ruta)
        assert r.status == 200
        assert 'id="widget-soporte"' not in await r.text()
    assert (await cliente.get("/static/faq/faq.js")).status == 404


# --- a disabled plugin's pages, links, fragments and files disappear ------------------------


@pytest.mark.plugins("tickets")
async def test_a_disabled_plugins_pages_links_and_files_disappear(soporte: SoporteClient) -> None:
    """With only ``tickets``: no FAQ, case, chat or escalation page, link, fragment or file."""
    for ruta in ("/faq/", "/casos/", "/agente/faq/", "/agente/casos/", "/agente/escalamiento/"):
        assert (await soporte.get(ruta)).status == 404, ruta
    for ruta in ("/static/faq/faq.js", "/static/chat/chat.js", "/static/casos/casos.js"):
        assert (await soporte.get(ruta)).status == 404, ruta
    inicio = await (await soporte.get("/")).text()
    assert 'href="/tickets/"' in inicio
    assert 'href="/faq/"' not in inicio
    assert 'href="/casos/"' not in inicio
    assert 'data-vista="ticket"' in inicio
    assert 'data-vista="faq"' not in inicio
    assert 'data-vista="chat"' not in inicio
    detalle = await (await soporte.get("/tickets/1/")).text()
    assert 'id="conversacion"' in detalle
    assert "chat-ticket" not in detalle
    panel = await (await soporte.get("/agente/")).text()
    assert "tickets-recientes" in panel
    assert "casos-urgentes" not in panel
    assert 'href="/agente/escalamiento/"' not in panel


async def test_with_every_plugin_the_menus_follow_the_guide(soporte: SoporteClient) -> None:
    """All plugins: the portal and console menus, the widget's four options, the chat panel."""
    site = soporte.app[SITE]
    assert [e.label for e in site.nav("cliente")] == [
        "Inicio",
        "Preguntas frecuentes",
        "Mis tickets",
        "Nuevo ticket",
        "Mis casos",
    ]
    assert [(e.label, e.rol) for e in site.nav("agente")] == [
        ("Dashboard", Rol.AGENTE),
        ("Tickets", Rol.AGENTE),
        ("Casos", Rol.AGENTE),
        ("Escalamiento", Rol.AGENTE),
        ("Reglas", Rol.ADMIN),
        ("Macros", Rol.AGENTE),
        ("FAQ", Rol.ADMIN),
        ("Equipos", Rol.ADMIN),
        ("Etiquetas", Rol.ADMIN),
        ("Usuarios", Rol.ADMIN),
    ]
    inicio = await (await soporte.get("/")).text()
    vistas = re.findall(r'data-vista="([^"]+)"', inicio)
    assert sorted(vistas) == ["chat", "faq", "mis-tickets", "ticket"]
    assert 'id="chat-ticket"' in await (await soporte.get("/tickets/7/")).text()


# --- no inline code anywhere ---------------------------------------------------------------------


def test_the_scan_finds_templates_and_scripts() -> None:
    """The scans below see every plugin's files (an empty list would make them vacuous)."""
    carpetas = {p.relative_to(ROOT).parts[1] for p in TEMPLATES if p.parts[-4] != "core"}
    assert {"tickets", "faq", "casos", "escalamiento", "chat"} <= carpetas
    assert len(SCRIPTS) >= 20


@pytest.mark.parametrize("plantilla", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_inline_scripts_styles_or_handlers(plantilla: Path) -> None:
    """Every script has a ``src``; no ``<style>``, ``style=`` or ``on…=`` event handler."""
    texto = plantilla.read_text()
    assert not re.search(r"\son[a-z]+\s*=", texto, re.IGNORECASE), "inline event handler"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", texto), "<script> without src"
    if "correo" not in plantilla.parts:
        # Mails (``correo/`` folders, core.mail_templates) are never served under the CSP, and
        # mail clients drop style sheets: their HTML is styled inline.
        assert not re.search(r"<style\b|\sstyle\s*=", texto, re.IGNORECASE), "inline style"
    assert "|safe" not in texto.replace(" ", ""), "autoescape switched off"
    assert "javascript:" not in texto


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_scripts_insert_text_never_markup(script: Path) -> None:
    """Data reaches the page through ``textContent``: no HTML parsing of strings, no eval."""
    texto = script.read_text()
    for prohibido in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert prohibido not in texto, prohibido
    assert not re.search(r"setAttribute\(\s*[\"'](style|on[a-z]+)", texto)
    assert not re.search(r"new Function\(", texto)
    # Only this app's modules: no CDN.
    assert not re.search(r"""from\s+["']https?:""", texto)


def _imports(script: Path) -> list[str]:
    return re.findall(r"""(?:from|import)\s*\(?\s*["']([^"']+)["']""", script.read_text())


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_resolve_to_served_files(script: Path) -> None:
    """Every import names a file that exists where the app serves it."""
    carpetas: dict[str, Path] = {"core": ROOT / "core" / "static"}
    carpetas |= {p.parent.name: p for p in ROOT.glob("plugins/*/static")}
    for destino in _imports(script):
        if destino.startswith("/static/"):
            plugin, _, resto = destino.removeprefix("/static/").partition("/")
            archivo = carpetas[plugin] / resto
        else:
            archivo = (script.parent / destino).resolve()
        assert archivo.is_file(), f"{script.name} imports {destino}"


def test_page_templates_and_their_scripts_exist(make_app: Callable[..., Any]) -> None:
    """Each page's template renders from its plugin's folder, and its scripts are served."""
    app = make_app()
    carpetas: dict[str, Path] = {"core": ROOT / "core" / "static"}
    carpetas |= {p.parent.name: p for p in ROOT.glob("plugins/*/static")}
    for plugin, page in app[SITE].pages:
        origen = ROOT / ("core" if plugin == "core" else f"plugins/{plugin}") / "templates"
        texto = (origen / page.template).read_text()
        for src in re.findall(r'<script type="module" src="/static/([^"]+)"', texto):
            carpeta, _, resto = src.partition("/")
            assert (carpetas[carpeta] / resto).is_file(), f"{page.template}: {src}"
