"""``soporte migrate`` builds the same schema as ``generate_schemas`` (which the tests use), for
the core and for every installed plugin, and running it twice changes nothing.

Written generically: the cases come from the entry-point group, so a plugin installed later is
checked without editing this module.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest

from core.db import CORE_LABEL, migrate, migrations_package, open_context, tortoise_config
from core.plugins import PluginHost, installed_entry_points, load_entry_point, select_plugins
from tests.core.ayudas import diferencias, esquema

if TYPE_CHECKING:
    from pathlib import Path

RECORDER = frozenset({"tortoise_migrations"})
_MIGRATION = re.compile(r"^\d{4}_\w+$")


def con_requisitos(name: str) -> list[str]:
    """``name`` and every plugin it requires, transitively (nothing for the core)."""
    if name == CORE_LABEL:
        return []
    eps = installed_entry_points()
    found: list[str] = []
    pending = [name]
    while pending:
        current = pending.pop()
        if current not in found:
            found.append(current)
            pending.extend(load_entry_point(eps[current]).requires)
    return found


def migraciones(package: str) -> list[str]:
    """The migration modules of a migrations package (empty if it has none, or no package)."""
    try:
        module = importlib.import_module(package)
    except ModuleNotFoundError:
        return []
    return sorted(m.name for m in pkgutil.iter_modules(module.__path__) if _MIGRATION.match(m.name))


def config_para(name: str, url: str) -> dict[str, Any]:
    """The Tortoise configuration ``soporte migrate`` uses with ``name`` (and its requirements)."""
    host = PluginHost(select_plugins(installed_entry_points(), con_requisitos(name)))
    return tortoise_config(url, host.models())


CASOS = [CORE_LABEL, *sorted(installed_entry_points())]


@pytest.mark.parametrize("plugin", CASOS)
async def test_migrate_builds_the_same_schema_as_generate_schemas(
    plugin: str, tmp_path: Path
) -> None:
    migrated, generated = tmp_path / "migrada.db", tmp_path / "generada.db"
    config = config_para(plugin, f"sqlite://{migrated}")
    # Every app with models must ship migrations, or `soporte migrate` would skip its tables.
    for label, app in config["apps"].items():
        assert migraciones(app["migrations"]), (
            f"{label} has models but no migrations in {app['migrations']}: run "
            "`soporte makemigrations` with that plugin enabled"
        )
    applied: list[str] = []
    await migrate(config, progress=applied.append)
    assert applied, "nothing was applied on a fresh database"

    plugin_models = {
        label: app["models"] for label, app in config["apps"].items() if label != CORE_LABEL
    }
    ctx = await open_context(
        tortoise_config(f"sqlite://{generated}", plugin_models), generate_schemas=True
    )
    await ctx.close_connections()

    esperado = esquema(generated)
    assert "core_usuario" in esperado
    obtenido = esquema(migrated, RECORDER)
    assert diferencias(obtenido, esperado) == []
    assert obtenido == esperado  # (column order and duplicates too)
    # Every app's migrations were recorded as applied.
    con = sqlite3.connect(migrated)
    try:
        recorded = set(con.execute("SELECT app, name FROM tortoise_migrations").fetchall())
    finally:
        con.close()
    for label, app in config["apps"].items():
        assert {(label, m) for m in migraciones(app["migrations"])} <= recorded, label


@pytest.mark.parametrize("plugin", CASOS)
async def test_migrate_twice_is_a_no_op(plugin: str, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    config = config_para(plugin, f"sqlite://{db}")
    await migrate(config)
    before = _dump(db)
    applied: list[str] = []
    await migrate(config, progress=applied.append)
    assert applied == []
    assert _dump(db) == before


def _dump(db: Path) -> tuple[list[Any], list[Any]]:
    """The schema SQL and the migration records of a SQLite file."""
    con = sqlite3.connect(db)
    try:
        sql = sorted(con.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
        records = sorted(con.execute("SELECT app, name FROM tortoise_migrations").fetchall())
        return sql, records
    finally:
        con.close()


def test_core_migrations_package_is_where_the_config_says() -> None:
    config = tortoise_config("sqlite://:memory:", {"tickets": ["plugins.tickets.models"]})
    assert config["apps"][CORE_LABEL]["migrations"] == "core.migrations"
    assert config["apps"]["tickets"]["migrations"] == "plugins.tickets.migrations"
    assert migrations_package("a.b.models") == "a.b.migrations"
    assert migraciones("core.migrations") == [
        "0001_inicial",
        "0002_esqueleto_username",
        "0003_sin_login_fallido",
        "0004_salida",
        "0005_cuentas",
        "0006_equipos",
        "0007_historial",
        "0008_etiquetas",
        "0009_claves",
        "0010_idioma",
    ]


async def test_the_skeleton_migration_fills_existing_users(tmp_path: Path) -> None:
    """Users made before ``core.0002`` get the skeleton of their username from it, so that a
    look-alike of an old account is refused too."""
    from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

    db = tmp_path / "x.db"
    config = config_para(CORE_LABEL, f"sqlite://{db}")
    ctx = await open_context(config)
    try:
        executor = MigrationExecutor(ctx.db("default"), config["apps"])
        await executor.migrate([MigrationTarget(CORE_LABEL, "0001_inicial")])
    finally:
        await ctx.close_connections()
    con = sqlite3.connect(db)
    try:
        con.executemany(
            "INSERT INTO core_usuario (username, password_hash, nombre, email, rol, activo, "
            "fecha_creacion) VALUES (?, 'x', '', '', 'CLIENTE', 1, '2026-01-01')",
            [("Admin",), ("ana",)],
        )
        con.commit()
    finally:
        con.close()
    await migrate(config)
    con = sqlite3.connect(db)
    try:
        filas = con.execute("SELECT username, username_skeleton FROM core_usuario ORDER BY id")
        assert filas.fetchall() == [("Admin", "admin"), ("ana", "ana")]
    finally:
        con.close()


async def test_the_accounts_migration_counts_existing_users_as_verified(tmp_path: Path) -> None:
    """Users made before ``core.0005`` never had to confirm their address: with
    ``SOPORTE_EMAIL_VERIFICATION=required`` they must still be able to log in."""
    from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

    db = tmp_path / "x.db"
    config = config_para(CORE_LABEL, f"sqlite://{db}")
    ctx = await open_context(config)
    try:
        executor = MigrationExecutor(ctx.db("default"), config["apps"])
        await executor.migrate([MigrationTarget(CORE_LABEL, "0004_salida")])
    finally:
        await ctx.close_connections()
    con = sqlite3.connect(db)
    try:
        con.execute(
            "INSERT INTO core_usuario (username, username_skeleton, password_hash, nombre, email, "
            "rol, activo, fecha_creacion) VALUES ('ana', 'ana', 'x', '', 'a@x.test', 'CLIENTE', 1, "
            "'2026-01-01')"
        )
        con.commit()
    finally:
        con.close()
    await migrate(config)
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT email_verificado FROM core_usuario").fetchall() == [(1,)]
    finally:
        con.close()
