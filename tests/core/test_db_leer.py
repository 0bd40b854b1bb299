"""``core.db.leer``: a read of several statements, each seeing the last one's rows.

On PostgreSQL (asyncpg) every statement of one read runs on one connection of the pool: a
session setting made by the first statement is still there for the second (a connection handed
back to the pool in between would have been reset by asyncpg, ``RESET ALL``). On SQLite the
read runs in one read transaction of its connection, which gives the same answer.
"""

from __future__ import annotations

from tortoise.connection import connections

from core import keys
from core.db import Lectura, Marcas, conexion_sin_reinicio, leer


async def test_una_lectura_usa_una_sola_conexion(soporte):
    sqlite = connections.get("default").capabilities.dialect == "sqlite"

    def lectura(marcas: Marcas) -> Lectura[list[object]]:
        if sqlite:
            # The same connection's own temporary table, created in one statement and read in
            # the next, would need a write: the read connection is read-only. A value the
            # first statement returns, sent back as the second's parameter, shows the steps.
            [(uno,)] = yield ("SELECT 41 + 1", [])
            [(dos,)] = yield (f"SELECT {marcas(1)[0]} * 2", [uno])
            return [uno, dos]
        [(pid,)] = yield ("SELECT pg_backend_pid()", [])
        yield ("SELECT set_config('soporte.prueba', 'misma', false)", [])
        [(valor,)] = yield ("SELECT current_setting('soporte.prueba', true)", [])
        [(otro_pid,)] = yield ("SELECT pg_backend_pid()", [])
        return [valor, pid == otro_pid]

    resultado = await leer(lectura)
    assert resultado == ([42, 84] if sqlite else ["misma", True])


async def test_postgres_no_reinicia_la_conexion_devuelta(soporte):
    """On PostgreSQL a connection given back to the pool is not reset (asyncpg's ``RESET ALL``
    and friends: one round trip more per statement outside a transaction): the pool's
    connections are :func:`core.db.conexion_sin_reinicio`'s, whose reset sends nothing. On
    SQLite the configuration keeps the URL."""
    conn = connections.get("default")
    configurada = soporte.app[keys.DB].config["connections"]["default"]
    if conn.capabilities.dialect == "sqlite":
        assert isinstance(configurada, str) and configurada.startswith("sqlite://")
        return
    assert configurada["credentials"]["connection_class"] is conexion_sin_reinicio()
    async with conn.acquire_connection() as raw:
        assert isinstance(raw, conexion_sin_reinicio())
        assert raw.get_reset_query() == ""
