"""The plugin host: discovery through entry points, selection, ``requires``, hook checks."""

from __future__ import annotations

import sys
import uuid
from typing import TYPE_CHECKING, Any

import pluggy
import pytest

from core import hookimpl, keys
from core.hookspecs import PROJECT
from core.plugins import (
    ENTRY_POINT_GROUP,
    PluginError,
    PluginHost,
    installed_entry_points,
    plugin_info,
    select_plugins,
)
from core.settings import Settings
from tests.core.ayudas import instalar_distribucion
from tests.core.pruebas import Pruebas

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from aiohttp import web

BUILTINS = {"tickets", "chat", "faq", "casos", "escalamiento"}


class Simple:
    """A minimal ad-hoc plugin object."""

    def __init__(self, name: str, requires: tuple[str, ...] = (), version: str = "1.0") -> None:
        self.name = name
        self.requires = requires
        self.version = version


@pytest.fixture
def terceros(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A third-party distribution ``soporte-terceros`` 2.3.4 with plugins ``terceros``
    (working) and ``roto`` (fails to import), installed on ``sys.path``.

    Returns the module-name suffix, unique per test, so imports never leak between tests.
    """
    sufijo = uuid.uuid4().hex[:8]
    ok, roto = f"terceros_{sufijo}", f"roto_{sufijo}"
    instalar_distribucion(
        tmp_path / "site",
        "soporte-terceros",
        "2.3.4",
        {"terceros": ok, "roto": roto},
        {
            ok: """
                from core import hookimpl

                name = "terceros"
                requires = ()

                @hookimpl
                def dashboard_stats(usuario, desde):
                    return {"terceros": 1}
                """,
            roto: "raise ImportError('falta una dependencia de roto')\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    yield sufijo
    for name in (ok, roto):
        sys.modules.pop(name, None)


def test_builtins_are_declared_in_the_entry_point_group_like_third_party_plugins() -> None:
    eps = installed_entry_points()
    assert set(eps) >= BUILTINS
    for name in BUILTINS:
        assert eps[name].group == ENTRY_POINT_GROUP
        assert eps[name].value == f"plugins.{name}.plugin"
        assert eps[name].dist is not None and eps[name].dist.metadata["Name"] == "soporte"


def test_a_third_party_distribution_is_discovered_and_enabled(terceros: str) -> None:
    assert {"terceros", "roto"} <= set(installed_entry_points())
    host = PluginHost.from_settings(Settings(plugins=["terceros"]))
    assert host.names == ["terceros"]
    [info] = host.describe()
    assert info == {
        "name": "terceros",
        "version": "2.3.4",
        "requires": [],
        "distribution": "soporte-terceros",
    }


def test_a_broken_plugin_that_is_not_enabled_does_not_stop_the_app(
    terceros: str, make_app: Callable[..., web.Application]
) -> None:
    app = make_app(plugins=["terceros"])
    assert app[keys.PLUGINS].names == ["terceros"]
    assert f"roto_{terceros}" not in sys.modules
    with pytest.raises(PluginError, match=r"'roto' failed to import: falta una dependencia"):
        make_app(plugins=["roto"])


def test_an_unknown_name_in_soporte_plugins_is_an_error_naming_it() -> None:
    with pytest.raises(PluginError) as err:
        PluginHost.from_settings(Settings(plugins="faq, no-existe"))
    assert "no-existe" in str(err.value)
    assert "faq" not in str(err.value).split(";")[0]  # only the unknown one is blamed


def test_none_enables_no_plugin_at_all(make_app: Callable[..., web.Application]) -> None:
    host = PluginHost.from_settings(Settings(plugins="none"))
    assert host.names == []
    assert host.pm.get_plugins() == set()
    app = make_app(plugins=[])
    assert app[keys.PLUGINS].names == []
    assert {plugin for plugin, _ in app[keys.ENDPOINTS]} == {"core"}


def test_unset_soporte_plugins_enables_every_installed_plugin() -> None:
    installed = {"terceros": plugin_info(Simple("terceros")), "faq": plugin_info(Simple("faq"))}
    assert [i.name for i in select_plugins(installed, None)] == ["faq", "terceros"]


def test_builtin_enables_the_plugins_of_soporte_itself_and_no_third_party_one() -> None:
    """``make run`` serves with ``SOPORTE_PLUGINS=builtin``: the examples ``make install``
    installs for the tests stay disabled; ``builtin,vip`` adds one of them."""
    builtin = {
        name for name, ep in installed_entry_points().items() if ep.value.startswith("plugins.")
    }
    assert {"tickets", "chat", "faq", "casos", "escalamiento"} <= builtin
    host = PluginHost.from_settings(Settings(plugins="builtin"))
    assert set(host.names) == builtin
    assert "vip" in installed_entry_points()  # installed, not enabled
    host = PluginHost.from_settings(Settings(plugins="builtin,vip"))
    assert set(host.names) == builtin | {"vip"}
    installed = {
        "faq": plugin_info(Simple("faq"), distribution="soporte"),
        "terceros": plugin_info(Simple("terceros"), distribution="soporte-terceros"),
    }
    assert [i.name for i in select_plugins(installed, ["builtin", "faq"])] == ["faq"]


def test_chat_without_tickets_is_an_error_naming_tickets() -> None:
    with pytest.raises(PluginError) as err:
        PluginHost.from_settings(Settings(plugins="chat"))
    assert "'chat' requires 'tickets'" in str(err.value)


def test_a_missing_requirement_of_an_ad_hoc_plugin_is_named() -> None:
    with pytest.raises(PluginError, match="'hijo' requires 'padre', 'madre'"):
        PluginHost.from_settings(
            Settings(plugins="none"), extra=[Simple("hijo", requires=("padre", "madre"))]
        )


def test_plugins_come_after_the_plugins_they_require() -> None:
    infos = {
        n: plugin_info(Simple(n, requires=r))
        for n, r in {"a": ("z",), "b": (), "z": ("b",), "c": ("a", "b")}.items()
    }
    order = [i.name for i in select_plugins(infos, None)]
    assert order == ["b", "z", "a", "c"]
    host = PluginHost(select_plugins(infos, None))
    assert host.names == order


def test_a_requirement_cycle_is_an_error() -> None:
    infos = {n: plugin_info(Simple(n, requires=r)) for n, r in {"a": ("b",), "b": ("a",)}.items()}
    with pytest.raises(PluginError, match="cycle"):
        select_plugins(infos, None)


def test_an_ad_hoc_plugin_with_an_installed_name_is_an_error() -> None:
    with pytest.raises(PluginError, match="'faq' is registered twice"):
        select_plugins({"faq": plugin_info(Simple("faq"))}, None, [plugin_info(Simple("faq"))])


def test_a_plugin_without_a_name_is_refused() -> None:
    with pytest.raises(PluginError, match="has no name"):
        PluginHost.from_settings(Settings(plugins="none"), extra=[object()])


def test_every_app_gets_a_fresh_plugin_manager(make_app: Callable[..., web.Application]) -> None:
    uno, otro = Pruebas(), Simple("otro")
    app1 = make_app(plugins=[], extra=[uno])
    app2 = make_app(plugins=[], extra=[otro])
    pm1, pm2 = app1[keys.PLUGINS].pm, app2[keys.PLUGINS].pm
    assert pm1 is not pm2
    assert pm1.get_plugins() == {uno} and pm2.get_plugins() == {otro}
    # The same plugin object can live in two apps at once: nothing is global.
    app3 = make_app(plugins=[], extra=[uno])
    assert app3[keys.PLUGINS].pm.get_plugins() == {uno}


def test_a_misspelt_hook_fails_at_start(make_app: Callable[..., web.Application]) -> None:
    class Errata:
        name = "errata"

        @hookimpl
        def register_rutas(self, app: Any) -> list[Any]:
            return []

    with pytest.raises(PluginError, match="register_rutas"):
        make_app(plugins=[], extra=[Errata()])


def test_a_hook_with_an_argument_its_spec_lacks_fails_at_start(
    make_app: Callable[..., web.Application],
) -> None:
    class MalFirmado:
        name = "malfirmado"

        @hookimpl
        def register_routes(self, aplicacion: Any) -> list[Any]:
            return []

    with pytest.raises(PluginError, match="aplicacion"):
        make_app(plugins=[], extra=[MalFirmado()])


def test_implementations_may_take_fewer_arguments_than_the_spec(
    make_app: Callable[..., web.Application],
) -> None:
    class Parcial:
        name = "parcial"

        @hookimpl
        def register_routes(self) -> list[Any]:
            return []

        @hookimpl
        def register_listeners(self) -> list[Any]:
            return []

    app = make_app(plugins=[], extra=[Parcial()])
    assert app[keys.PLUGINS].names == ["parcial"]


hookspec = pluggy.HookspecMarker(PROJECT)


class EspecificacionesDeSellos:
    """Hookspecs a plugin declares for others to implement."""

    @hookspec
    def register_sellos(self, prefijo: str) -> list[str]:
        """Contribute stamps."""
        raise NotImplementedError


class Anfitrion:
    """Declares ``register_sellos`` through ``register_hookspecs``."""

    name = "anfitrion"

    @hookimpl
    def register_hookspecs(self, plugin_manager: pluggy.PluginManager) -> None:
        plugin_manager.add_hookspecs(EspecificacionesDeSellos)


class Invitado:
    """Implements the hook another plugin declares."""

    name = "invitado"
    requires = ("anfitrion",)

    @hookimpl
    def register_sellos(self, prefijo: str) -> list[str]:
        return [f"{prefijo}-invitado"]


def test_hook_register_hookspecs_lets_a_plugin_declare_hooks_another_implements() -> None:
    # The implementer is registered first (as an ad-hoc extra) and must still be verified.
    host = PluginHost.from_settings(Settings(plugins="none"), extra=[Invitado(), Anfitrion()])
    assert host.names == ["anfitrion", "invitado"]
    assert host.call_plugin_hook("register_sellos", prefijo="x") == [("invitado", ["x-invitado"])]


def test_hook_register_hookspecs_an_implementation_nobody_declares_fails_at_start() -> None:
    class Solo(Invitado):
        requires = ()

    with pytest.raises(PluginError, match="register_sellos"):
        PluginHost.from_settings(Settings(plugins="none"), extra=[Solo()])
    host = PluginHost.from_settings(Settings(plugins="none"), extra=[Anfitrion()])
    with pytest.raises(PluginError, match="no plugin declares the hook 'register_nada'"):
        host.call_plugin_hook("register_nada")
