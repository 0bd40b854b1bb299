"""Server-rendered pages: the customer portal (``/``) and the agent console (``/agente/``).

Pages are *shells*: jinja2 renders the layout, the navigation and the markup; the data comes
from the JSON API, fetched by plain JavaScript modules served by the app itself with the token
that the login page keeps in ``localStorage['authToken']`` — exactly as any other frontend.

Three kinds of contribution, so that a disabled plugin's pages, links and panels disappear:

- **Pages** come from the ``register_pages`` hook: :class:`Page` objects (path, template,
  title, area, navigation label, order).
- **Templates and static files** are found by convention: a plugin's ``templates/<plugin>/``
  folder is on the jinja2 search path, and its ``static/`` folder is served at
  ``/static/<plugin>/`` (the core's at ``/static/core/``).
- **Fragments** are found by convention too: a template ``<plugin>/_<slot>.html`` is included
  wherever a page offers ``slot`` (``widget``: an option of the floating help widget; ``panel``:
  a block of the agent dashboard; ``inicio``: a block of the portal's home; ``ticket``: a block
  of the ticket detail pages; ``cabecera``: an item of the header of every portal and console
  page, beside the session). Fragments are included in plugin order.

A browser navigating to an address that names nothing (or to a download link no longer valid)
gets a 404 (403) page of the layout (:func:`error_page`); the API keeps problem+json.

Every HTML answer carries a strict Content-Security-Policy (no inline scripts, styles or event
handlers anywhere), and every answer ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import aiohttp_jinja2
from aiohttp import web

from core import keys
from core.api.errors import ERROR_PAGE, TITLES
from core.auth.models import Rol
from core.i18n import N_
from core.i18n import gettext as _
from core.plugin_contract import PluginError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import jinja2

    from core.api.errors import Problem
    from core.plugins import PluginHost, PluginInfo

Area = Literal["cliente", "agente"]

#: The policy of every HTML page: only this origin's scripts, styles and sockets; no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)

CORE_STATIC = Path(__file__).parent / "static"
AGENT_PREFIX = "/agente/"
#: Paths owned by the API, the sockets and the static files: no page may take them.
RESERVED_PREFIXES = ("/api/", "/ws/", "/static/", "/healthz", "/readyz", "/favicon.ico")
#: Where a page of the portal that needs a session sends an anonymous visitor.
LOGIN_PATH = "/entrar/"

_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")
_FRAGMENT = re.compile(r"^(?P<plugin>[\w-]+)/_(?P<slot>\w+)\.html$")


@dataclass(frozen=True, kw_only=True)
class Page:
    """One server-rendered page, as a plugin declares it in ``register_pages``.

    ``path``: absolute, with a trailing slash, aiohttp syntax for parameters
    (``/tickets/{id:\\d+}/``); agent pages live under ``/agente/``, portal pages anywhere else
    outside ``/api/``, ``/ws/`` and ``/static/``. ``template``: a template of the plugin's own
    folder (``tickets/detalle.html``); it receives ``pagina``, ``nav``, ``params`` (the path
    parameters, as strings), ``plugins`` and ``fragmentos``. ``title``: the ``<title>`` and
    heading, a Spanish text marked ``N_()`` (translated when the page renders). ``area``:
    ``cliente`` (portal) or ``agente`` (console). ``nav``: the label of its navigation entry
    (marked ``N_()`` too), or ``None`` for pages reached through links (details).
    ``order``: position in the navigation (lower first). ``login``: the page needs a session
    (the browser sends visitors without one to the login page). ``rol``: the least role that
    may use it (agent pages default to ``AGENTE``; ``ADMIN`` hides the entry from other agents).
    """

    path: str
    template: str
    title: str
    area: Area = "cliente"
    nav: str | None = None
    order: int = 100
    login: bool = True
    rol: Rol | None = None

    @property
    def rol_minimo(self) -> Rol | None:
        """The least role the browser-side guard requires (agent pages: at least AGENTE)."""
        if self.rol is None and self.area == "agente":
            return Rol.AGENTE
        return self.rol

    @property
    def has_params(self) -> bool:
        """Whether the path has parameters (such pages cannot be navigation entries)."""
        return bool(_PARAM.search(self.path))


@dataclass(frozen=True)
class NavEntry:
    """A navigation link of one area."""

    href: str
    label: str
    rol: Rol | None
    plugin: str


@dataclass
class Site:
    """Everything the pages of one application render with, collected at build time."""

    pages: list[tuple[str, Page]] = field(default_factory=list)
    #: Fragment templates per slot, in plugin order.
    fragments: dict[str, list[str]] = field(default_factory=dict)
    plugins: list[str] = field(default_factory=list)
    registro_abierto: bool = True
    #: ``SOPORTE_EMAIL_VERIFICATION``, for the profile page's wording.
    verificacion_email: str = "off"

    def nav(self, area: Area) -> list[NavEntry]:
        """The navigation of an area, ordered."""
        entries = sorted(
            ((p.order, p.nav or "", plugin, p) for plugin, p in self.pages if p.area == area),
            key=lambda e: (e[0], e[1]),
        )
        return [
            NavEntry(page.path, page.nav, page.rol_minimo, plugin)
            for _, _, plugin, page in entries
            if page.nav
        ]


SITE: web.AppKey[Site] = web.AppKey("soporte_site", Site)

#: The core's own pages: the portal's home, the login and account pages, the agent dashboard,
#: the admins' teams and users.
CORE_PAGES = (
    Page(
        path="/",
        template="core/inicio.html",
        title=N_("Inicio"),
        nav=N_("Inicio"),
        order=0,
        login=False,
    ),
    Page(path=LOGIN_PATH, template="core/entrar.html", title=N_("Iniciar sesión"), login=False),
    # The account pages (core.auth.cuentas): links mailed to the user, and their profile.
    Page(
        path="/olvido/", template="core/olvido.html", title=N_("Recuperar contraseña"), login=False
    ),
    Page(
        path="/restablecer/",
        template="core/restablecer.html",
        title=N_("Restablecer contraseña"),
        login=False,
    ),
    Page(
        path="/verificar/",
        template="core/verificar.html",
        title=N_("Verificar correo"),
        login=False,
    ),
    Page(path="/perfil/", template="core/perfil.html", title=N_("Mi perfil")),
    Page(
        path=AGENT_PREFIX,
        template="core/panel.html",
        title=N_("Dashboard de Soporte"),
        area="agente",
        nav=N_("Dashboard"),
        order=0,
    ),
    # Teams and users (core.auth.equipos_routes, core.auth.usuarios_routes): admins only.
    Page(
        path="/agente/equipos/",
        template="core/equipos.html",
        title=N_("Equipos"),
        area="agente",
        nav=N_("Equipos"),
        order=80,
        rol=Rol.ADMIN,
    ),
    # The tag vocabulary (core.tags_routes): agents use tags, admins curate them.
    Page(
        path="/agente/etiquetas/",
        template="core/etiquetas.html",
        title=N_("Etiquetas"),
        area="agente",
        nav=N_("Etiquetas"),
        order=82,
        rol=Rol.ADMIN,
    ),
    Page(
        path="/agente/usuarios/",
        template="core/usuarios.html",
        title=N_("Usuarios"),
        area="agente",
        nav=N_("Usuarios"),
        order=85,
        rol=Rol.ADMIN,
    ),
)


def plugin_folder(info: PluginInfo, name: str) -> Path | None:
    """A plugin's ``templates``/``static`` folder beside its module, if it has one."""
    module_file = getattr(info.obj, "__file__", None)
    if not module_file:
        return None
    folder = Path(module_file).parent / name
    return folder if folder.is_dir() else None


def _check(plugin: str, page: Page, seen: dict[str, str]) -> None:
    """Refuse a page that would shadow the API, sit in the wrong area or repeat a path."""
    where = f"plugin {plugin!r} declares the page {page.path!r}"
    if not page.path.startswith("/") or not page.path.endswith("/"):
        raise PluginError(f"{where}: a page path starts and ends with '/'")
    if page.path.startswith(RESERVED_PREFIXES):
        raise PluginError(f"{where}: /api/, /ws/ and /static/ are not for pages")
    if (page.area == "agente") != page.path.startswith(AGENT_PREFIX):
        raise PluginError(f"{where}: agent pages, and only they, live under {AGENT_PREFIX}")
    if page.nav and page.has_params:
        raise PluginError(f"{where}: a page with path parameters cannot be a navigation entry")
    key = _PARAM.sub("{}", page.path)
    if key in seen:
        raise PluginError(f"{where}, already declared by {seen[key]!r}")
    seen[key] = plugin


def collect_site(host: PluginHost, app: web.Application, env: jinja2.Environment) -> Site:
    """The core's pages and every plugin's, checked, with the fragments of enabled plugins."""
    pages = [("core", p) for p in CORE_PAGES] + host.pages(app)
    seen: dict[str, str] = {}
    for plugin, page in pages:
        _check(plugin, page, seen)
    fragments: dict[str, list[str]] = {}
    available = set(env.list_templates(extensions=["html"]))
    for name in host.names:
        for template in sorted(available):
            match = _FRAGMENT.match(template)
            if match and match["plugin"] == name:
                fragments.setdefault(match["slot"], []).append(template)
    return Site(
        pages=pages,
        fragments=fragments,
        plugins=list(host.names),
        registro_abierto=app[keys.SETTINGS].signup_open,
        verificacion_email=app[keys.SETTINGS].email_verification,
    )


def _context(request: web.Request, page: Page) -> dict[str, Any]:
    """What the layout of ``page`` renders with (see :class:`Page`)."""
    site = request.app[SITE]
    return {
        "pagina": page,
        "area": page.area,
        "nav": site.nav(page.area),
        "ruta": request.path,
        "params": dict(request.match_info),
        "plugins": site.plugins,
        "fragmentos": site.fragments,
        "registro_abierto": site.registro_abierto,
        "verificacion_email": site.verificacion_email,
        "login_path": LOGIN_PATH,
    }


def _page_handler(page: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = aiohttp_jinja2.render_template(page.template, request, _context(request, page))
        # Shells are cheap to render and hold no data; never serve a stale one.
        response.headers["Cache-Control"] = "no-cache"
        return response

    return handler


async def _redirect_handler(request: web.Request) -> web.StreamResponse:
    """``/faq`` → ``/faq/`` (query string kept): one canonical address per page."""
    location = request.path + "/"
    if request.query_string:
        location += "?" + request.query_string
    raise web.HTTPPermanentRedirect(location)


#: The errors a browser's page request is answered with as a page: a path that names nothing,
#: and a link (a download) that is no longer valid. Other statuses stay problem+json.
_ERROR_PAGES: dict[int, tuple[str, str]] = {
    404: (
        N_("Página no encontrada"),
        N_("La dirección que buscas no existe o ya no está disponible."),
    ),
    403: (N_("Acceso denegado"), N_("No tienes permiso para ver esta página.")),
}
#: API paths a person opens in the browser: signed download links.
_BROWSER_API_PATHS = ("/api/descargas/",)


def wants_page(request: web.Request) -> bool:
    """Whether ``request`` is a browser navigating to a page (``Accept: text/html``), not an
    API call: the API (``/api/``, ``/ws/``) keeps problem+json, except the signed links people
    open themselves. ``fetch`` sends ``application/json`` or ``*/*``, never ``text/html``."""
    if request.method not in ("GET", "HEAD") or "text/html" not in request.headers.get(
        "Accept", ""
    ):
        return False
    path = request.path
    return not path.startswith(("/api/", "/ws/")) or path.startswith(_BROWSER_API_PATHS)


def error_page(
    request: web.Request, problem: Problem, request_id: str
) -> web.StreamResponse | None:
    """A 404 or 403 for a page request (:func:`wants_page`), as a page of the layout — of the
    console under ``/agente/``, else of the portal; ``None`` (problem+json) otherwise."""
    if problem.status not in _ERROR_PAGES or not wants_page(request):
        return None
    title, generic = _ERROR_PAGES[problem.status]
    area: Area = "agente" if request.path.startswith(AGENT_PREFIX) else "cliente"
    page = Page(path=request.path, template="core/error.html", title=title, area=area, login=False)
    context = _context(request, page)
    # A handler's own sentence ("El enlace de descarga ha caducado.") says more than the title.
    detail = problem.detail if problem.detail != TITLES.get(problem.status) else generic
    # Both are msgids (a problem's detail is translated when it answers): the page does it here.
    context.update(estado=problem.status, detalle=_(detail))
    response = aiohttp_jinja2.render_template(
        "core/error.html", request, context, status=problem.status
    )
    response.headers["X-Request-Id"] = request_id
    response.headers["Cache-Control"] = "no-cache"
    return response


async def _favicon(request: web.Request) -> web.StreamResponse:
    """``/favicon.ico``, where browsers look for it (every page also links it)."""
    return web.FileResponse(CORE_STATIC / "favicon.ico", headers={"Cache-Control": "max-age=86400"})


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: nosniff everywhere; the strict CSP on every HTML answer."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.content_type == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers.setdefault("Referrer-Policy", "same-origin")


def setup_pages(app: web.Application, host: PluginHost, env: jinja2.Environment) -> None:
    """Serve static folders by convention, register every page, add the security headers.

    Call after the API routes are registered, before the app is frozen.
    """
    site = collect_site(host, app, env)
    app[SITE] = site
    app[ERROR_PAGE] = error_page
    app.router.add_get("/favicon.ico", _favicon, allow_head=True)
    app.router.add_static("/static/core/", CORE_STATIC, name="static-core")
    for info in host.plugins:
        folder = plugin_folder(info, "static")
        if folder is not None:
            app.router.add_static(f"/static/{info.name}/", folder, name=f"static-{info.name}")
    for _plugin, page in site.pages:
        app.router.add_get(page.path, _page_handler(page), allow_head=True)
        if page.path != "/":
            app.router.add_get(page.path.rstrip("/"), _redirect_handler, allow_head=True)
    app.on_response_prepare.append(security_headers)
