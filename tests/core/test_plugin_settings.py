"""Per-plugin settings (hook ``register_settings``): a third-party plugin declares a setting and
gets it from ``SOPORTE_<PLUGIN>_X``, from ``[plugins.<name>]`` in ``soporte.toml`` and from code,
in that order of precedence; a bad value stops the start-up naming the plugin and the field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from aiohttp import web
from pydantic import Field
from pydantic_settings import BaseSettings

from core import hookimpl, keys
from core.plugin_settings import display_value, env_prefix, plugin_settings
from core.plugins import PluginError
from core.settings import CsvList

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


class AvisosSettings(BaseSettings):
    """The settings of the ad-hoc plugin ``avisos``."""

    renamed: ClassVar[dict[str, str]] = {"limite_viejo": "limit"}

    limit: int = Field(3, ge=1)
    channels: CsvList = Field(default_factory=list)
    api_secret: str | None = None


class Avisos:
    """A third-party plugin with settings, reading them at build time as its hooks would."""

    name = "avisos"

    def __init__(self) -> None:
        self.seen: list[AvisosSettings] = []

    @hookimpl
    def register_settings(self) -> type[AvisosSettings]:
        return AvisosSettings

    @hookimpl
    def register_routes(self, app: web.Application) -> list[Any]:
        self.seen.append(plugin_settings(app, "avisos", AvisosSettings))
        return []


@pytest.fixture(autouse=True)
def limpio(isolated_config: Callable[[str], Path]) -> Path:
    """An empty working directory (no soporte.toml) and no ``SOPORTE_AVISOS_*`` variable."""
    return isolated_config("SOPORTE_AVISOS_")


def _app(make_app: Callable[..., web.Application], **overrides: Any) -> AvisosSettings:
    plugin = Avisos()
    app = make_app(plugins=[], extra=[plugin], **overrides)
    got = plugin_settings(app, "avisos", AvisosSettings)
    assert plugin.seen == [got]  # the same instance, reachable while the app is built
    assert app[keys.PLUGIN_SETTINGS].names == ["avisos"]
    return got


def test_hook_register_settings_defaults(make_app: Callable[..., web.Application]) -> None:
    got = _app(make_app)
    assert isinstance(got, AvisosSettings)
    assert (got.limit, got.channels, got.api_secret) == (3, [], None)
    assert env_prefix("avisos") == "SOPORTE_AVISOS_"


def test_a_setting_from_the_environment(
    make_app: Callable[..., web.Application], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOPORTE_AVISOS_LIMIT", "7")
    monkeypatch.setenv("SOPORTE_AVISOS_CHANNELS", "correo, sms")
    got = _app(make_app)
    assert got.limit == 7 and got.channels == ["correo", "sms"]


def test_a_setting_from_the_plugins_toml_table_and_the_environment_wins(
    make_app: Callable[..., web.Application], monkeypatch: pytest.MonkeyPatch, limpio: Path
) -> None:
    (limpio / "soporte.toml").write_text(
        '[plugins]\nenabled = ["tickets"]\n\n[plugins.avisos]\nlimit = 5\nchannels = ["correo"]\n'
    )
    got = _app(make_app)
    assert got.limit == 5 and got.channels == ["correo"]
    monkeypatch.setenv("SOPORTE_AVISOS_LIMIT", "9")
    got = _app(make_app)
    assert got.limit == 9 and got.channels == ["correo"]  # channels still the file's


def test_code_overrides_win_over_environment_and_toml(
    make_app: Callable[..., web.Application], monkeypatch: pytest.MonkeyPatch, limpio: Path
) -> None:
    (limpio / "soporte.toml").write_text("[plugins.avisos]\nlimit = 5\n")
    monkeypatch.setenv("SOPORTE_AVISOS_LIMIT", "9")
    got = _app(make_app, plugin_settings={"avisos": {"limit": 11}})
    assert got.limit == 11


def test_a_bad_environment_value_stops_create_app_naming_plugin_field_and_variable(
    make_app: Callable[..., web.Application], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOPORTE_AVISOS_LIMIT", "0")
    with pytest.raises(PluginError) as info:
        make_app(plugins=[], extra=[Avisos()])
    message = str(info.value)
    assert message.startswith("plugin 'avisos': setting 'limit' (env SOPORTE_AVISOS_LIMIT): ")
    assert "greater than or equal to 1" in message and "\n" not in message


def test_a_bad_toml_value_or_an_unknown_key_names_the_table(
    make_app: Callable[..., web.Application], limpio: Path
) -> None:
    (limpio / "soporte.toml").write_text('[plugins.avisos]\nlimit = "muchos"\n')
    with pytest.raises(PluginError, match=r"'limit' \(\[plugins.avisos\] limit in soporte.toml\)"):
        make_app(plugins=[], extra=[Avisos()])
    (limpio / "soporte.toml").write_text("[plugins.avisos]\nlimite = 2\n")
    with pytest.raises(PluginError, match=r"plugin 'avisos': setting 'limite' \(unknown; .*"):
        make_app(plugins=[], extra=[Avisos()])


def test_old_names_of_a_plugin_setting_still_work_with_a_warning(
    make_app: Callable[..., web.Application], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOPORTE_AVISOS_LIMITE_VIEJO", "4")
    with pytest.warns(
        DeprecationWarning, match="SOPORTE_AVISOS_LIMITE_VIEJO .*SOPORTE_AVISOS_LIMIT"
    ):
        assert _app(make_app).limit == 4


def test_a_hook_that_returns_no_settings_class_is_an_error(
    make_app: Callable[..., web.Application],
) -> None:
    class Roto:
        name = "roto"

        @hookimpl
        def register_settings(self) -> Any:
            return AvisosSettings()

    with pytest.raises(PluginError, match="plugin 'roto': register_settings\\(\\) must return"):
        make_app(plugins=[], extra=[Roto()])


def test_the_accessor_checks_the_class(make_app: Callable[..., web.Application]) -> None:
    plugin = Avisos()
    app = make_app(plugins=[], extra=[plugin])

    class Otra(BaseSettings):
        pass

    with pytest.raises(TypeError, match="AvisosSettings, not Otra"):
        plugin_settings(app, "avisos", Otra)
    with pytest.raises(KeyError, match="'nadie'"):
        plugin_settings(app, "nadie", AvisosSettings)


def test_secrets_and_url_passwords_are_masked() -> None:
    assert display_value("api_secret", "abc") == "********"
    assert display_value("secret_key", "abc") == "********"
    assert display_value("database_url", "postgres://u:clave@h/db") == "postgres://u:********@h/db"
    assert display_value("database_url", "sqlite://x.db") == "sqlite://x.db"
    assert display_value("redis_url", None) == "unset"
    assert display_value("signup_open", False) == "false"


def test_old_flat_keys_in_code_move_onto_the_plugin_with_a_warning(
    make_app: Callable[..., web.Application],
) -> None:
    """``avisos_limit=`` (a top-level keyword, as before plugins had settings) is not ignored."""
    with pytest.warns(DeprecationWarning, match=r"avisos_limit= .*plugin_settings=\{'avisos'"):
        assert _app(make_app, avisos_limit=5).limit == 5
    # The flat key of an old field name is renamed as well; plugin_settings wins over it.
    with pytest.warns(DeprecationWarning, match="avisos_limite_viejo="):
        got = _app(make_app, avisos_limite_viejo=6, plugin_settings={"avisos": {"limit": 7}})
    assert got.limit == 7


def test_old_flat_keys_in_soporte_toml_move_onto_the_plugin_with_a_warning(
    make_app: Callable[..., web.Application], limpio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``avisos_limit`` at the top of soporte.toml is read as ``[plugins.avisos] limit``, says
    so, and is reported as its own source; the table and the environment win over it."""
    (limpio / "soporte.toml").write_text('avisos_limit = 8\navisos_channels = ["correo"]\n')
    with pytest.warns(
        DeprecationWarning, match=r"avisos_limit in soporte.toml .*\[plugins.avisos\] limit"
    ):
        app = make_app(plugins=[], extra=[Avisos()])
    got = plugin_settings(app, "avisos", AvisosSettings)
    assert (got.limit, got.channels) == (8, ["correo"])
    rows = {field: source for _, field, _, source in app[keys.PLUGIN_SETTINGS].describe()}
    assert rows["limit"] == "avisos_limit in soporte.toml (deprecated)"
    (limpio / "soporte.toml").write_text("avisos_limit = 8\n[plugins.avisos]\nlimit = 9\n")
    with pytest.warns(DeprecationWarning):
        assert _app(make_app).limit == 9
    monkeypatch.setenv("SOPORTE_AVISOS_LIMIT", "10")
    with pytest.warns(DeprecationWarning):
        assert _app(make_app).limit == 10
