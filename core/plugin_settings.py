"""Per-plugin settings: each plugin's own pydantic-settings model, built and checked at start.

A plugin declares its settings with the hook ``register_settings()``, returning a
:class:`pydantic_settings.BaseSettings` subclass. For plugin ``vip`` the host reads field
``clientes`` from, in order of precedence:

1. code: ``Settings(plugin_settings={"vip": {"clientes": [...]}})`` (tests, embedding);
2. the environment: ``SOPORTE_VIP_CLIENTES``;
3. ``soporte.toml``: ``clientes = [...]`` in the table ``[plugins.vip]``;
4. the field's default.

A bad value stops the start-up with a :class:`~core.plugins.PluginError` naming the plugin, the
field and where the value came from. The instances live on the application under
:data:`core.keys.PLUGIN_SETTINGS`; read them with :func:`plugin_settings`, which checks the
type so that the caller (and mypy) knows the class.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretBytes, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from core import keys
from core.plugins import PluginError
from core.settings import (
    ENV_PREFIX,
    TOML_FILE,
    env_name,
    is_set_in_env,
    read_toml,
    renamed_sources,
    warn_renamed,
)

if TYPE_CHECKING:
    from aiohttp import web

    from core.settings import Settings

S = TypeVar("S", bound=BaseSettings)

#: Masked in ``soporte config``: values of fields whose name says they are secret.
_SECRET_NAME = re.compile(r"secret|password|passwd", re.IGNORECASE)
#: The password of a URL (``postgres://user:password@host``).
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@/\s]+@")
MASK = "********"


def env_prefix(plugin: str) -> str:
    """``SOPORTE_<PLUGIN>_``: the prefix of a plugin's environment variables."""
    return f"{ENV_PREFIX}{re.sub(r'[^A-Za-z0-9]', '_', plugin).upper()}_"


def toml_key(plugin: str, field: str) -> str:
    """How ``soporte config`` and error messages name a key of a plugin's TOML table."""
    return f"[plugins.{plugin}] {field} in {TOML_FILE}"


def display_value(field: str, value: Any) -> str:
    """A setting's value for humans, with secrets (and URLs' passwords) masked."""
    if value is None:
        return "unset"
    if isinstance(value, SecretStr | SecretBytes) or _SECRET_NAME.search(field):
        return MASK
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "[]"
    return _URL_PASSWORD.sub(rf"\g<1>{MASK}@", str(value))


class PluginSettings:
    """The settings instance of every enabled plugin that declares settings, by plugin name."""

    def __init__(self, values: Mapping[str, BaseSettings], sources: Mapping[str, Source]) -> None:
        self._values = dict(values)
        self._sources = dict(sources)

    @property
    def names(self) -> list[str]:
        """The plugins that have settings, in plugin order."""
        return list(self._values)

    def __contains__(self, plugin: object) -> bool:
        return plugin in self._values

    def get(self, plugin: str, cls: type[S]) -> S:
        """Plugin ``plugin``'s settings, checked to be a ``cls`` (the class its hook returns).

        Raises :class:`KeyError` when the plugin is not enabled or declares no settings, and
        :class:`TypeError` when its settings are of another class.
        """
        try:
            value = self._values[plugin]
        except KeyError:
            raise KeyError(f"plugin {plugin!r} is not enabled or declares no settings") from None
        if not isinstance(value, cls):
            raise TypeError(
                f"the settings of plugin {plugin!r} are {type(value).__name__}, not {cls.__name__}"
            )
        return value

    def describe(self) -> list[tuple[str, str, str, str]]:
        """``(plugin, field, shown value, source)`` of every field, secrets masked."""
        rows = []
        for plugin, value in self._values.items():
            for field in type(value).model_fields:
                shown = display_value(field, getattr(value, field))
                rows.append((plugin, field, shown, self._sources[plugin].of(field)))
        return rows


class Source:
    """Tells where each field of one plugin's settings comes from (same precedence as reading)."""

    def __init__(
        self,
        plugin: str,
        overrides: Mapping[str, Any],
        table: Mapping[str, Any],
        renamed: Mapping[str, str],
        flat: Mapping[str, str] | None = None,
    ) -> None:
        self.plugin, self.prefix = plugin, env_prefix(plugin)
        self._overrides, self._table, self._renamed = overrides, table, renamed
        #: field → the old flat soporte.toml key it was read from (``escalamiento_intervalo``).
        self._flat = dict(flat or {})

    def of(self, field: str) -> str:
        """``code``, ``env VAR``, the TOML key, or ``default`` (old names marked deprecated)."""
        old = [o for o, n in self._renamed.items() if n == field]
        if field in self._overrides or any(o in self._overrides for o in old):
            return "code"
        if is_set_in_env(self.prefix, field):
            return f"env {env_name(self.prefix, field)}"
        for name in old:
            if is_set_in_env(self.prefix, name):
                return f"env {env_name(self.prefix, name)} (deprecated)"
        if field in self._flat:  # moved into the table from an old top-level key
            return f"{self._flat[field]} in {TOML_FILE} (deprecated)"
        if field in self._table:
            return toml_key(self.plugin, field)
        for name in old:
            if name in self._table:
                return f"{toml_key(self.plugin, name)} (deprecated)"
        return "default"


def _bind(
    plugin: str,
    cls: type[S],
    table: Mapping[str, Any],
    renamed: Mapping[str, str],
) -> type[S]:
    """A subclass of ``cls`` reading ``SOPORTE_<PLUGIN>_*`` and the plugin's TOML table.

    A subclass, so that the instance is still a ``cls`` for :meth:`PluginSettings.get`; the
    author's own configuration (``extra``, case sensitivity…) is kept, only the prefix and the
    sources are the host's.
    """
    prefix = env_prefix(plugin)

    def customise(
        bound: type[BaseSettings],
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return renamed_sources(
            settings_cls,
            init_settings,
            env_settings,
            lambda: dict(table),
            prefix=prefix,
            renamed=renamed,
            describe_key=lambda key: toml_key(plugin, key),
        )

    namespace = {
        "model_config": {**cls.model_config, "env_prefix": prefix},
        "settings_customise_sources": classmethod(customise),
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
    }
    return type(cls.__name__, (cls,), namespace)


def _one_line(plugin: str, exc: ValidationError, source: Source, fields: Iterable[str]) -> str:
    """``plugin 'vip': setting 'clientes' (env SOPORTE_VIP_CLIENTES): <reason>; …``."""
    known = set(fields)
    parts = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        if not loc:
            parts.append(f"plugin {plugin!r}: {error['msg']}")
            continue
        field = loc[0]
        # An unknown key can only come from code or the TOML table (the environment is read
        # for known fields only).
        where = (
            source.of(field) if field in known else f"unknown; code or {toml_key(plugin, field)}"
        )
        parts.append(f"plugin {plugin!r}: setting {'.'.join(loc)!r} ({where}): {error['msg']}")
    return "; ".join(parts)


def flat_key_prefix(plugin: str) -> str:
    """``escalamiento_``: how old top-level keys of a plugin's settings began."""
    return f"{re.sub(r'[^A-Za-z0-9]', '_', plugin).lower()}_"


def _move_flat_keys(
    settings: Settings,
    plugin: str,
    cls: type[BaseSettings],
    renamed: Mapping[str, str],
    flat: Mapping[str, Any],
    target: Mapping[str, Any],
    describe_old: Callable[[str], str],
    describe_new: Callable[[str], str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Old flat keys of ``plugin`` in ``flat`` (``escalamiento_intervalo``), moved into a copy
    of ``target`` under the field's current name (a value already in ``target`` wins), with a
    DeprecationWarning naming the new place; and ``field → old key`` of the keys moved.

    Before plugins had settings of their own, ``escalamiento_intervalo`` was a top-level key
    of ``soporte.toml`` and a keyword of ``Settings``; ignoring it silently would change a
    deployment's behaviour without a word.
    """
    prefix = flat_key_prefix(plugin)
    core = {*type(settings).model_fields, *type(settings).renamed}
    moved, origin = dict(target), {}
    for key, value in flat.items():
        if not key.startswith(prefix) or key in core:  # a plugin `max` has no say on max_files
            continue
        rest = key.removeprefix(prefix)
        field = renamed.get(rest, rest)
        if field not in cls.model_fields:
            continue
        warn_renamed(describe_old(key), describe_new(field))
        if field not in moved and rest not in moved:
            moved[field] = value
            origin[field] = key
    return moved, origin


def build_plugin_settings(
    declared: Iterable[tuple[str, Any]],
    settings: Settings,
    toml: Mapping[str, Any] | None = None,
) -> PluginSettings:
    """Build and validate each plugin's settings: ``declared`` is ``(plugin, class)`` pairs,
    the answers to ``register_settings()``; ``toml`` defaults to ``soporte.toml``.

    Raises :class:`PluginError` naming the plugin, the field and its source.
    """
    document = read_toml() if toml is None else toml
    tables = document.get("plugins")
    if not isinstance(tables, Mapping):
        tables = {}
    values: dict[str, BaseSettings] = {}
    sources: dict[str, Source] = {}
    for plugin, cls in declared:
        if cls is None:
            continue
        if not (isinstance(cls, type) and issubclass(cls, BaseSettings)):
            raise PluginError(
                f"plugin {plugin!r}: register_settings() must return a pydantic-settings "
                f"BaseSettings subclass, not {cls!r}"
            )
        table = tables.get(plugin, {})
        if not isinstance(table, Mapping):
            raise PluginError(f"plugin {plugin!r}: [plugins.{plugin}] in {TOML_FILE} is no table")
        renamed: Mapping[str, str] = getattr(cls, "renamed", None) or {}

        def code_name(field: str, p: str = plugin) -> str:
            return f"plugin_settings={{{p!r}: {{{field!r}: ...}}}}"

        def toml_name(field: str, p: str = plugin) -> str:
            return toml_key(p, field)

        overrides, _ = _move_flat_keys(
            settings,
            plugin,
            cls,
            renamed,
            settings.unknown_code_values,
            settings.plugin_settings.get(plugin, {}),
            lambda key: f"{key}=",
            code_name,
        )
        table, flat = _move_flat_keys(
            settings,
            plugin,
            cls,
            renamed,
            document,
            table,
            lambda key: f"{key} in {TOML_FILE}",
            toml_name,
        )
        source = Source(plugin, overrides, table, renamed, flat)
        try:
            values[plugin] = _bind(plugin, cls, table, renamed)(**overrides)
        except ValidationError as exc:
            raise PluginError(_one_line(plugin, exc, source, cls.model_fields)) from exc
        sources[plugin] = source
    return PluginSettings(values, sources)


def plugin_settings(app: web.Application, plugin: str, cls: type[S]) -> S:
    """Plugin ``plugin``'s settings on ``app``, as a ``cls`` (see :meth:`PluginSettings.get`)."""
    return app[keys.PLUGIN_SETTINGS].get(plugin, cls)
