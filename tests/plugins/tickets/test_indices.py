"""The lists' default order read from an index alone, on both databases (``indices.py``).

A page's ids (``lectura.pagina``: ``ORDER BY fecha_creacion DESC, id DESC LIMIT … OFFSET …``)
must come from an index scan with no sort step: the deep pages of the agents' list
(``?page=5000``) skip their rows inside the index. SQLite's ``fecha_creacion`` index holds the
rowid and so serves it as is; PostgreSQL needs the ``(fecha_creacion, id)`` index created at
start-up. After ``soporte demo --tickets N`` PostgreSQL's pages are marked all-visible (the
``VACUUM`` of ``core.synthetic.bulk_mode``), so the scan does not read the table either; SQLite
has its statistics (``ANALYZE``).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from tortoise.connection import connections
from tortoise.transactions import in_transaction

from core import keys
from core.cli import ensure_demo_users
from core.synthetic import generate
from plugins.tickets import indices, lectura

pytestmark = pytest.mark.plugins("tickets")

#: The statement of a page's ids, as ``lectura.pagina`` writes it for an unfiltered list.
PAGINA = f"SELECT id FROM tickets_ticket ORDER BY {lectura._ORDEN} LIMIT 10 OFFSET 20"


async def test_la_pagina_se_lee_del_indice_sin_ordenar(soporte):
    conn = connections.get("default")
    if conn.capabilities.dialect == "sqlite":
        plan = " ".join(str(f["detail"]) for f in await conn.execute_query_dict(
            f"EXPLAIN QUERY PLAN {PAGINA}"
        ))  # fmt: skip
        assert "COVERING INDEX" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # no sort of its own
        return
    # A handful of rows would be read sequentially and sorted: the planner is told to avoid
    # both, so that the plan shows which index can serve the order (without the start-up index
    # only an incremental sort over ``fecha_creacion``'s can).
    async with in_transaction("default") as tx:
        for ajuste in ("enable_seqscan", "enable_sort", "enable_incremental_sort"):
            await tx.execute_script(f"SET LOCAL {ajuste} = off")
        filas = await tx.execute_query_dict(f"EXPLAIN {PAGINA}")
    plan = "\n".join(str(next(iter(f.values()))) for f in filas)
    assert "Index Only Scan Backward using idx_tickets_ticket_orden_lista" in plan, plan
    assert "Sort" not in plan, plan


async def test_el_indice_solo_existe_en_postgresql_y_preparar_es_idempotente(soporte):
    conn = connections.get("default")
    await indices.preparar()  # a second start-up finds it there
    if conn.capabilities.dialect == "sqlite":
        filas = await conn.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name = ?",
            ["idx_tickets_ticket_orden_lista"],
        )
        assert filas == []
        return
    filas = await conn.execute_query_dict(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_tickets_ticket_orden_lista' "
        "AND schemaname = current_schema()"
    )
    assert len(filas) == 1
    assert filas[0]["indexdef"].endswith("(fecha_creacion, id)")


async def test_tras_la_generacion_hay_estadisticas_y_en_postgresql_paginas_visibles(soporte):
    conn = connections.get("default")
    usuarios = await ensure_demo_users()
    host = soporte.app[keys.PLUGINS]
    await generate(host, 3000, 40, random.Random(1), usuarios, datetime.now(UTC))
    if conn.capabilities.dialect == "sqlite":
        # ANALYZE, as after any bulk load: the planner's statistics of the tickets' indexes.
        filas = await conn.execute_query_dict(
            "SELECT COUNT(*) AS n FROM sqlite_stat1 WHERE tbl = 'tickets_ticket'"
        )
        assert filas[0]["n"] > 0
        return
    [fila] = await conn.execute_query_dict(
        "SELECT relpages, relallvisible FROM pg_class WHERE oid = to_regclass('tickets_ticket')"
    )
    assert fila["relpages"] > 10
    assert fila["relallvisible"] == fila["relpages"], fila
