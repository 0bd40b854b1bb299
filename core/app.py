"""The app factory: ``create_app(settings)`` assembles an aiohttp application from the plugins.

Everything a plugin contributes (models, routes, listeners, background work) is collected here,
before aiohttp freezes the application. State lives on the application under typed keys
(:mod:`core.keys`); nothing is kept at module level, so several apps can live in one process.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp_cors
import aiohttp_jinja2
import jinja2
from aiohttp import web

from core import idempotency, keys
from core.api import envios, system
from core.api.errors import NotFound, error_middleware
from core.api.fields import MAX_ID
from core.api.inbound import host_middleware
from core.api.routing import (
    INTEGRATION,
    Endpoint,
    parse_body,
    query_dict,
    refuse_unknown_parameters,
    render,
    validate_model,
)
from core.auth.claves import enforce_scope, principal
from core.auth.claves_routes import routes as claves_routes
from core.auth.equipos_routes import routes as equipos_routes
from core.auth.guards import enforce_access
from core.auth.middleware import OWN_CREDENTIALS, auth_middleware
from core.auth.passwords import PasswordHashing
from core.auth.routes import routes as auth_routes
from core.auth.usuarios_routes import routes as usuarios_routes
from core.db import Database, activate, database_ctx, db_middleware, tortoise_config
from core.events import EventBus
from core.i18n import install_jinja, locale_middleware
from core.keyring import LINKS, Keyring
from core.mail_templates import setup_mail_templates
from core.outbox import CORE_CHANNELS, Outbox, OutboxChannel
from core.pages import setup_pages
from core.plugin_contract import BackgroundContext as BackgroundContext  # its old home
from core.plugin_contract import PluginError
from core.plugin_settings import PluginSettings, build_plugin_settings
from core.plugins import PluginHost
from core.proxies import client_address, trusted_proxies_middleware
from core.ratelimit import hit, rate_limits_ctx
from core.realtime import ChannelLayer, InMemoryChannelLayer
from core.sessions import SessionRegistry
from core.settings import Settings
from core.storage import Storage
from core.tags_routes import routes as etiquetas_routes

if TYPE_CHECKING:
    from collections.abc import Sequence

log = logging.getLogger("soporte.app")

CORE_TEMPLATES = Path(__file__).parent / "templates"


#: The close code of a socket whose path names nothing (as an HTTP 404).
WS_NOT_FOUND = 4404

#: Every id a table can hold (32-bit ``INT`` keys; PostgreSQL refuses larger numbers in a query).
_IDS = range(-MAX_ID - 1, MAX_ID + 1)


def _path_args(endpoint: Endpoint, request: web.Request) -> dict[str, Any]:
    """Path parameters as their declared types. A value that does not convert, or an ``int``
    no id column can hold, names nothing that exists: a 404, never a 500."""
    kwargs: dict[str, Any] = {}
    for name, typ in endpoint.path_params.items():
        try:
            value = typ(request.match_info[name])
        except (TypeError, ValueError) as exc:
            raise NotFound() from exc
        if isinstance(value, int) and value not in _IDS:
            raise NotFound()
        kwargs[name] = value
    return kwargs


def _handler_for(endpoint: Endpoint) -> Callable[[web.Request], Any]:
    """Wrap a plugin's handler: role guard, path/query/body validation, serialisation."""
    if endpoint.websocket:

        async def websocket(request: web.Request) -> web.StreamResponse:
            try:
                kwargs = _path_args(endpoint, request)
            except NotFound:
                # A path id no table can hold names no ticket: the socket's "not found" close,
                # once here for every socket (a raw int would overflow in the query: a 1006).
                ws = web.WebSocketResponse()
                await ws.prepare(request)
                await ws.close(code=WS_NOT_FOUND, message=b"no encontrado")
                return ws
            # A WebSocket endpoint's handler returns its WebSocketResponse (Endpoint keeps Any).
            response: web.StreamResponse = await endpoint.handler(request, **kwargs)
            return response

        return websocket

    idempotent = idempotency.applies(endpoint)

    async def handle(request: web.Request) -> web.StreamResponse:
        usuario = enforce_access(request, endpoint.auth)
        enforce_scope(request, endpoint.scope)
        kwargs: dict[str, Any] = _path_args(endpoint, request)
        if endpoint.files and request.content_type == "multipart/form-data":
            # Counted before the body is read: past the limit nothing reaches the disk.
            who = usuario.id if usuario is not None else client_address(request)
            await hit(request.app, "uploads", who)
        if endpoint.query is not None:
            refuse_unknown_parameters(request.query, endpoint.query)
            kwargs["query"] = validate_model(
                endpoint.query, query_dict(request, endpoint.query), where="query"
            )
        uploads = []
        if endpoint.body is not None or endpoint.multipart:
            parsed = await parse_body(request, endpoint)
            uploads = parsed.files
            if endpoint.body is not None:
                kwargs["body"] = parsed.body
            if endpoint.files:
                kwargs["files"] = parsed.files
            elif parsed.files:
                for upload in parsed.files:
                    request.app[keys.STORAGE].delete(upload.key)
                uploads = []
        claim = None
        if idempotent and (header := request.headers.get(idempotency.HEADER)) is not None:
            quien = principal(request)
            if quien is not None:
                try:
                    storage = request.app[keys.STORAGE]
                    huella = idempotency.fingerprint(request, kwargs.get("body"), uploads, storage)
                    claimed = await idempotency.begin(quien, header, huella)
                except BaseException:
                    for upload in uploads:
                        request.app[keys.STORAGE].delete(upload.key)
                    raise
                if isinstance(claimed, web.Response):
                    # A retry: the first answer, and this request's files are not kept.
                    for upload in uploads:
                        request.app[keys.STORAGE].delete(upload.key)
                    return claimed
                claim = claimed
        try:
            response = render(endpoint, await endpoint.handler(request, **kwargs))
        except BaseException:
            # Files stored for a request that failed are never referenced: remove them.
            for upload in uploads:
                request.app[keys.STORAGE].delete(upload.key)
            if claim is not None:
                await idempotency.release(claim)
            raise
        if claim is not None:
            await idempotency.finish(claim, response)
        return response

    if endpoint.auth == INTEGRATION:
        OWN_CREDENTIALS.add(handle)
    return handle


def _add_routes(
    app: web.Application,
    endpoints: list[tuple[str, Endpoint]],
    cors: aiohttp_cors.CorsConfig | None,
) -> None:
    """Register each endpoint at its path with and without the trailing slash."""
    seen: dict[tuple[str, str], str] = {}
    for plugin, endpoint in endpoints:
        # Each path answers with and without its slash, so ``/x`` and ``/x/`` are one route.
        key = (endpoint.method, endpoint.openapi_path.rstrip("/"))
        if key in seen:
            raise PluginError(
                f"plugin {plugin!r} declares {endpoint.method} {endpoint.path}, "
                f"already declared by {seen[key]!r}"
            )
        seen[key] = plugin
        handler = _handler_for(endpoint)
        stripped = endpoint.path.rstrip("/")
        paths = [endpoint.path, stripped if endpoint.path.endswith("/") else stripped + "/"]
        for path in paths:
            resource = app.router.add_resource(path, name=None)
            route = resource.add_route(endpoint.method, handler)
            if cors is not None and not endpoint.websocket:
                cors.add(route)


def _with_database(database: Database, background: BackgroundContext) -> BackgroundContext:
    """Run a plugin's ``cleanup_ctx`` with this app's ORM context current, at start-up (so the
    tasks it starts inherit it) and at clean-up.

    aiohttp runs every app's start-up and clean-up in the caller's task, so with two apps in one
    process the context left current by the last app to start would otherwise leak into the
    other app's teardown.
    """

    @functools.wraps(background)
    async def with_database(app: web.Application) -> AsyncIterator[None]:
        steps = background(app).__aiter__()
        with activate(database.ctx):
            await steps.__anext__()
        try:
            yield
        finally:
            with activate(database.ctx):
                try:
                    await steps.__anext__()
                except StopAsyncIteration:
                    pass
                else:
                    raise RuntimeError(f"background {background!r} has more than one 'yield'")

    return with_database


def _template_loader(host: PluginHost) -> jinja2.BaseLoader:
    """Core templates plus each enabled plugin's ``templates/`` folder, found by convention."""
    folders = [CORE_TEMPLATES]
    for info in host.plugins:
        module_file = getattr(info.obj, "__file__", None)
        if module_file:
            folder = Path(module_file).parent / "templates"
            if folder.is_dir():
                folders.append(folder)
    return jinja2.FileSystemLoader([str(f) for f in folders])


def _channel_layer(settings: Settings) -> tuple[ChannelLayer, BackgroundContext | None]:
    """In memory for one process; over Redis pub/sub with ``SOPORTE_REDIS_URL`` — with the
    ``cleanup_ctx`` that subscribes at start-up and lets Redis go at clean-up."""
    if not settings.redis_url:
        return InMemoryChannelLayer(), None
    try:
        from core.realtime_redis import RedisChannelLayer
    except ImportError as exc:
        raise PluginError(
            "SOPORTE_REDIS_URL is set but the Redis client is missing: pip install 'soporte[redis]'"
        ) from exc
    layer = RedisChannelLayer(settings.redis_url, prefix=settings.redis_prefix)
    return layer, layer.lifetime


def _password_hashing(settings: Settings) -> BackgroundContext:
    """The app's password-hashing threads, for its lifetime (``cleanup_ctx``)."""

    async def password_hashing(app: web.Application) -> AsyncIterator[None]:
        hashing = PasswordHashing(settings.password_hash_concurrency, settings.password_hash_queue)
        app[keys.PASSWORDS] = hashing
        try:
            yield
        finally:
            hashing.close()

    return password_hashing


def _outbox(app: web.Application, host: PluginHost) -> Outbox:
    """The app's outbox with the core's channels and those the plugins declare."""
    channels: dict[str, tuple[str, OutboxChannel]] = {c.name: ("core", c) for c in CORE_CHANNELS}
    for plugin, channel in host.outbox_channels(app):
        if channel.name in channels:
            raise PluginError(
                f"plugin {plugin!r} declares the outbox channel {channel.name!r}, "
                f"already declared by {channels[channel.name][0]!r}"
            )
        channels[channel.name] = (plugin, channel)
    return Outbox(app, [c for _, c in channels.values()])


def create_app(
    settings: Settings | None = None,
    *,
    plugins: Sequence[Any] = (),
    host: PluginHost | None = None,
    plugin_settings: PluginSettings | None = None,
    generate_schemas: bool = False,
) -> web.Application:
    """Build the application.

    ``settings``: defaults to :class:`Settings` from the environment. ``plugins``: extra ad-hoc
    plugin objects (tests, embedding), enabled in addition to ``SOPORTE_PLUGINS``. ``host``: a
    prepared :class:`PluginHost` instead. ``plugin_settings``: the plugins' settings already
    built for that host (the CLI builds them once); by default they are built (and validated)
    here, before anything else of the plugins runs. ``generate_schemas``: create missing
    tables at start-up instead of relying on ``soporte migrate`` (tests, throwaway databases).
    """
    settings = settings or Settings()
    host = host or PluginHost.from_settings(settings, extra=plugins)
    if plugin_settings is None:
        plugin_settings = build_plugin_settings(host.settings_classes(), settings)
    channels, channels_lifetime = _channel_layer(settings)
    database = Database(tortoise_config(settings.database_url, host.models()), generate_schemas)

    middlewares = [error_middleware, db_middleware(database), auth_middleware]
    # The Host check right after errors (its 400 is problem+json), before anything else runs;
    # only when a list is set, so that requests pay nothing for it otherwise.
    if settings.allowed_hosts:
        middlewares.insert(1, host_middleware(settings.allowed_hosts))
    if settings.trusted_proxies:
        # Right after the error middleware, so every later layer (the Host check included) sees
        # the client's address and the host it asked the proxy for.
        middlewares.insert(1, trusted_proxies_middleware(settings.trusted_proxies))
    # Outermost: the request's language is current for every layer, error answers included.
    middlewares.insert(0, locale_middleware)
    app = web.Application(
        middlewares=middlewares,
        # Never inflate a request body: an encoded one is refused where bodies are read
        # (core.api.inbound.refuse_encoded_body), and this keeps the parser from inflating it.
        handler_args={"auto_decompress": False},
    )
    app[keys.SETTINGS] = settings
    app[keys.KEYRING] = keyring = Keyring.from_settings(settings)
    app[keys.PLUGINS] = host
    app[keys.PLUGIN_SETTINGS] = plugin_settings
    app[keys.DB] = database
    app[keys.EVENTS] = EventBus(host.listeners(app))
    app[keys.CHANNELS] = channels
    sessions = SessionRegistry(channels, check_seconds=settings.session_check_seconds)
    app[keys.SESSIONS] = sessions
    # Links are signed with their own derived key; the fallbacks' keys still verify old links.
    app[keys.STORAGE] = Storage(
        settings.media_dir, keyring.verification_keys(LINKS), settings.link_ttl_seconds
    )

    app[keys.OUTBOX] = outbox = _outbox(app, host)

    env = aiohttp_jinja2.setup(app, loader=_template_loader(host), autoescape=True)
    install_jinja(env)  # pages and mails: {% trans %} and _() in the current locale
    # Mails render through the same templates, with the override folder first.
    setup_mail_templates(app, env)

    core_routes = (
        *system.routes,
        *auth_routes,
        *usuarios_routes,
        *equipos_routes,
        *etiquetas_routes,
        *envios.routes,
    )
    core_routes += (*claves_routes,)
    endpoints: list[tuple[str, Endpoint]] = [("core", e) for e in core_routes]
    endpoints += host.routes(app)
    app[keys.ENDPOINTS] = endpoints
    cors = None
    if settings.cors_origins:
        options = aiohttp_cors.ResourceOptions(
            allow_credentials=False,
            expose_headers=("Location", "Retry-After", "X-Request-Id"),
            allow_headers=("Authorization", "Content-Type"),
            allow_methods="*",
            max_age=600,
        )
        cors = aiohttp_cors.setup(app, defaults=dict.fromkeys(settings.cors_origins, options))
    _add_routes(app, endpoints, cors)
    # Pages after the API, so that no page can shadow it; static folders and CSP headers too.
    setup_pages(app, host, env)

    app.cleanup_ctx.append(database_ctx(database))
    app.cleanup_ctx.append(rate_limits_ctx)
    app.cleanup_ctx.append(_password_hashing(settings))
    if channels_lifetime is not None:
        # After the database (gap handlers replay from it), before the plugins' work.
        app.cleanup_ctx.append(_with_database(database, channels_lifetime))
    # After the channel layer: the periodic check of the sockets' tokens (core.sessions).
    app.cleanup_ctx.append(_with_database(database, sessions.lifetime))
    # The outbox's worker (core.outbox): every process delivers what is due.
    app.cleanup_ctx.append(_with_database(database, outbox.lifetime))
    # The sweep of expired Idempotency-Key answers (core.idempotency).
    app.cleanup_ctx.append(_with_database(database, idempotency.lifetime))
    app.cleanup_ctx.extend(_with_database(database, bg) for bg in host.background(app))

    async def close_sockets(app: web.Application) -> None:
        await channels.close()

    # on_shutdown runs before the server waits for handlers: open WebSockets must end first.
    app.on_shutdown.append(close_sockets)
    log.debug("app built with plugins: %s", ", ".join(host.names) or "none")
    return app
