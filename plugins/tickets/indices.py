"""Indexes of ``tickets_ticket`` that only PostgreSQL needs, created at start-up.

The lists' default order is ``fecha_creacion DESC, id DESC`` (``lectura._ORDEN``). On SQLite
the model's ``fecha_creacion`` index serves it whole: every SQLite index ends with the rowid,
so its entries are already in ``(fecha_creacion, id)`` order and a page's ids are read from
the index alone. A PostgreSQL b-tree on ``fecha_creacion`` holds no id: each page re-sorted its
rows by id after reading them from the table (an incremental sort over every skipped row —
117 ms for page 5,000 at a million tickets). An index on ``(fecha_creacion, id)``, read
backwards, answers both the order and the ids from the index alone (an index-only scan).

Not a model index: migrations must give the same schema as ``generate_schemas`` on both
databases, and SQLite does not need it (it would be a second copy of the same index there).
:func:`preparar` creates it if missing, one process at a time (:func:`core.db.exclusive`);
on a large table the first start after an upgrade builds it (seconds at a million tickets,
writes to the tickets waiting meanwhile).
"""

from __future__ import annotations

from typing import Final

from tortoise.connection import connections

from core.db import exclusive
from plugins.tickets.models import Ticket

#: The PostgreSQL-only indexes, by name: ``CREATE INDEX IF NOT EXISTS`` statements.
INDICES_PG: Final = {
    "idx_tickets_ticket_orden_lista": (
        "CREATE INDEX IF NOT EXISTS idx_tickets_ticket_orden_lista "
        f'ON "{Ticket._meta.db_table}" (fecha_creacion, id)'
    ),
}


async def preparar() -> None:
    """Create the PostgreSQL-only indexes that are missing (nothing on SQLite). Idempotent."""
    conn = connections.get(Ticket._meta.default_connection or "default")
    if conn.capabilities.dialect == "sqlite":
        return
    async with exclusive(conn, "soporte_tickets_indices") as tx:
        for sentencia in INDICES_PG.values():
            await tx.execute_script(sentencia)
