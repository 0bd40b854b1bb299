"""``core.db.leer``: a read of several statements, each seeing the last one's rows.

On PostgreSQL (asyncpg) every statement of one read runs on one connection of the pool: a
session setting made by the first statement is still there for the second (a connection handed
back to the pool in between would have been reset by asyncpg, ``RESET ALL``). On SQLite the
read runs in one read transaction of its connection, which gives the same answer.
"""

from __future__ import annotations

from tortoise.connection import connections

from core.db import Lectura, Marcas, leer


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
