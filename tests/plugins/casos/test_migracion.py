"""``casos.0002_conversacion`` on a database that already has cases: they keep their rows and
get an empty link list, no assignee and no team (the new columns' defaults)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from core.db import CORE_LABEL, migrate, open_context
from tests.core.test_migrations import config_para

if TYPE_CHECKING:
    from pathlib import Path


async def test_la_migracion_conserva_los_casos_existentes(tmp_path: Path) -> None:
    from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

    db = tmp_path / "x.db"
    config = config_para("casos", f"sqlite://{db}")
    ctx = await open_context(config)
    try:
        executor = MigrationExecutor(ctx.db("default"), config["apps"])
        await executor.migrate(
            [MigrationTarget(CORE_LABEL, "0006_equipos"), MigrationTarget("casos", "0001_inicial")]
        )
    finally:
        await ctx.close_connections()
    con = sqlite3.connect(db)
    try:
        con.execute(
            "INSERT INTO core_usuario (username, username_skeleton, password_hash, nombre, email, "
            "rol, activo, fecha_creacion) VALUES ('ana', 'ana', 'x', '', 'a@x.test', 'AGENTE', 1, "
            "'2026-01-01')"
        )
        con.execute(
            "INSERT INTO casos_caso (numero, tipo_caso, urgencia, titulo, descripcion, "
            "reservas_relacionadas, impacto_estimado, estado, creado_por_id, fecha_creacion, "
            "fecha_actualizacion) VALUES ('CS-000001', 'RECLAMO', 'ALTA', 't', 'd', '[7]', "
            "'INDIVIDUAL', 'ABIERTO', 1, '2026-01-01', '2026-01-01')"
        )
        con.commit()
    finally:
        con.close()
    await migrate(config)
    con = sqlite3.connect(db)
    try:
        filas = con.execute(
            "SELECT numero, reservas_relacionadas, tickets_relacionados, agente_asignado_id, "
            "equipo_id FROM casos_caso"
        ).fetchall()
        assert filas == [("CS-000001", "[7]", "[]", None, None)]
        tablas = {t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"casos_respuesta", "casos_adjunto"} <= tablas
    finally:
        con.close()
