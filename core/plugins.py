"""The plugin host: finds plugins, checks them, and calls their hooks through a typed facade.

Built-in plugins are not special: the ``soporte`` distribution declares them in the entry-point
group ``soporte.plugins`` exactly like a third-party package would, so ``core`` never imports
``plugins``. Every application gets a fresh :class:`pluggy.PluginManager`.

Every hook is called through pluggy's own call loop (``pm.hook.<name>(...)``), so ``tryfirst``,
``trylast``, ``wrapper=True`` / ``hookwrapper=True`` implementations and
``add_hookcall_monitoring`` behave as pluggy documents. Plugins are registered in reverse
dependency order, because pluggy calls the last registered first: unless ``tryfirst`` /
``trylast`` say otherwise, a plugin is called after the plugins it ``requires``.

``SOPORTE_TRACE_PLUGINS=1`` (read when a host is created) logs every hook call, with its
implementations and durations, to the ``soporte.plugins`` logger.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, cast

import pluggy

from core import hookspecs
from core.hookspecs import PROJECT
from core.plugin_contract import PluginError
from core.plugin_contract import await_me_maybe as await_me_maybe  # re-exported: its old home

if TYPE_CHECKING:
    import random
    from collections.abc import AsyncIterator, Callable, Generator, Mapping, Sequence
    from datetime import datetime
    from types import ModuleType

    import click
    from aiohttp import web
    from pydantic import BaseModel

    from core.api.routing import Endpoint
    from core.auth.models import Usuario
    from core.dashboard import Aporte, Partes, Periodo
    from core.events import Listener
    from core.outbox import OutboxChannel
    from core.pages import Page
    from core.plugin_contract import BackgroundContext
    from core.settings import Settings
    from core.synthetic import SyntheticUsers

__all__ = [
    "ENTRY_POINT_GROUP",
    "TRACE_ENV",
    "PluginError",
    "PluginHost",
    "PluginInfo",
    "await_me_maybe",
]

ENTRY_POINT_GROUP = "soporte.plugins"
#: In ``SOPORTE_PLUGINS``, every plugin that ships with soporte itself (its own distribution,
#: :data:`CORE_DISTRIBUTION`): ``builtin`` alone leaves out installed third-party plugins, such
#: as the examples ``make install`` installs for the tests; ``builtin,vip`` adds one.
BUILTIN = "builtin"
CORE_DISTRIBUTION = "soporte"
#: The environment variable that turns on the tracing of hook calls (modelled on datasette's
#: ``DATASETTE_TRACE_PLUGINS``).
TRACE_ENV = "SOPORTE_TRACE_PLUGINS"
log = logging.getLogger("soporte.plugins")


@dataclass(frozen=True)
class PluginInfo:
    """What the host knows about one installed plugin."""

    name: str
    version: str
    requires: tuple[str, ...]
    #: The object registered with pluggy (usually the plugin's ``plugin`` module).
    obj: Any = field(repr=False)
    #: The distribution that installed it, or ``None`` for ad-hoc plugins.
    distribution: str | None = None


def plugin_info(
    obj: Any,
    *,
    name: str | None = None,
    distribution: str | None = None,
    version: str | None = None,
) -> PluginInfo:
    """Describe a plugin object from its ``name``, ``requires`` and ``version`` attributes."""
    resolved = name or getattr(obj, "name", None)
    if not resolved:
        raise PluginError(f"plugin {obj!r} has no name")
    return PluginInfo(
        name=resolved,
        version=str(getattr(obj, "version", None) or version or "0"),
        requires=tuple(getattr(obj, "requires", ()) or ()),
        obj=obj,
        distribution=distribution,
    )


def installed_entry_points() -> dict[str, EntryPoint]:
    """The entry points of every installed plugin, by name, without importing any of them."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_entry_point(ep: EntryPoint) -> PluginInfo:
    """Import one installed plugin; an import error names the plugin."""
    try:
        module: ModuleType = ep.load()
    except Exception as exc:
        raise PluginError(f"plugin {ep.name!r} failed to import: {exc}") from exc
    dist = ep.dist
    return plugin_info(
        module,
        name=ep.name,
        distribution=dist.metadata["Name"] if dist else None,
        version=dist.version if dist else None,
    )


def discover_installed() -> dict[str, PluginInfo]:
    """Every installed plugin, imported (for listing; enabling imports only what it enables)."""
    return {name: load_entry_point(ep) for name, ep in installed_entry_points().items()}


def _loaded(item: PluginInfo | EntryPoint) -> PluginInfo:
    return item if isinstance(item, PluginInfo) else load_entry_point(item)


def _order_by_requirements(plugins: dict[str, PluginInfo]) -> list[PluginInfo]:
    """Plugins sorted so that each comes after the ones it requires (stable by name)."""
    ordered: list[PluginInfo] = []
    placed: set[str] = set()

    def place(info: PluginInfo, chain: tuple[str, ...]) -> None:
        if info.name in placed:
            return
        if info.name in chain:
            raise PluginError(f"plugins require each other in a cycle: {' -> '.join(chain)}")
        for req in info.requires:
            place(plugins[req], (*chain, info.name))
        placed.add(info.name)
        ordered.append(info)

    for name in sorted(plugins):
        place(plugins[name], ())
    return ordered


def _distribution(item: PluginInfo | EntryPoint) -> str | None:
    """The distribution that installed a plugin, without importing it."""
    if isinstance(item, PluginInfo):
        return item.distribution
    return item.dist.metadata["Name"] if item.dist is not None else None


def expand_builtin(
    installed: Mapping[str, PluginInfo | EntryPoint], wanted: Sequence[str]
) -> list[str]:
    """``wanted`` with :data:`BUILTIN` replaced by the built-in plugins' names (repeats dropped)."""
    builtin = sorted(n for n, item in installed.items() if _distribution(item) == CORE_DISTRIBUTION)
    names = [n for name in wanted for n in (builtin if name == BUILTIN else [name])]
    return list(dict.fromkeys(names))


def select_plugins(
    installed: Mapping[str, PluginInfo | EntryPoint],
    wanted: Sequence[str] | None,
    extra: Sequence[PluginInfo] = (),
) -> list[PluginInfo]:
    """Choose the enabled plugins, import them, and check every ``requires``.

    ``installed`` maps names to plugins or to entry points not imported yet: only the chosen
    ones are imported, so a broken plugin that is not enabled cannot stop the app.
    ``wanted`` is the ``SOPORTE_PLUGINS`` list (``None``: all installed; :data:`BUILTIN`
    stands for the built-in ones). ``extra`` plugins
    (ad-hoc, e.g. from tests) are always enabled.
    Raises :class:`PluginError` naming any unknown or missing plugin.
    """
    if wanted is None:
        chosen = {name: _loaded(item) for name, item in installed.items()}
    else:
        wanted = expand_builtin(installed, wanted)
        unknown = [name for name in wanted if name not in installed]
        if unknown:
            raise PluginError(
                f"unknown plugin(s) in SOPORTE_PLUGINS: {', '.join(unknown)}; "
                f"installed: {', '.join(sorted(installed)) or 'none'}"
            )
        chosen = {name: _loaded(installed[name]) for name in wanted}
    for info in extra:
        if info.name in chosen:
            raise PluginError(f"plugin {info.name!r} is registered twice")
        chosen[info.name] = info
    for info in chosen.values():
        missing = [req for req in info.requires if req not in chosen]
        if missing:
            raise PluginError(
                f"plugin {info.name!r} requires {', '.join(repr(m) for m in missing)}, "
                "which is not enabled (add it to SOPORTE_PLUGINS)"
            )
    return _order_by_requirements(chosen)


@dataclass
class _Call:
    """Which plugin produced which result, during one call of a hook through the facade.

    pluggy's result list carries no attribution and drops ``None``, yet routes, pages, models,
    demo data and plugin-declared hooks must name the plugin behind each result. So the host
    wraps every implementation's function when a plugin is registered (:class:`_PluginManager`):
    a plain implementation records ``(plugin, result)`` here as it returns, and a wrapper
    records the results it added. pluggy's own loop still does the calling (order, wrappers,
    monitoring); afterwards each item of its final list is matched back by identity.
    """

    hook_name: str
    #: ``(plugin, result, seconds)`` in the order pluggy produced them.
    produced: list[tuple[str, Any, float]] = field(default_factory=list)

    def add(self, plugin: str, result: Any, seconds: float) -> None:
        """An implementation answered (pluggy drops ``None``: so does the record)."""
        if result is not None:
            self.produced.append((plugin, result, seconds))

    def add_new(self, plugin: str, results: Any) -> None:
        """A wrapper returned ``results``: whatever no one produced is this wrapper's."""
        if not isinstance(results, list):
            return  # attribute() reports it
        known = {id(r) for _, r, _ in self.produced}
        self.produced += [(plugin, r, 0.0) for r in results if id(r) not in known]

    def attribute(self, results: Any) -> list[tuple[str, Any, float]]:
        """pluggy's final results, each with its plugin and the seconds its call took."""
        if not isinstance(results, list):
            raise PluginError(
                f"a wrapper of the hook {self.hook_name!r} returned {type(results).__name__}, "
                "not the list of results"
            )
        unused = list(self.produced)
        attributed = []
        for result in results:
            match = next((rec for rec in unused if rec[1] is result), None)
            if match is not None:
                unused.remove(match)
            else:  # the same object twice in the list: same plugin again
                match = next(rec for rec in self.produced if rec[1] is result)
            attributed.append(match)
        return attributed


#: The facade call under way in this context (``None``: a call outside the facade).
_CURRENT_CALL: ContextVar[_Call | None] = ContextVar("soporte_hook_call", default=None)


def _current(hook_name: str) -> _Call | None:
    call = _CURRENT_CALL.get()
    return call if call is not None and call.hook_name == hook_name else None


@dataclass
class _TraceFrame:
    """One traced hook call: when it started and how long each implementation took."""

    hook_name: str
    start: float
    timings: list[tuple[str, float]] = field(default_factory=list)


class _PluginManager(pluggy.PluginManager):
    """A pluggy manager that wraps each implementation's function as its plugin registers.

    ``HookImpl.function`` is what pluggy's call loop calls; replacing it with a wrapper that
    calls the original keeps every pluggy behaviour (the parameters were read from the original
    at registration; wrappers stay generator functions) and adds attribution and timing.
    """

    def __init__(self, project: str, wrap: Callable[[pluggy.HookImpl, str], Any]) -> None:
        super().__init__(project)
        self._wrap = wrap

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        """Register ``plugin`` as pluggy does, then wrap its implementations."""
        registered = super().register(plugin, name)
        if registered is not None:
            for caller in self.get_hookcallers(plugin) or ():
                for impl in caller.get_hookimpls():
                    if impl.plugin is plugin:
                        # HookImpl.function is Final for type checkers only: pluggy never
                        # reads it back after registration, its call loop just calls it.
                        wrapped = self._wrap(impl, caller.name)
                        impl.function = wrapped  # type: ignore[misc]  # Final in annotations only
        return registered


class PluginHost:
    """A fresh pluggy manager with the enabled plugins, and a typed way to call each hook.

    Core code calls hooks only through these methods, never through ``pm.hook`` directly.
    """

    def __init__(self, plugins: Sequence[PluginInfo]) -> None:
        self.pm: pluggy.PluginManager = _PluginManager(PROJECT, self._wrap)
        self.pm.add_hookspecs(hookspecs)
        #: Dependencies first (see :func:`select_plugins`).
        self.plugins: list[PluginInfo] = list(plugins)
        self._order = {info.name: i for i, info in enumerate(self.plugins)}
        self.tracing = os.environ.get(TRACE_ENV, "").strip().lower() not in ("", "0", "false")
        self._frames: list[_TraceFrame] = []
        if self.tracing:
            self.pm.add_hookcall_monitoring(self._trace_before, self._trace_after)
        try:
            # pluggy calls the last registered implementation first: registering dependents
            # first makes every plugin answer after the plugins it requires.
            # An implementation with arguments its spec lacks fails at registration (or when
            # a plugin adds the spec); a misspelt hook name, or a hook whose spec nobody
            # declares, fails at check_pending(). Either way: a PluginError naming the plugin.
            for info in reversed(self.plugins):
                self.pm.register(info.obj, name=info.name)
            self.pm.hook.register_hookspecs.call_historic(kwargs={"plugin_manager": self.pm})
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(str(exc)) from exc

    @classmethod
    def from_settings(cls, settings: Settings, extra: Sequence[Any] = ()) -> PluginHost:
        """Discover installed plugins, apply ``SOPORTE_PLUGINS`` and add ``extra`` ad-hoc ones."""
        installed = installed_entry_points()
        extras = [e if isinstance(e, PluginInfo) else plugin_info(e) for e in extra]
        return cls(select_plugins(installed, settings.enabled_plugins, extras))

    @property
    def names(self) -> list[str]:
        """Names of the enabled plugins, dependencies first."""
        return [info.name for info in self.plugins]

    def is_enabled(self, name: str) -> bool:
        """Whether a plugin of that name is enabled in this host."""
        return name in self._order

    def has_hook(self, hook_name: str) -> bool:
        """Whether some enabled plugin (or the core) declares the hook ``hook_name``."""
        hook = getattr(self.pm.hook, hook_name, None)
        return hook is not None and hook.has_spec()

    # --- calling machinery -------------------------------------------------------------------

    def _wrap(self, impl: pluggy.HookImpl, hook_name: str) -> Any:
        """The function pluggy calls for ``impl``: the original, recording who answered."""
        function = impl.function
        plugin = impl.plugin_name

        if impl.wrapper:

            @functools.wraps(function)
            def new_style(*args: Any, **kwargs: Any) -> Generator[None, Any, Any]:
                # pluggy types implementations as returning object; a new-style wrapper is a
                # generator function (pluggy checked it at registration).
                final = yield from cast("Generator[None, Any, Any]", function(*args, **kwargs))
                if (call := _current(hook_name)) is not None:
                    call.add_new(plugin, final)
                return final

            return new_style

        if impl.hookwrapper:

            @functools.wraps(function)
            def old_style(*args: Any, **kwargs: Any) -> Generator[None, Any, None]:
                # pluggy types every implementation as returning object; an old-style
                # wrapper is a generator function (pluggy checked it at registration).
                teardown = cast("Generator[Any, Any, None]", function(*args, **kwargs))
                try:
                    first = next(teardown)
                except StopIteration:
                    return  # pluggy reports the wrapper that did not yield
                outcome = yield first
                try:
                    teardown.send(outcome)
                except StopIteration:
                    pass
                else:
                    yield  # a second yield: pluggy reports it
                call = _current(hook_name)
                if call is not None and outcome.exception is None:
                    call.add_new(plugin, outcome.get_result())

            return old_style

        @functools.wraps(function)
        def plain(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            result = function(*args, **kwargs)
            seconds = time.perf_counter() - start
            if self._frames and self._frames[-1].hook_name == hook_name:
                self._frames[-1].timings.append((plugin, seconds))
            if (call := _current(hook_name)) is not None:
                call.add(plugin, result, seconds)
            return result

        return plain

    def _trace_before(
        self, hook_name: str, hook_impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]
    ) -> None:
        self._frames.append(_TraceFrame(hook_name, time.perf_counter()))

    def _trace_after(
        self,
        outcome: pluggy.Result[Any],
        hook_name: str,
        hook_impls: Sequence[pluggy.HookImpl],
        kwargs: Mapping[str, Any],
    ) -> None:
        frame = self._frames.pop()
        timings = list(frame.timings)
        parts = []
        for impl in reversed(hook_impls):  # the order pluggy calls them in
            if impl.wrapper or impl.hookwrapper:
                parts.append(f"{impl.plugin_name} (wrapper)")
                continue
            seconds = next((t for p, t in timings if p == impl.plugin_name), None)
            if seconds is not None:
                timings.remove((impl.plugin_name, seconds))
                parts.append(f"{impl.plugin_name} {seconds * 1000:.2f} ms")
            else:
                parts.append(impl.plugin_name)
        failed = f"; raised {outcome.exception!r}" if outcome.exception is not None else ""
        log.info(
            "hook %s: %.2f ms [%s]%s",
            hook_name,
            (time.perf_counter() - frame.start) * 1000,
            ", ".join(parts) or "no implementation",
            failed,
        )

    def _call(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any, float]]:
        """Call a hook through pluggy; each result with its plugin and its call's seconds."""
        hook = getattr(self.pm.hook, hook_name)
        call = _Call(hook_name)
        token = _CURRENT_CALL.set(call)
        try:
            results = hook(**kwargs)
        finally:
            _CURRENT_CALL.reset(token)
        return call.attribute(results)

    def _results(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """``(plugin, result)`` in pluggy's order (for build-time hooks)."""
        return [(plugin, result) for plugin, result, _ in self._call(hook_name, **kwargs)]

    async def _awaited(
        self, hook_name: str, answers: Sequence[tuple[str, Any, float]]
    ) -> AsyncIterator[tuple[str, Any, float]]:
        """Await each answer in turn: ``(plugin, value, seconds of its call and its await)``."""
        pending = list(answers)
        try:
            while pending:
                plugin, result, called = pending.pop(0)
                start = time.perf_counter()
                value = await await_me_maybe(result)
                seconds = time.perf_counter() - start
                if self.tracing and inspect.isawaitable(result):
                    log.info("hook %s: %s awaited in %.2f ms", hook_name, plugin, seconds * 1000)
                yield plugin, value, called + seconds
        finally:
            # One answer failed, or the caller (a request whose client left) was cancelled:
            # the coroutines not awaited yet will never run, so close them now rather than
            # leave "coroutine was never awaited" warnings to the garbage collector.
            for _, result, _ in pending:
                if inspect.iscoroutine(result):
                    result.close()

    def _by_dependencies(
        self, answers: list[tuple[str, Any, float]]
    ) -> list[tuple[str, Any, float]]:
        """Answers sorted so that a plugin's come after those of the plugins it requires."""
        return sorted(answers, key=lambda a: self._order.get(a[0], len(self._order)))

    # --- build time --------------------------------------------------------------------------

    def settings_classes(self) -> list[tuple[str, Any]]:
        """Each plugin's settings class (hook ``register_settings``), with its plugin."""
        return [(name, cls) for name, cls in self._results("register_settings") if cls is not None]

    def models(self) -> dict[str, list[str]]:
        """Model modules per Tortoise app label (the plugin's name)."""
        models: dict[str, list[str]] = {}
        for name, mods in self._results("register_models"):
            if mods:
                models.setdefault(name, []).extend(mods)
        return models

    def routes(self, app: web.Application) -> list[tuple[str, Endpoint]]:
        """Every endpoint, with the plugin that contributed it."""
        return [
            (name, endpoint)
            for name, endpoints in self._results("register_routes", app=app)
            for endpoint in endpoints or ()
        ]

    def listeners(self, app: web.Application) -> list[Listener]:
        """Every event subscription."""
        return [
            listener
            for _, listeners in self._results("register_listeners", app=app)
            for listener in listeners or ()
        ]

    def outbox_channels(self, app: web.Application) -> list[tuple[str, OutboxChannel]]:
        """Every outbox delivery channel declared, with its plugin."""
        return [
            (name, channel)
            for name, channels in self._results("register_outbox_channels", app=app)
            for channel in channels or ()
        ]

    def background(self, app: web.Application) -> list[BackgroundContext]:
        """Every background ``cleanup_ctx`` contributed."""
        return [
            ctx for _, ctxs in self._results("register_background", app=app) for ctx in ctxs or ()
        ]

    def pages(self, app: web.Application) -> list[tuple[str, Page]]:
        """Every server-rendered page, with the plugin that contributed it."""
        return [
            (name, page)
            for name, pages in self._results("register_pages", app=app)
            for page in pages or ()
        ]

    def add_commands(self, cli: click.Group) -> None:
        """Let each plugin add its ``soporte`` sub-commands."""
        self._call("register_commands", cli=cli)

    # --- run time ----------------------------------------------------------------------------

    async def dashboard_stats(self, usuario: Usuario, desde: datetime) -> dict[str, Any]:
        """Merge every plugin's dashboard numbers, in pluggy's order (a later key wins)."""
        answers = self._call("dashboard_stats", usuario=usuario, desde=desde)
        stats: dict[str, Any] = {}
        async for _, contributed, _ in self._awaited("dashboard_stats", answers):
            if contributed:
                stats.update(contributed)
        return stats

    def dashboard_stats_schemas(self) -> list[type[BaseModel]]:
        """The models declaring the dashboard's keys, one per plugin that declares any."""
        return [model for _, model in self._results("dashboard_stats_schema") if model]

    async def dashboard_series(
        self, usuario: Usuario, periodo: Periodo, partes: Partes | None = None
    ) -> Aporte:
        """Merge every plugin's series or tables, as ``partes`` asks (default: both), from the
        hook ``dashboard_series``; what a plugin answers beyond ``partes`` is dropped."""
        from core.dashboard import Aporte, Partes

        partes = partes or Partes()
        answers = self._call("dashboard_series", usuario=usuario, periodo=periodo, partes=partes)
        todo = Aporte()
        async for _, contributed, _ in self._awaited("dashboard_series", answers):
            if contributed:
                aporte = Aporte.model_validate(contributed).solo(partes)
                todo.series.update(aporte.series)
                todo.tablas.update(aporte.tablas)
        return todo

    def dashboard_series_schemas(self) -> list[type[BaseModel]]:
        """The models declaring the series' names, one per plugin that declares any."""
        return [model for _, model in self._results("dashboard_series_schema") if model]

    async def mail_thread_references(self, app: web.Application, numero: str) -> list[str]:
        """Every plugin's Message-IDs for a mail about ticket ``numero``, in pluggy's order,
        duplicates dropped (hook ``mail_thread_references``)."""
        answers = self._call("mail_thread_references", app=app, numero=numero)
        ids: dict[str, None] = {}
        async for _, contributed, _ in self._awaited("mail_thread_references", answers):
            for message_id in contributed or ():
                ids.setdefault(str(message_id), None)
        return list(ids)

    async def load_demo_data(self, usuarios: dict[str, Usuario]) -> None:
        """Let every plugin load its demo data, one at a time, dependencies first.

        pluggy calls every implementation at once (``tryfirst`` may put a dependent first);
        the work is in the awaitables they return, which are awaited here in dependency order.
        """
        answers = self._by_dependencies(self._call("load_demo_data", usuarios=usuarios))
        async for name, _, _ in self._awaited("load_demo_data", answers):
            log.info("demo data loaded by %s", name)

    async def generate_synthetic_data(
        self, usuarios: SyntheticUsers, n_tickets: int, rng: random.Random, ahora: datetime
    ) -> AsyncIterator[tuple[str, Mapping[str, int] | None, float]]:
        """Let every plugin generate its bulk synthetic data, one at a time, dependencies first.

        Yields ``(plugin, counts, seconds)`` as each plugin finishes (awaited in dependency
        order, as :meth:`load_demo_data`). A plugin answering ``None`` yields ``None`` counts.
        """
        answers = self._call(
            "generate_synthetic_data", usuarios=usuarios, n_tickets=n_tickets, rng=rng, ahora=ahora
        )
        answered = {name for name, _, _ in answers}
        # pluggy drops None answers; a plugin that answered nothing still reports, with no counts.
        silent = [
            (impl.plugin_name, None, 0.0)
            for impl in self.pm.hook.generate_synthetic_data.get_hookimpls()
            if not (impl.wrapper or impl.hookwrapper) and impl.plugin_name not in answered
        ]
        ordered = self._by_dependencies([*answers, *silent])
        async for name, counts, seconds in self._awaited("generate_synthetic_data", ordered):
            yield name, counts, seconds

    def call_plugin_hook(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook declared by a plugin (``register_hookspecs``), keeping who answered.

        For plugins that offer extension points of their own (``escalamiento``'s policies,
        ``tickets``' ``validate_reserva``). The call goes through pluggy like every other
        (ordering, wrappers, monitoring); results come as ``(plugin, result)`` in pluggy's
        order, unawaited: pass each through :func:`core.plugin_contract.await_me_maybe` if the
        spec allows ``async`` implementations. Raises :class:`PluginError` if no enabled plugin
        declares the hook (see :meth:`has_hook`).
        """
        if not self.has_hook(hook_name):
            raise PluginError(f"no plugin declares the hook {hook_name!r}")
        return self._results(hook_name, **kwargs)

    def describe(self) -> list[dict[str, Any]]:
        """Name, version, requirements and source of each enabled plugin."""
        return [
            {
                "name": info.name,
                "version": info.version,
                "requires": list(info.requires),
                "distribution": info.distribution,
            }
            for info in self.plugins
        ]
