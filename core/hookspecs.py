"""Every hook of soporte: the framework's public API for plugins.

Hooks are grouped by when they fire. ``register_*`` hooks contribute at build time, before the
aiohttp application is frozen; the others are called at run time. pluggy calls implementations
synchronously; hooks marked *may be async* accept plain or ``async def`` implementations and the
core awaits whatever comes back (see :func:`core.plugin_contract.await_me_maybe`). No hook
here is ``firstresult``: an ``async`` implementation returns a coroutine, which is never
``None``.

Every hook goes through pluggy's call loop: ``tryfirst``, ``trylast`` and wrappers
(``wrapper=True``, old-style ``hookwrapper=True``) work as pluggy documents, and without them a
plugin is called after the plugins it requires. A wrapper of a hook that may be async sees the
list of not-yet-awaited results (coroutines and plain values): it may add, drop or reorder
contributions, but must not await them (it runs synchronously). Plugins declare hooks of their
own too (``register_hookspecs``): ``tickets`` declares ``validate_reserva``, ``escalamiento``
its policies and notifiers.

Each hook has a section in ``docs/plugins.md`` and a test in ``tests/core/test_hooks.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import random
    from collections.abc import Awaitable, Iterable, Mapping, Sequence
    from datetime import datetime

    import click
    from aiohttp import web
    from pydantic import BaseModel
    from pydantic_settings import BaseSettings

    from core.api.routing import Endpoint
    from core.auth.models import Usuario
    from core.dashboard import Aporte, Partes, Periodo
    from core.events import Listener
    from core.outbox import OutboxChannel
    from core.pages import Page
    from core.plugin_contract import BackgroundContext
    from core.synthetic import SyntheticUsers

PROJECT = "soporte"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- plugin loading ------------------------------------------------------------------------


@hookspec(historic=True)
def register_hookspecs(plugin_manager: pluggy.PluginManager) -> None:
    """Add a plugin's own hookspecs, so that other plugins can implement them.

    Fires: once per plugin, as soon as the plugin is registered (historic: plugins registered
    later still get it), before ``check_pending()`` verifies every implementation.
    ``plugin_manager``: call ``plugin_manager.add_hookspecs(module)`` with your hookspecs module.
    Returns: nothing.
    """


# --- build time: contributions collected by create_app() -----------------------------------


@hookspec
def register_settings() -> type[BaseSettings] | None:
    """Declare this plugin's own settings.

    Fires: at build time, by ``create_app`` and by every ``soporte`` command, before any other
    build-time hook (so that they can read the settings from the app).
    Returns: a :class:`pydantic_settings.BaseSettings` subclass (not an instance), or ``None``.
    The host builds one instance per application: field ``x`` of plugin ``p`` is read from
    ``SOPORTE_P_X``, then from ``x`` in the ``[plugins.p]`` table of ``soporte.toml``; values
    in ``Settings(plugin_settings={"p": {...}})`` win over both. A bad value stops the
    start-up with a :class:`core.plugins.PluginError` naming the plugin, the field and its
    source. Read the instance with
    ``core.plugin_settings.plugin_settings(app, "p", PSettings)``. Renamed fields keep their
    old names working when the class maps them in a ``renamed: ClassVar[dict[str, str]]``
    (old → new).
    """
    raise NotImplementedError


@hookspec
def register_models() -> Iterable[str]:
    """Name the modules holding this plugin's Tortoise models.

    Fires: at build time, by ``create_app`` and ``soporte migrate``.
    Returns: dotted module paths. They form one Tortoise app whose label is the plugin's name;
    each module must list its models in ``__models__``. The plugin's migrations live in the
    package ``<plugin package>.migrations``.
    """
    raise NotImplementedError


@hookspec
def register_routes(app: web.Application) -> Iterable[Endpoint]:
    """Contribute REST and WebSocket endpoints.

    Fires: at build time, once per application, before the router is frozen.
    ``app``: the application being built (read settings from it; do not add routes to it).
    Returns: :class:`core.api.routing.Endpoint` objects, usually a plugin's ``routes.endpoints``
    collection. The core registers each path with and without its trailing slash, applies the
    endpoint's role guard, validates bodies and queries with its pydantic models, adds CORS and
    documents it in ``/api/openapi.json``.
    """
    raise NotImplementedError


@hookspec
def register_listeners(app: web.Application) -> Iterable[Listener]:
    """Subscribe to domain events.

    Fires: at build time, once per application.
    ``app``: the application being built; handlers may close over it to reach its channel layer
    (``app[core.keys.CHANNELS]``) or settings at run time. Implementations may omit it.
    Returns: :class:`core.events.Listener` objects (event type, handler, phase). ``after_commit``
    listeners (the default) run after the transaction that emitted the event commits; a failing
    one is logged and never breaks the request. ``in_transaction`` listeners run inside it and
    may veto it by raising.
    """
    raise NotImplementedError


@hookspec
def register_background(app: web.Application) -> Iterable[BackgroundContext]:
    """Contribute long-running work (schedulers, bus readers) that lives as long as the app.

    Fires: at build time, once per application.
    Returns: ``cleanup_ctx``-style callables: ``async def worker(app): start…; yield; stop…``.
    They run after the database is ready, with its context current, so tasks they start may use
    the ORM directly. Teardown runs in reverse order, before the database closes.
    """
    raise NotImplementedError


@hookspec
def register_outbox_channels(app: web.Application) -> Iterable[OutboxChannel]:
    """Declare delivery channels of the durable outbox (webhooks, a chat integration…).

    Fires: at build time, once per application.
    ``app``: the application being built (read settings from it).
    Returns: :class:`core.outbox.OutboxChannel` objects ``(name, deliver)``. Rows of the
    outbox (``core_envio``) whose ``canal`` is ``name`` are handed, in batches claimed by one
    process, to ``deliver(app, rows)``: an async generator yielding one
    :class:`core.outbox.Outcome` per row as it is done (delivered, or failed with
    ``permanent`` when no retry can help; raising fails the rows not yielded yet,
    temporarily). Temporary failures are retried with backoff, the last one dead-letters
    the row and emits ``core.outbox.EnvioFallido``. The core declares ``mail``; a name
    declared twice stops the start-up with a :class:`core.plugin_contract.PluginError`.
    Write the rows with ``Envio`` in your unit of work's transaction
    (``core.events.current_connection()``).
    """
    raise NotImplementedError


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add ``soporte`` sub-commands.

    Fires: when the ``soporte`` command starts, for every enabled plugin.
    ``cli``: the root click group; call ``cli.add_command(...)`` or decorate with ``@cli.command``.
    Returns: nothing.
    """


@hookspec
def register_pages(app: web.Application) -> Iterable[Page]:
    """Contribute server-rendered pages to the customer portal or the agent console.

    Fires: at build time, once per application, after the API routes are registered.
    ``app``: the application being built (read settings from it; do not add routes to it).
    Returns: :class:`core.pages.Page` objects: path (portal pages anywhere outside ``/api/``,
    ``/ws/`` and ``/static/``; console pages under ``/agente/``), template (from the plugin's
    own ``templates/<plugin>/`` folder), title, area (``cliente`` or ``agente``), navigation
    label (``None``: no menu entry) and order. Pages are shells: their JavaScript (served from
    the plugin's ``static/`` folder at ``/static/<plugin>/``) reads the JSON API with the
    visitor's token. A disabled plugin's pages, menu entries and fragments (templates named
    ``<plugin>/_<slot>.html``) disappear with it. A path taken twice, or a page outside its
    area, stops the app with a :class:`core.plugin_contract.PluginError` naming the plugin.
    """
    raise NotImplementedError


# --- run time --------------------------------------------------------------------------------


@hookspec
def dashboard_stats(
    usuario: Usuario, desde: datetime
) -> dict[str, Any] | Awaitable[dict[str, Any]] | None:
    """Contribute numbers to ``GET /api/soporte/dashboard/stats/``.

    Fires: on every dashboard request (an agent's). May be async.
    ``usuario``: the agent asking. ``desde``: start of the period (``now - dias``), aware UTC.
    Returns: a dict merged into the answer (keys must be unique across plugins; numbers must be
    ``0`` rather than ``None`` on an empty database), or ``None`` to contribute nothing.
    """


@hookspec
def dashboard_stats_schema() -> type[BaseModel] | None:
    """Declare the keys this plugin's ``dashboard_stats`` contributes, for the OpenAPI document.

    Fires: whenever the OpenAPI document is built (``GET /api/openapi.json``, ``/api/docs/``).
    Returns: a pydantic model whose fields are the keys (type, description, example), or
    ``None``. Optional: a key nobody declares is still served, documented as a number.
    """


@hookspec
def dashboard_series(
    usuario: Usuario, periodo: Periodo, partes: Partes
) -> Aporte | dict[str, Any] | Awaitable[Aporte | dict[str, Any]] | None:
    """Contribute trends to ``GET /api/soporte/dashboard/series/`` and tables to
    ``GET /api/soporte/dashboard/series/tablas/``.

    Fires: on every request of either (an agent's). May be async.
    ``usuario``: the agent asking (respect team visibility: :func:`core.auth.guards.team_limited`).
    ``periodo``: the days asked for (:class:`core.dashboard.Periodo`: ``dias``, ``desde``,
    ``hasta``, ``zona``).
    ``partes``: what this request asks for (:class:`core.dashboard.Partes`): ``series`` or
    ``tablas`` — compute only that —, and ``filas``, the rows a table should keep (the others
    summed into one last row, counted in ``Tabla.otras_filas``; ``None``: all). An
    implementation may leave this argument out (pluggy passes only the arguments it names):
    then it answers both on every request and the core keeps the part asked for.
    Returns: a :class:`core.dashboard.Aporte` (or a dict of its shape): ``series``, each a
    :class:`core.dashboard.Serie` with one value per day, and ``tablas``, each a
    :class:`core.dashboard.Tabla`; names unique across plugins. Read maintained totals, not
    raw rows: the target is p99 < 50 ms at a million tickets, for each request. ``None``:
    nothing.
    """


@hookspec
def dashboard_series_schema() -> type[BaseModel] | None:
    """Declare the series and tables this plugin's ``dashboard_series`` contributes.

    Fires: whenever the OpenAPI document is built. Returns: a pydantic model whose fields are
    the names, annotated :class:`core.dashboard.Serie` or :class:`core.dashboard.Tabla`, each
    with the figure's definition as its description — or ``None``.
    """


@hookspec
def mail_thread_references(
    app: web.Application, numero: str
) -> Sequence[str] | Awaitable[Sequence[str]] | None:
    """Message-IDs a mail about ticket ``numero`` should answer, besides its thread root.

    Fires: whenever mail about a ticket is composed (the ``notificaciones`` plugin's, inside
    the transaction of the change that causes it, once per event and notification type
    however many recipients are mailed — keep it to one indexed query). May be async.
    ``app``: the application. ``numero``: the ticket's number, ``TK-000123``.
    Returns: Message-IDs (``<…>`` each), oldest first — e.g. the ``correo`` plugin's stored
    inbound mails of that ticket, so that the acknowledgement threads with the customer's own
    message — or ``None``. The caller sets ``In-Reply-To`` to the last id of all the answers
    and ``References`` to the root followed by them (duplicates dropped).
    """


@hookspec
def load_demo_data(usuarios: dict[str, Usuario]) -> Awaitable[None] | None:
    """Load realistic demo data for ``soporte demo``.

    Fires: on ``soporte demo``, after the demo users exist, one plugin at a time, in dependency
    order (a plugin that ``requires`` another runs after it). May be async — and should be:
    pluggy calls every implementation at once (``tryfirst``/``trylast`` may reorder those
    calls), then the core awaits the returned awaitables one by one in dependency order, so the
    work must be done in the ``async def`` (the awaitable), not when the function is called.
    Must be idempotent: running the command twice must not duplicate anything.
    ``usuarios``: the demo users by username (``cliente``, ``cliente2``, ``agente``, ``admin``).
    Returns: nothing.
    """


@hookspec
def generate_synthetic_data(
    usuarios: SyntheticUsers, n_tickets: int, rng: random.Random, ahora: datetime
) -> Mapping[str, int] | Awaitable[Mapping[str, int] | None] | None:
    """Fill this plugin's tables with realistic synthetic data in bulk, for benchmarks.

    Fires: on ``soporte demo --tickets N``, once, after the demo data is loaded and the
    synthetic people exist, one plugin at a time in dependency order (a plugin that
    ``requires`` another runs after it and finds its rows). May be async — and should be: as
    for :func:`load_demo_data`, every implementation is called at once and the returned
    awaitables are awaited one by one in dependency order, so do the work in the awaitable.
    The database is in bulk mode meanwhile (SQLite: ``synchronous=OFF``), and ``ANALYZE`` runs
    after the last plugin.
    ``usuarios``: a :class:`core.synthetic.SyntheticUsers` — the ids of the customers and
    agents to spread the data over (the demo accounts among them) and the demo users.
    ``n_tickets``: the scale asked for, in tickets; plugins without tickets derive their own
    volume from it (cases, FAQs…). ``rng``: the seeded :class:`random.Random` every plugin
    shares — draw only from it, so a seed gives the same data. ``ahora``: the reference
    instant; generated dates fall in the two years before it.
    Must be fast — a million tickets in a couple of minutes on SQLite: multi-row inserts
    (:func:`core.synthetic.insert_rows`) in a few large transactions, never one ORM call per
    row; explicit ids continue after the largest existing one. Never called twice on one
    database (the command refuses).
    Returns: counts of what was created by name (printed by the command), or ``None``.
    """
