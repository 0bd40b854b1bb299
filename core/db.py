"""Tortoise set-up from the enabled plugins' model modules, and native migrations.

Each plugin is one Tortoise app whose label is the plugin's name, with its migrations in the
package ``<plugin package>.migrations``; the core's own models (users, tokens) are the app
``core``. All ORM state lives in a :class:`TortoiseContext`; the app factory creates it in a
``cleanup_ctx`` and the db middleware makes it current for each request (see STACK-NOTES).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteClientWithRegexpSupport,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import connections
from tortoise.context import TortoiseContext, _current_context
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError
from tortoise.migrations.executor import MigrationExecutor
from tortoise.transactions import in_transaction

from core.i18n import gettext as _
from core.settings import sqlite_path

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from aiohttp import web
    from aiohttp.typedefs import Handler, Middleware
    from tortoise.backends.base.client import BaseDBAsyncClient

log = logging.getLogger("soporte.db")

T = TypeVar("T")

CORE_LABEL = "core"
CORE_MODELS = [
    "core.auth.models",
    "core.outbox_models",
    "core.history_models",
    "core.tags_models",
    "core.auth.claves_models",
]


def placeholders(conn: BaseDBAsyncClient, n: int, start: int = 1) -> list[str]:
    """The markers of ``n`` bound parameters of a raw statement on ``conn``, numbered from
    ``start``: ``?`` on SQLite, ``$k`` for asyncpg, ``%s`` for psycopg."""
    if conn.capabilities.dialect == "sqlite":
        return ["?"] * n
    if "psycopg" in type(conn).__module__:
        return ["%s"] * n
    return [f"${k}" for k in range(start, start + n)]


async def ejecutar_juntas(
    conn: BaseDBAsyncClient, sentencias: Sequence[tuple[str, Sequence[Any]]]
) -> list[list[tuple[Any, ...]]]:
    """Run hand-written ``sentencias`` in order on ``conn``; each one's rows (tuples).

    On SQLite in **one hand-off** to aiosqlite's thread and back, where tortoise's
    ``execute_query`` is one per statement: the hand-off, not the statement, is what a
    statement of the write path costs (docs/performance.md, "the reply path"), and a reply
    runs several whose results nothing in between needs. Elsewhere (asyncpg, psycopg) one
    statement after another on ``conn``, the same rows. Each statement is logged as tortoise
    logs its own (``tortoise.db_client`` at DEBUG: ``bench/sentencias.py`` and the tests count
    them). A statement that fails raises tortoise's ``IntegrityError``/``OperationalError``
    as ``execute_query`` would, and the ones after it do not run.
    """
    if conn.capabilities.dialect != "sqlite":
        resultado = []
        for sql, params in sentencias:
            # execute_query_dict: tortoise's asyncpg execute_query drops the rows of an
            # INSERT/UPDATE (its RETURNING); a dict keeps the columns in the statement's order.
            devueltas = await conn.execute_query_dict(sql, list(params))
            resultado.append([tuple(f.values()) for f in devueltas])
        return resultado
    async with conn.acquire_connection() as conexion:  # tortoise's lock, as execute_query takes
        for sql, params in sentencias:
            conn.log.debug("%s: %s", sql, params)
        try:
            # aiosqlite's own way to run a function in its thread (what its execute does).
            filas: list[list[tuple[Any, ...]]] = await conexion._execute(
                _juntas_en, conexion._conn, sentencias
            )
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(exc) from exc
        except sqlite3.OperationalError as exc:
            raise OperationalError(exc) from exc
        return filas


def _juntas_en(
    conn: sqlite3.Connection, sentencias: Sequence[tuple[str, Sequence[Any]]]
) -> list[list[tuple[Any, ...]]]:
    """:func:`ejecutar_juntas` in aiosqlite's thread, on its ``sqlite3`` connection."""
    return [[tuple(f) for f in conn.execute(sql, params).fetchall()] for sql, params in sentencias]


class _TransaccionSqlite(SqliteTransactionWrapper):
    """tortoise's SQLite transaction whose ``BEGIN`` is one hand-off to aiosqlite's thread.

    tortoise's own ``begin`` awaits a ``commit()`` (ending whatever implicit transaction the
    driver has open) and then ``BEGIN``: two hand-offs to the thread and back on every write
    transaction, each costing what a statement costs (the hand-off is the cost, see
    :func:`ejecutar_juntas`). Here the same two calls run in one.
    """

    async def begin(self) -> None:
        """``commit()`` then ``BEGIN`` on the connection, as tortoise does, in one hand-off."""
        try:
            aiosqlite: Any = self._connection  # its _execute is untyped
            await aiosqlite._execute(_empezar, aiosqlite._conn)
        except sqlite3.OperationalError as exc:  # as tortoise's begin reports it
            raise TransactionManagementError(exc) from exc

    async def confirmar(self, sentencias: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Run ``sentencias`` and ``COMMIT``, in one hand-off; all rolled back if one fails
        (tortoise's ``IntegrityError``/``OperationalError``). The transaction is over either
        way: its context's exit then only releases the connection."""
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        for sql, params in sentencias:
            self.log.debug("%s: %s", sql, params)
        aiosqlite: Any = self._connection  # its _execute is untyped
        try:
            await aiosqlite._execute(_confirmar_en, aiosqlite._conn, sentencias)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(exc) from exc
        except sqlite3.OperationalError as exc:
            raise OperationalError(exc) from exc
        finally:
            self._finalized = True


def _confirmar_en(
    conn: sqlite3.Connection, sentencias: Sequence[tuple[str, Sequence[Any]]]
) -> None:
    """:meth:`_TransaccionSqlite.confirmar` in aiosqlite's thread."""
    try:
        for sql, params in sentencias:
            conn.execute(sql, params)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


async def confirmar(
    conn: BaseDBAsyncClient, sentencias: Sequence[tuple[str, Sequence[Any]]]
) -> None:
    """Run the writes ``sentencias`` last in ``conn``'s transaction, and commit it with them
    where that costs no more: on SQLite, in a unit of work's own transaction, the statements
    and the ``COMMIT`` go in one hand-off (:meth:`_TransaccionSqlite.confirmar`). Elsewhere
    (PostgreSQL, a savepoint) they run now and the transaction's end commits as always. For
    :meth:`core.events.UnitOfWork.diferir`.
    """
    if isinstance(conn, _TransaccionSqlite):
        await conn.confirmar(sentencias)
    else:
        await ejecutar_juntas(conn, sentencias)


def _empezar(conn: sqlite3.Connection) -> None:
    """:meth:`_TransaccionSqlite.begin` in aiosqlite's thread."""
    conn.commit()
    conn.execute("BEGIN")


def transaccion(connection_name: str | None = None) -> TransactionContext:
    """``tortoise.transactions.in_transaction(connection_name)``, with a one-hand-off ``BEGIN``
    on SQLite (:class:`_TransaccionSqlite`) — what every unit of work opens.

    Inside a transaction already (the current connection is one), tortoise's own nested
    context: a savepoint, as before.
    """
    conn = connections.get(connection_name or next(iter(connections.db_config)))
    if type(conn) in (SqliteClient, SqliteClientWithRegexpSupport):
        return SqliteTransactionContext(_TransaccionSqlite(conn), conn._lock)
    return in_transaction(connection_name)


@contextlib.asynccontextmanager
async def exclusive(conn: BaseDBAsyncClient, lock: str) -> AsyncIterator[BaseDBAsyncClient]:
    """Run a block that no other process (nor task) runs at the same time, in one transaction.

    For start-up work (DDL, a rebuild of maintained totals) that every process of a deployment
    runs: two gunicorn workers replacing the same trigger function at once fail with "tuple
    concurrently updated", and two rebuilds side by side would count every row twice. On
    PostgreSQL the block also holds the transaction-scoped advisory lock named ``lock``, so the
    second process waits and then finds the work done. On SQLite (one process) the transaction
    alone is enough: it holds the connection until the block ends. Yields the connection to
    run the block's statements on.
    """
    async with in_transaction(conn.connection_name) as tx:
        if conn.capabilities.dialect != "sqlite":
            await tx.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [lock])
        yield tx


def migrations_package(model_module: str) -> str:
    """``plugins.tickets.models`` → ``plugins.tickets.migrations``."""
    return model_module.rsplit(".", 1)[0] + ".migrations"


def tortoise_config(database_url: str, plugin_models: dict[str, list[str]]) -> dict[str, Any]:
    """The Tortoise configuration: the core's app plus one app per plugin with models."""
    apps: dict[str, Any] = {
        CORE_LABEL: {
            "models": CORE_MODELS,
            "default_connection": "default",
            "migrations": "core.migrations",
        }
    }
    for label, modules in plugin_models.items():
        if label == CORE_LABEL:
            raise ValueError("a plugin may not be called 'core'")
        apps[label] = {
            "models": modules,
            "default_connection": "default",
            "migrations": migrations_package(modules[0]),
        }
    return {
        "connections": {"default": _conexion(database_url)},
        "apps": apps,
        "use_tz": True,
        "timezone": "UTC",
    }


def _conexion(database_url: str) -> str | dict[str, Any]:
    """Tortoise's ``default`` connection: the URL, or for asyncpg its expanded form with
    :func:`conexion_sin_reinicio` as the connection class."""
    from tortoise.backends.base.config_generator import expand_db_url

    if database_url.startswith("sqlite://"):
        return database_url
    config = expand_db_url(database_url)
    if config["engine"] != "tortoise.backends.asyncpg":
        return database_url
    config["credentials"]["connection_class"] = conexion_sin_reinicio()
    return config


@functools.cache
def conexion_sin_reinicio() -> type:
    """asyncpg's connection class without the reset a pool runs on every connection given back.

    asyncpg sends ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` each
    time a connection returns to the pool — one more round trip per statement outside a
    transaction (tortoise gives the connection back after each), and per read of
    :func:`leer`: in PostgreSQL's log at a million tickets, a third of a list page's round
    trips. Nothing here leaves session state behind: advisory locks are transaction-scoped
    (:func:`exclusive`), no cursor outlives its transaction, nothing LISTENs or SETs a session
    variable. An open transaction is still rolled back (asyncpg does that whatever the
    query).
    """
    import asyncpg  # only with PostgreSQL (the ``scale`` extra)

    class ConexionSinReinicio(asyncpg.Connection):  # type: ignore[misc]
        """An asyncpg connection whose release to the pool sends nothing."""

        def get_reset_query(self) -> str:
            """No reset statement (see :func:`conexion_sin_reinicio`)."""
            return ""

    return ConexionSinReinicio


class Lector:
    """The read-only second connection of a SQLite file database, with a thread of its own.

    A :mod:`sqlite3` connection used only from one worker thread: each :meth:`ejecutar` is one
    hand-off to that thread and back, however many statements the function runs there (the
    hot reads run all of theirs in one). SQLite releases the GIL while it reads, so the event
    loop goes on meanwhile.
    """

    def __init__(self) -> None:
        """A closed reader; :meth:`abrir` connects it."""
        self._hilo = ThreadPoolExecutor(max_workers=1, thread_name_prefix="soporte-lector")
        self._conn: sqlite3.Connection | None = None

    async def abrir(self, path: Path) -> None:
        """Connect to the database file at ``path``, read-only (``PRAGMA query_only``)."""

        def conectar() -> sqlite3.Connection:
            # In the worker thread, the only one that ever uses it (sqlite3 checks that).
            # Autocommit: a read opens its own transaction when it wants one (``_leer_en``).
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("PRAGMA query_only = ON")
            return conn

        self._conn = await asyncio.get_running_loop().run_in_executor(self._hilo, conectar)

    async def ejecutar(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` in the reader's thread; its result (or exception)."""
        conn = self._conn
        if conn is None:
            raise RuntimeError("the read connection is closed")
        return await asyncio.get_running_loop().run_in_executor(self._hilo, fn, conn)

    async def cerrar(self) -> None:
        """Close the connection and end the thread."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._hilo, conn.close)
        self._hilo.shutdown(wait=False)


#: The read connection of the application serving the current request (see ``Database.reader``).
_READER: ContextVar[Lector | None] = ContextVar("soporte_reader", default=None)


def reader() -> Lector | None:
    """A second SQLite connection, for reads that must not queue behind the ORM's connection.

    Tortoise talks to SQLite through one connection behind a lock, so while a request writes,
    every other request's queries wait — the token lookup of each authenticated request too.
    In WAL mode a second connection reads the last committed state without waiting for (or
    blocking) the writer. ``None`` outside a request, for in-memory SQLite and for PostgreSQL
    (whose pool already reads in parallel): use the ORM then. Reads only: it refuses writes.
    """
    return _READER.get()


#: A read in steps (:func:`leer`): a generator that yields ``(sql, params)`` statements, is sent
#: each one's rows (tuples, in the order of the ``SELECT``) and returns its result.
Lectura = Generator[tuple[str, list[Any]], list[tuple[Any, ...]], T]


class Marcas(Protocol):
    """The markers of a statement's ``n`` parameters, numbered from ``start`` (see
    :func:`placeholders`): what a :data:`Lectura` writes its statements with."""

    def __call__(self, n: int, start: int = 1) -> list[str]:
        """``n`` markers."""


async def leer(lectura: Callable[[Marcas], Lectura[T]]) -> T:
    """Run a read made of several hand-written statements, each able to use the last's rows.

    On a SQLite file the whole read runs in the read connection's thread (:func:`reader`):
    one hand-off for every statement, where each ``await`` of a query would be one. Elsewhere
    (PostgreSQL, in-memory SQLite) each statement goes through the ORM's connection in turn.
    ``lectura(marcas)`` builds the generator; ``marcas(n, start)`` gives parameter markers.
    On a SQLite file it reads the last committed state: not for use inside a transaction
    whose own writes it must see.
    """
    lector = reader()
    if lector is not None:
        return await lector.ejecutar(lambda conn: _leer_en(conn, lectura))
    conn = connections.get("default")
    pasos = lectura(lambda n, start=1: placeholders(conn, n, start))
    if "asyncpg" in type(conn).__module__:
        return await _leer_asyncpg(conn, pasos)
    try:
        sql, params = next(pasos)
        while True:
            _, filas = await conn.execute_query(sql, params)
            sql, params = pasos.send([tuple(fila) for fila in filas])
    except StopIteration as fin:
        resultado: T = fin.value
        return resultado


async def _leer_asyncpg(conn: BaseDBAsyncClient, pasos: Lectura[T]) -> T:
    """:func:`leer` on PostgreSQL through asyncpg: every statement on one connection of the pool.

    ``execute_query`` takes a connection from the pool for each statement and gives it back,
    and asyncpg resets a connection it gets back (``pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL``: one more round trip each time), so a read of five statements cost
    ten round trips, measured in PostgreSQL's log at a million tickets. Here it is one
    connection (the transaction's, inside one) and the statements; the pool's connections
    (:func:`conexion_sin_reinicio`) no longer send the reset either.
    """
    async with conn.acquire_connection() as raw:
        try:
            sql, params = next(pasos)
            while True:
                # Logged as tortoise logs its own statements (its query log: tests count them).
                conn.log.debug("%s: %s", sql, params)
                filas = await raw.fetch(sql, *params)
                sql, params = pasos.send([tuple(fila) for fila in filas])
        except StopIteration as fin:
            resultado: T = fin.value
            return resultado


def _leer_en(conn: sqlite3.Connection, lectura: Callable[[Marcas], Lectura[T]]) -> T:
    """:func:`leer` inside the reader's thread, on its ``sqlite3`` connection.

    In one read transaction: every statement sees the same committed state (a page and its
    count cannot disagree because a write landed between them)."""
    pasos = lectura(lambda n, start=1: ["?"] * n)
    conn.execute("BEGIN")
    try:
        sql, params = next(pasos)
        while True:
            sql, params = pasos.send(conn.execute(sql, params).fetchall())
    except StopIteration as fin:
        resultado: T = fin.value
        return resultado
    finally:
        conn.execute("COMMIT")


@dataclass
class Database:
    """The application's ORM context, created at start-up (the app is frozen by then)."""

    config: dict[str, Any]
    generate_schemas: bool = False
    context: TortoiseContext | None = field(default=None, repr=False)
    #: The read-only second connection of a SQLite file database (see :func:`reader`).
    reader: Lector | None = field(default=None, repr=False)

    @property
    def ctx(self) -> TortoiseContext:
        """The live context; only valid between start-up and clean-up."""
        if self.context is None:
            raise RuntimeError("the database is not open (outside the app's lifetime)")
        return self.context


async def open_context(
    config: dict[str, Any], *, generate_schemas: bool = False
) -> TortoiseContext:
    """Create and initialise a Tortoise context for ``config``, and make it current."""
    url = config["connections"]["default"]
    db_file = sqlite_path(url) if isinstance(url, str) else None
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
    ctx = TortoiseContext()
    _current_context.set(ctx)
    await ctx.init(config=config)
    if generate_schemas:
        await ctx.generate_schemas(safe=True)
    return ctx


@contextlib.contextmanager
def activate(ctx: TortoiseContext) -> Iterator[TortoiseContext]:
    """Make ``ctx`` the current ORM context for the current task, restoring it afterwards.

    Unlike ``with ctx:``, this keeps its own reset token, so concurrent tasks may each use it.
    """
    token = _current_context.set(ctx)
    try:
        yield ctx
    finally:
        _current_context.reset(token)


def database_ctx(db: Database) -> Callable[[web.Application], Any]:
    """The ``cleanup_ctx`` that opens the database at start-up and closes it at clean-up."""

    async def database(app: web.Application) -> Any:
        db.context = await open_context(db.config, generate_schemas=db.generate_schemas)
        db.reader = await _open_reader(db.context, db.config)
        try:
            yield
        finally:
            if db.reader is not None:
                await db.reader.cerrar()
                db.reader = None
            await db.context.close_connections()
            db.context = None

    return database


async def _open_reader(ctx: TortoiseContext, config: dict[str, Any]) -> Lector | None:
    """The read-only second connection of a SQLite file database (``None`` for others)."""
    url = config["connections"]["default"]
    path = sqlite_path(url) if isinstance(url, str) else None
    if path is None:
        return None
    await ctx.db("default").execute_query("SELECT 1")  # the ORM creates the file first
    lector = Lector()
    await lector.abrir(path)
    return lector


def db_middleware(db: Database) -> Middleware:
    """A middleware that makes the ORM context current for each request (and WebSocket)."""
    from aiohttp import web

    @web.middleware
    async def with_database(request: web.Request, handler: Handler) -> web.StreamResponse:
        with activate(db.ctx):
            token = _READER.set(db.reader)
            try:
                return await handler(request)
            finally:
                _READER.reset(token)

    return with_database


async def migrate(config: dict[str, Any], progress: Callable[[str], None] | None = None) -> None:
    """Apply every app's pending migrations (``soporte migrate``)."""

    def report(event: str, app_label: str, name: str) -> None:
        if progress and event == "apply_done":
            progress(_("aplicada {migracion}").format(migracion=f"{app_label}.{name}"))

    ctx = await open_context(config)
    try:
        executor = MigrationExecutor(ctx.db("default"), config["apps"])
        await executor.migrate(progress=report)
    finally:
        await ctx.close_connections()


async def make_migrations(config: dict[str, Any], name: str | None = None) -> list[str]:
    """Write new migration files for model changes in every app; returns their paths."""
    from tortoise.migrations.autodetector import MigrationAutodetector
    from tortoise.migrations.writer import format_migration_name

    ctx = await open_context(config)
    try:
        if ctx.apps is None:  # pragma: no cover - init() above always loads the apps
            raise RuntimeError("the ORM context has no apps after init()")
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    finally:
        await ctx.close_connections()
    written = []
    for writer in writers:
        if name:
            writer.name = format_migration_name(int(writer.name.split("_", 1)[0]), name)
        written.append(str(writer.write()))
    return written
