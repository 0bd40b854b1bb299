"""Hooks are called through pluggy's own loop, so its documented calling rules hold.

Each test uses ad-hoc plugins (objects with ``name`` and ``@hookimpl`` methods) with
``tryfirst``, ``trylast``, ``wrapper=True`` (new style) and ``hookwrapper=True`` (old style)
implementations of a run-time hook (``dashboard_stats``, async) and a build-time hook
(``register_routes``), through a real app or through :class:`core.plugins.PluginHost`.

pluggy's rules (https://pluggy.readthedocs.io/en/stable/#call-time-order): implementations are
called last registered first (LIFO), ``tryfirst`` ones before, ``trylast`` ones after the rest;
wrappers run around all of them and see their results. The host registers plugins in reverse
dependency order, so LIFO means "a plugin after the plugins it requires".
"""

from __future__ import annotations

import inspect
import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pluggy
import pytest
from aiohttp import web  # at run time: the endpoints' annotations are read

from core import hookimpl, keys
from core.api import PUBLIC, Routes
from core.auth.models import Rol, Usuario
from core.plugins import TRACE_ENV, PluginHost
from core.settings import Settings
from tests.core.pruebas import Mensaje

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Generator

    from core.testing import SoporteClient

URL = "/api/soporte/dashboard/stats/"


def rutas(plugin: str) -> Routes:
    """One public endpoint ``GET /api/<plugin>/`` answering the plugin's name."""
    routes = Routes(tag=plugin)

    @routes.get(f"/api/{plugin}/", auth=PUBLIC)
    async def quien(request: web.Request) -> Mensaje:
        """Which plugin serves this path."""
        return Mensaje(mensaje=plugin)

    return routes


class Plano:
    """A plugin with plain (neither first nor last) implementations, recording its calls."""

    requires: tuple[str, ...] = ()

    def __init__(self, name: str, calls: list[str], *, requires: tuple[str, ...] = ()) -> None:
        self.name = name
        self.calls = calls
        self.requires = requires

    @hookimpl
    async def dashboard_stats(self) -> dict[str, int]:
        # Recorded when awaited: the host awaits the answers in pluggy's order.
        self.calls.append(self.name)
        return {self.name: len(self.calls), "ultimo": len(self.calls)}

    @hookimpl
    def register_routes(self, app: web.Application) -> Routes:
        self.calls.append(f"routes:{self.name}")
        return rutas(self.name)


class Primero(Plano):
    """Asks to be called before every other implementation."""

    @hookimpl(tryfirst=True)
    async def dashboard_stats(self) -> dict[str, int]:
        return await super().dashboard_stats()

    @hookimpl(tryfirst=True)
    def register_routes(self, app: web.Application) -> Routes:
        return super().register_routes(app)


class Ultimo(Plano):
    """Asks to be called after every other implementation."""

    @hookimpl(trylast=True)
    async def dashboard_stats(self) -> dict[str, int]:
        return await super().dashboard_stats()

    @hookimpl(trylast=True)
    def register_routes(self, app: web.Application) -> Routes:
        return super().register_routes(app)


def cuatro(calls: list[str]) -> list[Any]:
    """A dependency, its dependent (sorting before it by name), a tryfirst and a trylast one.

    Dependencies first and by name, the host's order is ``zeta_base, alfa_dependiente,
    medio_ultimo, primero``; pluggy then calls ``primero`` (tryfirst), ``zeta_base`` and
    ``alfa_dependiente`` (LIFO over the reversed registration) and ``medio_ultimo`` (trylast).
    """
    return [
        Plano("alfa_dependiente", calls, requires=("zeta_base",)),
        Primero("primero", calls),
        Ultimo("medio_ultimo", calls),
        Plano("zeta_base", calls),
    ]


EXPECTED = ["primero", "zeta_base", "alfa_dependiente", "medio_ultimo"]


def host_with(*plugins: Any) -> PluginHost:
    """A host with no installed plugin, only ``plugins``."""
    return PluginHost.from_settings(Settings(plugins="none"), extra=list(plugins))


async def stats(host: PluginHost) -> dict[str, Any]:
    """The merged dashboard numbers of ``host``."""
    return await host.dashboard_stats(Usuario(username="ana"), datetime.now(UTC))


# --- order -------------------------------------------------------------------------------------


async def test_order_is_tryfirst_then_dependencies_first_then_trylast() -> None:
    calls: list[str] = []
    host = host_with(*cuatro(calls))
    assert host.names == ["zeta_base", "alfa_dependiente", "medio_ultimo", "primero"]
    merged = await stats(host)
    assert calls == EXPECTED
    # The answers are merged in that order too: a later key wins.
    assert merged == {
        "primero": 1,
        "zeta_base": 2,
        "alfa_dependiente": 3,
        "medio_ultimo": 4,
        "ultimo": 4,
    }


async def test_a_plugin_that_requires_another_is_called_after_it_whatever_the_names() -> None:
    for base, dependiente in (("a", "b"), ("b", "a")):
        calls: list[str] = []
        plugins = [Plano(dependiente, calls, requires=(base,)), Plano(base, calls)]
        for extra in (plugins, list(reversed(plugins))):
            calls.clear()
            host = host_with(*extra)
            await stats(host)
            assert calls == [base, dependiente], extra


async def test_build_time_hooks_follow_the_same_order_and_attribute_each_endpoint(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    calls: list[str] = []
    api = await arrancar(extra=cuatro(calls))
    assert [c for c in calls if c.startswith("routes:")] == [f"routes:{p}" for p in EXPECTED]
    mine = [(plugin, e.path) for plugin, e in api.app[keys.ENDPOINTS] if plugin != "core"]
    assert mine == [(p, f"/api/{p}/") for p in EXPECTED]
    for plugin in EXPECTED:
        r = await api.get(f"/api/{plugin}/")
        assert r.status == 200 and (await r.json())["mensaje"] == plugin


# --- wrappers ---------------------------------------------------------------------------------


class Envoltorio:
    """A new-style wrapper (``wrapper=True``): sees the others' results and returns its own."""

    name = "envoltorio"

    def __init__(self) -> None:
        self.seen: list[Any] = []

    @hookimpl(wrapper=True)
    def dashboard_stats(self) -> Generator[None, list[Any], list[Any]]:
        results = yield
        # Unawaited coroutines: a wrapper of an async hook may add, drop or reorder, not await.
        self.seen = list(results)
        return [*results, {"envuelto": len(results), "ultimo": 0}]

    @hookimpl(wrapper=True)
    def register_routes(self, app: web.Application) -> Generator[None, list[Any], list[Any]]:
        results = yield
        self.seen = list(results)
        return [*results, rutas("envoltorio")]


class Viejo:
    """An old-style wrapper (``hookwrapper=True``): reverses the others' results."""

    name = "viejo"

    def __init__(self) -> None:
        self.seen: list[Any] = []

    @hookimpl(hookwrapper=True)
    def dashboard_stats(self) -> Generator[None, pluggy.Result[list[Any]], None]:
        outcome = yield
        self.seen = list(outcome.get_result())
        outcome.force_result(list(reversed(outcome.get_result())))

    @hookimpl(hookwrapper=True)
    def register_routes(self, app: web.Application) -> Generator[None, pluggy.Result[Any], None]:
        outcome = yield
        self.seen = list(outcome.get_result())
        outcome.force_result(list(reversed(outcome.get_result())))


async def test_a_new_style_wrapper_sees_the_unawaited_results_and_adds_one(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    calls: list[str] = []
    envoltorio = Envoltorio()
    api = await arrancar(extra=[*cuatro(calls), envoltorio])
    ana = await api.usuario("ana", Rol.AGENTE)
    r = await api.get(URL, headers=api.auth(ana))
    assert r.status == 200, await r.text()
    assert len(envoltorio.seen) == 4 and all(inspect.iscoroutine(c) for c in envoltorio.seen)
    assert calls[-4:] == EXPECTED  # the wrapper changed nothing of the others' order
    # Its own contribution came last: its "ultimo" overrides medio_ultimo's.
    assert await r.json() == {
        "primero": 5,
        "zeta_base": 6,
        "alfa_dependiente": 7,
        "medio_ultimo": 8,
        "envuelto": 4,
        "ultimo": 0,
    }


async def test_an_old_style_wrapper_reverses_the_order_of_the_awaits() -> None:
    calls: list[str] = []
    viejo = Viejo()
    merged = await stats(host_with(*cuatro(calls), viejo))
    assert len(viejo.seen) == 4 and all(inspect.iscoroutine(c) for c in viejo.seen)
    assert calls == list(reversed(EXPECTED))
    assert merged["ultimo"] == 4 and merged["primero"] == 4  # primero is now awaited last


class Censor:
    """A new-style wrapper that drops the first answer (closing it: it will never be awaited)."""

    name = "censor"

    @hookimpl(wrapper=True)
    def dashboard_stats(self) -> Generator[None, list[Any], list[Any]]:
        first, *rest = yield
        first.close()
        return rest


async def test_a_wrapper_may_drop_an_answer_which_is_then_never_run() -> None:
    calls: list[str] = []
    merged = await stats(host_with(*cuatro(calls), Censor()))
    assert calls == EXPECTED[1:]  # primero's coroutine was dropped before it ran
    assert "primero" not in merged and merged["ultimo"] == 3


async def test_both_wrapper_styles_nest_and_results_keep_their_plugin(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    calls: list[str] = []
    envoltorio, viejo = Envoltorio(), Viejo()
    api = await arrancar(extra=[*cuatro(calls), envoltorio, viejo])
    # Wrappers too are called LIFO over the registration: ``viejo`` (registered first, as the
    # last by name) is the innermost, so ``envoltorio`` sees the reversed list.
    assert [type(r) for r in envoltorio.seen] == [Routes] * 4
    assert [next(iter(r)).path for r in envoltorio.seen] == [
        f"/api/{p}/" for p in reversed(EXPECTED)
    ]
    mine = [(plugin, e.path) for plugin, e in api.app[keys.ENDPOINTS] if plugin != "core"]
    assert mine == [
        *[(p, f"/api/{p}/") for p in reversed(EXPECTED)],
        ("envoltorio", "/api/envoltorio/"),  # added by a wrapper: attributed to it
    ]
    r = await api.get("/api/envoltorio/")
    assert r.status == 200 and (await r.json())["mensaje"] == "envoltorio"
    spec = await (await api.get("/api/openapi.json")).json()
    assert spec["paths"]["/api/envoltorio/"]["get"]["x-plugin"] == "envoltorio"
    assert spec["paths"]["/api/primero/"]["get"]["x-plugin"] == "primero"


# --- monitoring and tracing ---------------------------------------------------------------------


async def test_add_hookcall_monitoring_sees_every_call_with_its_implementations() -> None:
    calls: list[str] = []
    host = host_with(*cuatro(calls), Envoltorio())
    seen: list[tuple[str, list[str], Any]] = []

    def before(hook_name: str, impls: list[pluggy.HookImpl], kwargs: dict[str, Any]) -> None:
        seen.append((hook_name, [i.plugin_name for i in reversed(impls)], sorted(kwargs)))

    def after(outcome: pluggy.Result[Any], hook_name: str, *args: Any) -> None:
        seen.append((hook_name, ["->", str(len(outcome.get_result()))], None))

    undo = host.pm.add_hookcall_monitoring(before, after)
    await stats(host)
    undo()
    await stats(host)
    # pluggy's list holds wrappers after the others; called in reverse: wrapper first.
    assert seen == [
        ("dashboard_stats", ["envoltorio", *EXPECTED], ["desde", "usuario"]),
        ("dashboard_stats", ["->", "5"], None),
    ]


async def test_tracing_logs_each_hook_with_its_plugins_and_durations(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    monkeypatch.setenv(TRACE_ENV, "1")
    caplog.set_level(logging.INFO, logger="soporte.plugins")
    api = await arrancar(extra=[*cuatro([]), Envoltorio()])
    assert api.app[keys.PLUGINS].tracing
    ms = r"\d+\.\d\d ms"
    routes = [m for m in caplog.messages if m.startswith("hook register_routes:")]
    assert len(routes) == 1
    assert re.fullmatch(
        rf"hook register_routes: {ms} \[envoltorio \(wrapper\), "
        rf"primero {ms}, zeta_base {ms}, alfa_dependiente {ms}, medio_ultimo {ms}\]",
        routes[0],
    ), routes[0]
    assert any(m.startswith("hook register_models: ") for m in caplog.messages)

    caplog.clear()
    ana = await api.usuario("ana", Rol.AGENTE)
    r = await api.get(URL, headers=api.auth(ana))
    assert r.status == 200
    stats_lines = [m for m in caplog.messages if m.startswith("hook dashboard_stats")]
    assert re.fullmatch(
        rf"hook dashboard_stats: {ms} \[envoltorio \(wrapper\), "
        rf"primero {ms}, zeta_base {ms}, alfa_dependiente {ms}, medio_ultimo {ms}\]",
        stats_lines[0],
    ), stats_lines
    # Then each awaited answer, in order, with the time its await took.
    awaited = [
        re.fullmatch(rf"hook dashboard_stats: (\w+) awaited in {ms}", m) for m in stats_lines
    ]
    assert [m.group(1) for m in awaited[1:] if m] == EXPECTED


async def test_without_the_variable_nothing_is_traced(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    monkeypatch.delenv(TRACE_ENV, raising=False)
    caplog.set_level(logging.INFO, logger="soporte.plugins")
    api = await arrancar(extra=cuatro([]))
    assert not api.app[keys.PLUGINS].tracing
    assert not [m for m in caplog.messages if m.startswith("hook ")]
