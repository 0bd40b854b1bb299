"""Settings: ``SOPORTE_*`` environment variables over ``soporte.toml`` over defaults."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings, sqlite_path


@pytest.fixture
def limpio(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty working directory and no ``SOPORTE_*`` variable set."""
    for name in list(os.environ):
        if name.startswith("SOPORTE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_match_the_contract(limpio: Path) -> None:
    s = Settings()
    assert s.database_url == "sqlite://soporte.db"
    assert s.redis_url is None
    assert s.plugins is None and s.enabled_plugins is None
    assert s.cors_origins == []
    assert s.public_url is None
    assert s.media_dir == Path("media")
    assert s.escalamiento_intervalo == 60
    assert s.max_upload_mb == 10 and s.max_upload_bytes == 10 * 1024 * 1024
    assert s.max_archivos == 10


def test_toml_is_read_and_the_environment_wins_over_it(
    limpio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (limpio / "soporte.toml").write_text(
        'database_url = "sqlite://desde-toml.db"\n'
        "max_archivos = 4\n"
        'cors_origins = ["http://a.test", "http://b.test"]\n'
        'public_url = "https://toml.example/"\n'
    )
    s = Settings()
    assert s.database_url == "sqlite://desde-toml.db"
    assert s.max_archivos == 4
    assert s.cors_origins == ["http://a.test", "http://b.test"]
    assert s.public_url == "https://toml.example"  # trailing slash dropped

    monkeypatch.setenv("SOPORTE_MAX_ARCHIVOS", "7")
    monkeypatch.setenv("SOPORTE_CORS_ORIGINS", "http://env.test")
    s = Settings()
    assert s.max_archivos == 7
    assert s.cors_origins == ["http://env.test"]
    assert s.database_url == "sqlite://desde-toml.db"  # not in the environment: TOML's
    # Values passed in code win over both.
    assert Settings(max_archivos=2).max_archivos == 2


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
    monkeypatch.setenv("SOPORTE_MAX_ARCHIVOS", "0")
    with pytest.raises(ValidationError, match="max_archivos"):
        Settings()


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
