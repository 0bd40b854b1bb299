"""Settings: ``SOPORTE_*`` environment variables over ``soporte.toml`` over defaults."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings, sqlite_path


@pytest.fixture
def limpio(isolated_config: Callable[[str], Path]) -> Path:
    """An empty working directory and no ``SOPORTE_*`` variable set."""
    return isolated_config("SOPORTE_")


def test_defaults_match_the_contract(limpio: Path) -> None:
    s = Settings()
    assert s.database_url == "sqlite://soporte.db"
    assert s.redis_url is None
    assert s.plugins is None and s.enabled_plugins is None
    assert s.cors_origins == []
    assert s.public_url is None
    assert s.media_dir == Path("media")
    assert s.max_upload_mb == 10 and s.max_upload_bytes == 10 * 1024 * 1024
    assert s.max_files == 10


def test_toml_is_read_and_the_environment_wins_over_it(
    limpio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (limpio / "soporte.toml").write_text(
        'database_url = "sqlite://desde-toml.db"\n'
        "max_files = 4\n"
        'cors_origins = ["http://a.test", "http://b.test"]\n'
        'public_url = "https://toml.example/"\n'
    )
    s = Settings()
    assert s.database_url == "sqlite://desde-toml.db"
    assert s.max_files == 4
    assert s.cors_origins == ["http://a.test", "http://b.test"]
    assert s.public_url == "https://toml.example"  # trailing slash dropped

    monkeypatch.setenv("SOPORTE_MAX_FILES", "7")
    monkeypatch.setenv("SOPORTE_CORS_ORIGINS", "http://env.test")
    s = Settings()
    assert s.max_files == 7
    assert s.cors_origins == ["http://env.test"]
    assert s.database_url == "sqlite://desde-toml.db"  # not in the environment: TOML's
    # Values passed in code win over both.
    assert Settings(max_files=2).max_files == 2


def test_csv_lists_from_the_environment(limpio: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPORTE_PLUGINS", " tickets, chat ,,faq ")
    monkeypatch.setenv("SOPORTE_CORS_ORIGINS", "http://a.test,http://b.test")
    s = Settings()
    assert s.plugins == ["tickets", "chat", "faq"]
    assert s.enabled_plugins == ["tickets", "chat", "faq"]
    assert s.cors_origins == ["http://a.test", "http://b.test"]


def test_plugins_none_means_no_plugin(limpio: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPORTE_PLUGINS", "none")
    assert Settings().enabled_plugins == []


def test_invalid_values_are_refused(limpio: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPORTE_MAX_FILES", "0")
    with pytest.raises(ValidationError, match="max_files"):
        Settings()


RENAMED = [
    ("registro_abierto", "signup_open", "false", False),
    ("token_ttl_horas", "token_ttl_hours", "2", 2),
    ("login_max_fallos", "login_max_failures", "3", 3),
    ("login_ventana_segundos", "login_window_seconds", "60", 60),
    ("max_archivos", "max_files", "4", 4),
    ("enlace_ttl_segundos", "link_ttl_seconds", "90", 90),
]


@pytest.mark.parametrize(("old", "new", "raw", "value"), RENAMED, ids=[r[0] for r in RENAMED])
def test_old_environment_names_still_work_with_a_warning(
    limpio: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, raw: str, value: object
) -> None:
    monkeypatch.setenv(f"SOPORTE_{old.upper()}", raw)
    with pytest.warns(DeprecationWarning, match=f"SOPORTE_{old.upper()} .*SOPORTE_{new.upper()}"):
        s = Settings()
    assert getattr(s, new) == value
    assert s.source_of(new) == f"env SOPORTE_{old.upper()} (deprecated)"


def test_old_names_in_toml_and_code_still_work_with_a_warning(limpio: Path) -> None:
    (limpio / "soporte.toml").write_text("max_archivos = 4\nregistro_abierto = false\n")
    with pytest.warns(DeprecationWarning, match="max_archivos in soporte.toml .* max_files"):
        s = Settings()
    assert s.max_files == 4 and s.signup_open is False
    with pytest.warns(DeprecationWarning, match="token_ttl_horas= .* token_ttl_hours="):
        assert Settings(token_ttl_horas=2).token_ttl_hours == 2


def test_the_new_name_wins_over_the_old_one_and_the_prefix_is_required(
    limpio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOPORTE_MAX_ARCHIVOS", "3")
    monkeypatch.setenv("SOPORTE_MAX_FILES", "5")
    with pytest.warns(DeprecationWarning):
        assert Settings().max_files == 5
    monkeypatch.delenv("SOPORTE_MAX_ARCHIVOS")
    monkeypatch.delenv("SOPORTE_MAX_FILES")
    # Old and new names are read only with the SOPORTE_ prefix.
    monkeypatch.setenv("MAX_ARCHIVOS", "3")
    monkeypatch.setenv("MAX_FILES", "3")
    assert Settings().max_files == 10
    # An old variable beats the TOML file's new key (the environment wins over the file).
    (limpio / "soporte.toml").write_text("max_files = 4\n")
    monkeypatch.setenv("SOPORTE_MAX_ARCHIVOS", "6")
    with pytest.warns(DeprecationWarning):
        assert Settings().max_files == 6


def test_plugins_as_a_toml_table_beside_the_plugins_own_tables(limpio: Path) -> None:
    (limpio / "soporte.toml").write_text(
        '[plugins]\nenabled = ["tickets", "vip"]\n\n[plugins.vip]\nclientes = ["ana"]\n'
    )
    assert Settings().plugins == ["tickets", "vip"]
    (limpio / "soporte.toml").write_text('[plugins.vip]\nclientes = ["ana"]\n')
    assert Settings().plugins is None  # no `enabled`: all installed


def test_plugin_settings_come_from_code_only(limpio: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPORTE_PLUGIN_SETTINGS", '{"vip": {"clientes": ["x"]}}')
    (limpio / "soporte.toml").write_text('plugin_settings = {vip = {clientes = ["y"]}}\n')
    assert Settings().plugin_settings == {}
    assert Settings(plugin_settings={"vip": {"clientes": []}}).plugin_settings == {
        "vip": {"clientes": []}
    }


@pytest.mark.parametrize("valor", ["", "no es json", "[1, 2"])
def test_a_code_only_variable_that_is_not_json_is_ignored_not_a_crash(
    limpio: Path, monkeypatch: pytest.MonkeyPatch, valor: str
) -> None:
    monkeypatch.setenv("SOPORTE_PLUGIN_SETTINGS", valor)
    monkeypatch.setenv("SOPORTE_MAX_FILES", "3")
    settings = Settings()
    assert settings.plugin_settings == {}
    assert settings.max_files == 3  # the rest of the environment is still read


def test_secret_key_is_generated_once_and_kept_beside_the_sqlite_database(limpio: Path) -> None:
    url = f"sqlite://{limpio}/datos/soporte.db"
    key = Settings(database_url=url).resolved_secret_key()
    key_file = limpio / "datos" / ".secret_key"
    assert key_file.read_text() == key and len(key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # Every later start (another process, another Settings) reads the same key.
    assert Settings(database_url=url).resolved_secret_key() == key
    # A configured key wins, and a database elsewhere has its own.
    assert Settings(database_url=url, secret_key="fija").resolved_secret_key() == "fija"
    other = Settings(database_url=f"sqlite://{limpio}/otra/x.db").resolved_secret_key()
    assert other != key


def test_secret_key_without_a_database_file_is_random_and_not_written(limpio: Path) -> None:
    s = Settings(database_url="sqlite://:memory:")
    assert s.resolved_secret_key() != s.resolved_secret_key()
    assert list(limpio.iterdir()) == []


def test_sqlite_path() -> None:
    assert sqlite_path("sqlite://soporte.db") == Path("soporte.db")
    assert sqlite_path("sqlite:///var/x.db?synchronous=NORMAL") == Path("/var/x.db")
    assert sqlite_path("sqlite://:memory:") is None
    assert sqlite_path("postgres://u@h/db") is None
