"""The plugin host: finds plugins, checks them, and calls their hooks through a typed facade.

Built-in plugins are not special: the ``soporte`` distribution declares them in the entry-point
group ``soporte.plugins`` exactly like a third-party package would, so ``core`` never imports
``plugins``. Every application gets a fresh :class:`pluggy.PluginManager`.
"""

from __future__ import annotations

import inspect
import logging
import time
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from core import hookspecs
from core.hookspecs import PROJECT

if TYPE_CHECKING:
    import random
    from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping, Sequence
    from datetime import datetime
    from types import ModuleType

    import click
    from aiohttp import web

    from core.api.routing import Endpoint
    from core.app import BackgroundContext
    from core.auth.models import Usuario
    from core.events import Listener
    from core.pages import Page
    from core.settings import Settings
    from core.synthetic import SyntheticUsers

ENTRY_POINT_GROUP = "soporte.plugins"
log = logging.getLogger("soporte.plugins")

T = TypeVar("T")


class PluginError(Exception):
    """A plugin cannot be loaded or its requirements are not met. The message names it."""


async def await_me_maybe(value: T | Awaitable[T]) -> T:
    """Await ``value`` if it is awaitable, so hook implementations may be plain or async."""
    if inspect.isawaitable(value):
        return await value
    return value


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


def select_plugins(
    installed: Mapping[str, PluginInfo | EntryPoint],
    wanted: Sequence[str] | None,
    extra: Sequence[PluginInfo] = (),
) -> list[PluginInfo]:
    """Choose the enabled plugins, import them, and check every ``requires``.

    ``installed`` maps names to plugins or to entry points not imported yet: only the chosen
    ones are imported, so a broken plugin that is not enabled cannot stop the app.
    ``wanted`` is the ``SOPORTE_PLUGINS`` list (``None``: all installed). ``extra`` plugins
    (ad-hoc, e.g. from tests) are always enabled.
    Raises :class:`PluginError` naming any unknown or missing plugin.
    """
    if wanted is None:
        chosen = {name: _loaded(item) for name, item in installed.items()}
    else:
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


class PluginHost:
    """A fresh pluggy manager with the enabled plugins, and a typed way to call each hook.

    Core code calls hooks only through these methods, never through ``pm.hook`` directly.
    """

    def __init__(self, plugins: Sequence[PluginInfo]) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: list[PluginInfo] = list(plugins)
        try:
            # An implementation with arguments its spec lacks fails at registration (or when
            # a plugin adds the spec); a misspelt hook name, or a hook whose spec nobody
            # declares, fails at check_pending(). Either way: a PluginError naming the plugin.
            for info in self.plugins:
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
        return name in self.names

    def _each_plugin(self, hook: pluggy.HookCaller, **kwargs: Any) -> Iterator[tuple[str, Any]]:
        """Call ``hook`` on each plugin in plugin order, lazily, keeping which plugin answered.

        Lazy so that a caller can await one plugin's (possibly async) answer before the next
        plugin is called: a plugin that ``requires`` another then sees its work done.
        """
        by_name = {impl.plugin_name: impl for impl in hook.get_hookimpls()}
        for name in self.names:
            impl = by_name.get(name)
            if impl is not None:
                # As pluggy does: an implementation receives only the arguments it names.
                yield name, impl.function(**{a: kwargs[a] for a in impl.argnames})

    def _per_plugin(self, hook: pluggy.HookCaller, **kwargs: Any) -> list[tuple[str, Any]]:
        """Every plugin's answer to ``hook``, in plugin order (for build-time hooks)."""
        return list(self._each_plugin(hook, **kwargs))

    # --- build time --------------------------------------------------------------------------

    def settings_classes(self) -> list[tuple[str, Any]]:
        """Each plugin's settings class (hook ``register_settings``), by plugin, in order."""
        return [
            (name, cls)
            for name, cls in self._per_plugin(self.pm.hook.register_settings)
            if cls is not None
        ]

    def models(self) -> dict[str, list[str]]:
        """Model modules per Tortoise app label (the plugin's name)."""
        return {
            name: list(mods or ())
            for name, mods in self._per_plugin(self.pm.hook.register_models)
            if mods
        }

    def routes(self, app: web.Application) -> list[tuple[str, Endpoint]]:
        """Every endpoint, with the plugin that contributed it."""
        return [
            (name, endpoint)
            for name, endpoints in self._per_plugin(self.pm.hook.register_routes, app=app)
            for endpoint in endpoints or ()
        ]

    def listeners(self, app: web.Application) -> list[Listener]:
        """Every event subscription."""
        return [
            listener
            for _, listeners in self._per_plugin(self.pm.hook.register_listeners, app=app)
            for listener in listeners or ()
        ]

    def background(self, app: web.Application) -> list[BackgroundContext]:
        """Every background ``cleanup_ctx`` contributed."""
        return [
            ctx
            for _, ctxs in self._per_plugin(self.pm.hook.register_background, app=app)
            for ctx in ctxs or ()
        ]

    def pages(self, app: web.Application) -> list[tuple[str, Page]]:
        """Every server-rendered page, with the plugin that contributed it."""
        return [
            (name, page)
            for name, pages in self._per_plugin(self.pm.hook.register_pages, app=app)
            for page in pages or ()
        ]

    def add_commands(self, cli: click.Group) -> None:
        """Let each plugin add its ``soporte`` sub-commands."""
        self._per_plugin(self.pm.hook.register_commands, cli=cli)

    # --- run time ----------------------------------------------------------------------------

    async def dashboard_stats(self, usuario: Usuario, desde: datetime) -> dict[str, Any]:
        """Merge every plugin's dashboard numbers."""
        stats: dict[str, Any] = {}
        for _, result in self._each_plugin(
            self.pm.hook.dashboard_stats, usuario=usuario, desde=desde
        ):
            contributed = await await_me_maybe(result)
            if contributed:
                stats.update(contributed)
        return stats

    async def validate_reserva(self, reserva_id: int, usuario: Usuario) -> list[str]:
        """Every objection the plugins raise against a booking id (empty: accepted)."""
        errors: list[str] = []
        for _, result in self._each_plugin(
            self.pm.hook.validate_reserva, reserva_id=reserva_id, usuario=usuario
        ):
            message = await await_me_maybe(result)
            if message:
                errors.append(str(message))
        return errors

    async def load_demo_data(self, usuarios: dict[str, Usuario]) -> None:
        """Let every plugin load its demo data, dependencies first."""
        for name, result in self._each_plugin(self.pm.hook.load_demo_data, usuarios=usuarios):
            await await_me_maybe(result)
            log.info("demo data loaded by %s", name)

    async def generate_synthetic_data(
        self, usuarios: SyntheticUsers, n_tickets: int, rng: random.Random, ahora: datetime
    ) -> AsyncIterator[tuple[str, Mapping[str, int] | None, float]]:
        """Let every plugin generate its bulk synthetic data, dependencies first.

        Yields ``(plugin, counts, seconds)`` as each plugin finishes.
        """
        calls = self._each_plugin(
            self.pm.hook.generate_synthetic_data,
            usuarios=usuarios,
            n_tickets=n_tickets,
            rng=rng,
            ahora=ahora,
        )
        while True:
            start = time.perf_counter()
            try:
                name, result = next(calls)  # calls the next plugin's implementation
            except StopIteration:
                return
            counts = await await_me_maybe(result)
            yield name, counts, time.perf_counter() - start

    def call_plugin_hook(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook declared by a plugin (``register_hookspecs``), keeping who answered.

        For plugins that offer extension points of their own (``escalamiento``'s policies);
        results come in plugin order, unawaited.
        """
        hook = getattr(self.pm.hook, hook_name, None)
        if hook is None:
            raise PluginError(f"no plugin declares the hook {hook_name!r}")
        return self._per_plugin(hook, **kwargs)

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
