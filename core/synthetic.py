"""Bulk synthetic data for benchmarks and load tests: ``soporte demo --tickets N``.

The core creates the people in bulk (customers and agents, with the demo accounts among them)
and then asks every enabled plugin, through the ``generate_synthetic_data`` hook, to fill its
own tables at the requested scale. One seeded :class:`random.Random` is shared by all plugins,
so a seed always gives the same data for the same plugins.

Speed is the point — a million tickets in a couple of minutes on SQLite — so writers use
multi-row inserts (:func:`insert_rows`, ``executemany`` on the ORM's connection) in a few large
transactions, never one ORM call per row, while :func:`bulk_mode` relaxes SQLite's durability
(``synchronous=OFF``) for the duration of the generation only. Rows carry explicit ids (ticket
numbers derive from them); :func:`sync_sequence` puts PostgreSQL's id sequences back in step.

Generating twice into one database is refused (:class:`AlreadyGenerated`): synthetic users
are recognised by their username prefix :data:`PREFIX`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from core.auth.models import Rol, Usuario
from core.auth.passwords import default_hashing
from core.db import placeholders as db_placeholders

if TYPE_CHECKING:
    import random
    from collections.abc import AsyncIterator, Iterable, Mapping, Sequence

    from tortoise.backends.base.client import BaseDBAsyncClient

    from core.plugins import PluginHost

log = logging.getLogger("soporte.synthetic")

#: Username prefix of every synthetic user (``sint-cliente-0000001``, ``sint-agente-0001``).
PREFIX: Final = "sint-"
#: The password of every synthetic user (one hash computed once: argon2 per user would take
#: longer than the whole generation).
PASSWORD: Final = "sintetico123"
#: How far back generated data goes.
SPAN: Final = timedelta(days=730)

_NOMBRES = (
    "Lucía", "Martín", "Sofía", "Hugo", "Valeria", "Mateo", "Paula", "Leo", "Daniela", "Pablo",
    "Carmen", "Javier", "Elena", "Diego", "Marta", "Álvaro", "Julia", "Adrián", "Sara", "Iván",
    "Noelia", "Raúl", "Irene", "Sergio", "Claudia", "Andrés", "Laura", "Tomás", "Ana", "Bruno",
)  # fmt: skip
_APELLIDOS = (
    "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
    "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
    "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
)  # fmt: skip


class AlreadyGenerated(Exception):
    """The database already holds synthetic data; generating again would mix two runs."""


@dataclass(frozen=True)
class SyntheticUsers:
    """The people synthetic data is spread over (what ``generate_synthetic_data`` receives).

    ``clientes`` and ``agentes`` are user ids; the demo accounts come first (``cliente``,
    ``cliente2`` among the customers; ``agente``, ``admin`` among the agents), so logging in
    as a demo user shows a realistic share of the data. ``demo`` holds the demo users by
    username.
    """

    clientes: Sequence[int]
    agentes: Sequence[int]
    demo: Mapping[str, Usuario] = field(default_factory=dict)


def placeholders(conn: BaseDBAsyncClient, n: int, start: int = 1) -> str:
    """``n`` bound-parameter markers for a raw statement on ``conn``, comma-separated."""
    return ", ".join(db_placeholders(conn, n, start))


def connection(name: str = "default") -> BaseDBAsyncClient:
    """The ORM's connection ``name`` in the current context (a transaction's, inside one)."""
    return get_connection(name)


async def insert_rows(
    conn: BaseDBAsyncClient, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) with one ``executemany``; returns how many.

    Call it inside a transaction (``in_transaction()``) so that a batch commits once. Values
    are plain Python: ``str`` for enums, aware ``datetime``s, ``bool``s, JSON as text.
    """
    if not rows:
        return 0
    names = ", ".join(f'"{c}"' for c in columns)
    await conn.execute_many(
        f'INSERT INTO "{table}" ({names}) VALUES ({placeholders(conn, len(columns))})',
        [list(r) for r in rows],
    )
    return len(rows)


async def next_id(conn: BaseDBAsyncClient, table: str) -> int:
    """The id after the largest one in ``table`` (1 for an empty table)."""
    rows = await conn.execute_query_dict(f'SELECT MAX(id) AS m FROM "{table}"')
    return int(rows[0]["m"] or 0) + 1


async def sync_sequence(conn: BaseDBAsyncClient, table: str) -> None:
    """After inserting explicit ids: make the database's next id follow the largest one.

    SQLite's ``AUTOINCREMENT`` follows by itself; PostgreSQL's sequence must be moved.
    """
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
        )


@contextlib.asynccontextmanager
async def bulk_mode(conn: BaseDBAsyncClient) -> AsyncIterator[None]:
    """Relax durability while generating, then restore it and refresh the planner's statistics.

    SQLite: ``synchronous=OFF`` (no fsync per commit: a crash mid-generation may lose the
    generated rows, never the schema) and a 256 MiB page cache, both restored afterwards;
    then ``ANALYZE``, as a DBA would after a bulk load. PostgreSQL: ``VACUUM ANALYZE`` at the
    end — what autovacuum does some time after a large insert (PostgreSQL 13+ vacuums
    insert-only tables too), done at once: besides the statistics, it marks the new pages
    all-visible, without which an index-only scan (the lists' deep pages) still reads every row
    from the table to check it.
    """
    sqlite = conn.capabilities.dialect == "sqlite"
    previous: dict[str, Any] = {}
    if sqlite:
        for pragma in ("synchronous", "cache_size"):
            rows = await conn.execute_query_dict(f"PRAGMA {pragma}")
            previous[pragma] = next(iter(rows[0].values()))
        await conn.execute_script("PRAGMA synchronous=OFF; PRAGMA cache_size=-262144")
    try:
        yield
    finally:
        if sqlite:
            await conn.execute_script(
                f"PRAGMA synchronous={int(previous['synchronous'])}; "
                f"PRAGMA cache_size={int(previous['cache_size'])}"
            )
        await conn.execute_script("ANALYZE" if sqlite else "VACUUM ANALYZE")


async def ensure_fresh() -> None:
    """Raise :class:`AlreadyGenerated` if the database holds synthetic data already."""
    existing = await Usuario.filter(username__startswith=PREFIX).count()
    if existing:
        raise AlreadyGenerated(
            f"the database already holds synthetic data ({existing} '{PREFIX}*' users): "
            "generate into a fresh database"
        )


async def create_users(
    n_usuarios: int, rng: random.Random, demo: Mapping[str, Usuario], ahora: datetime
) -> SyntheticUsers:
    """Create ``n_usuarios`` synthetic people in bulk: 1 in 100 an agent (at least 2).

    The demo accounts ``demo`` are added to the lists (customers: ``CLIENTE`` ones; agents:
    the others). Raises :class:`AlreadyGenerated` if synthetic users exist already.
    """
    conn = connection()
    await ensure_fresh()
    n_agentes = max(2, n_usuarios // 100)
    n_clientes = max(1, n_usuarios - n_agentes)
    password_hash = await default_hashing().hash(PASSWORD)
    primero = await next_id(conn, Usuario._meta.db_table)
    columns = ("id", "username", "password_hash", "nombre", "email", "rol", "activo",
               "fecha_creacion")  # fmt: skip
    rows: list[tuple[Any, ...]] = []
    clientes = [u.id for u in demo.values() if u.rol == Rol.CLIENTE]
    agentes = [u.id for u in demo.values() if u.rol != Rol.CLIENTE]
    for i in range(n_clientes + n_agentes):
        es_agente = i >= n_clientes
        numero = i - n_clientes + 1 if es_agente else i + 1
        username = f"{PREFIX}agente-{numero:04d}" if es_agente else f"{PREFIX}cliente-{numero:07d}"
        nombre = f"{rng.choice(_NOMBRES)} {rng.choice(_APELLIDOS)}"
        alta = ahora - SPAN - timedelta(days=30) + timedelta(seconds=rng.random() * 86400 * 30)
        rol = Rol.AGENTE if es_agente else Rol.CLIENTE
        user_id = primero + i
        rows.append((user_id, username, password_hash, nombre,
                     f"{username}@sint.soporte.test", rol.value, True, alta))  # fmt: skip
        (agentes if es_agente else clientes).append(user_id)
    async with in_transaction() as tx:
        for start in range(0, len(rows), 20_000):
            await insert_rows(tx, Usuario._meta.db_table, columns, rows[start : start + 20_000])
    await sync_sequence(conn, Usuario._meta.db_table)
    return SyntheticUsers(clientes=tuple(clientes), agentes=tuple(agentes), demo=dict(demo))


@dataclass
class Report:
    """What one generation did: counts by plugin, and how long each step took (seconds)."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


async def generate(
    host: PluginHost,
    n_tickets: int,
    n_usuarios: int,
    rng: random.Random,
    demo: Mapping[str, Usuario],
    ahora: datetime | None = None,
) -> Report:
    """Create the synthetic people, then let every plugin generate its data at ``n_tickets``.

    Runs in :func:`bulk_mode`. Raises :class:`AlreadyGenerated` (nothing written) when the
    database already holds synthetic data.
    """
    ahora = ahora or datetime.now(UTC)
    report = Report()
    conn = connection()
    async with bulk_mode(conn):
        t0 = time.perf_counter()
        usuarios = await create_users(n_usuarios, rng, demo, ahora)
        report.counts["core"] = {"usuarios": len(usuarios.clientes) + len(usuarios.agentes)}
        report.seconds["core"] = time.perf_counter() - t0
        async for name, counts, seconds in host.generate_synthetic_data(
            usuarios, n_tickets, rng, ahora
        ):
            report.counts[name] = dict(counts or {})
            report.seconds[name] = seconds
            log.debug("synthetic data of %s: %s in %.1f s", name, counts, seconds)
        t0 = time.perf_counter()
    report.seconds["analyze"] = time.perf_counter() - t0
    return report


def chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    """``items`` in lists of at most ``size`` (for ``IN (…)`` lists and batches)."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
