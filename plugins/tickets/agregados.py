"""Running totals of tickets and ratings, kept by the database itself, so that the numbers the
agents look at all day cost the same at a million tickets as at ten thousand.

A ``COUNT(*)`` over a million rows takes 10–40 ms on SQLite (it walks a whole index), an
average over the last 30 days reads every ticket of the period, a satisfaction percentage every
rating ever given: each grows with the helpdesk. One small table, ``tickets_agregado``, keeps
them instead, one row per key:

* ``t|<estado>|<categoria>|<prioridad>``: how many tickets (``n``) — the count of the agents'
  list when it is filtered by those fields only, and the dashboard's open tickets;
* ``r|<YYYY-MM-DD HH>``: tickets created in that UTC hour that have a first agent answer
  (``n``) and the sum of their seconds to it (``suma``) — what the start-up check of
  :mod:`agregados_periodo` compares its rows with (the dashboard reads its day rows: a
  30-day mean is ~50 rows there, 720 here);
* ``v|<puntuacion>``: how many ratings of that score — the dashboard's CSAT;
* ``e|<estado>|<categoria>|<prioridad>``: how many of those tickets have been escalated
  (``nivel_escalamiento > 0``) — the dashboard's ``tickets_escalados`` (open ones), which
  counted ~10,000 index entries per request at a million tickets.

Triggers on ``tickets_ticket`` and ``tickets_valoracion`` keep the rows exact in the same
transaction as every insert, update and delete, whoever writes (the service, the bulk
generator, a database console). The price: each write of a ticket also writes one or two rows
here; on PostgreSQL, concurrent transactions touching the same key wait for each other at
commit (a row lock), which is far below any realistic rate of ticket creation.

Like the FAQ search index, the table and triggers are not models: :func:`preparar` creates them
at start-up (tests and throwaway databases are built by ``generate_schemas``, which knows only
models) and rebuilds the totals when they disagree with the tables — after rows were written
before the triggers existed, e.g. by ``soporte demo`` before the first start.
"""

from __future__ import annotations

import functools
import itertools
import logging
from typing import TYPE_CHECKING, Any, Final

from tortoise.connection import connections

from core.db import Lectura, Marcas, exclusive, leer, placeholders
from plugins.tickets.models import Categoria, Estado, Prioridad, Ticket

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from tortoise.backends.base.client import BaseDBAsyncClient

log = logging.getLogger("soporte.tickets")

TABLA: Final = "tickets_agregado"

_T = "'t|' || {r}.estado || '|' || {r}.categoria || '|' || {r}.prioridad"
_E = "'e|' || {r}.estado || '|' || {r}.categoria || '|' || {r}.prioridad"
_V = "'v|' || {r}.puntuacion"

# SQLite keeps timestamps as text, ``YYYY-MM-DD HH:MM:SS…+00:00`` in UTC: the hour is a prefix.
_R_SQLITE = "'r|' || substr({r}.fecha_creacion, 1, 13)"
_R_PG = "'r|' || to_char({r}.fecha_creacion AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"

_MAS = (
    "INSERT INTO tickets_agregado (clave, n, suma) SELECT {clave}, 1, {suma} WHERE {cond} "
    "ON CONFLICT (clave) DO UPDATE SET n = tickets_agregado.n + 1, "
    "suma = tickets_agregado.suma + excluded.suma"
)
_MENOS = (
    "UPDATE tickets_agregado SET n = n - 1, suma = suma - {suma} WHERE clave = {clave} AND {cond}"
)

_TABLA_SQL = (
    "CREATE TABLE IF NOT EXISTS tickets_agregado (clave VARCHAR(40) NOT NULL PRIMARY KEY, "
    "n BIGINT NOT NULL DEFAULT 0, suma BIGINT NOT NULL DEFAULT 0)"
)


def _cambios(r: str, dialecto: str) -> list[tuple[str, str, str, str]]:
    """(key expression, summed value, condition, columns) of each total, for row alias ``r``."""
    rr = (_R_SQLITE if dialecto == "sqlite" else _R_PG).format(r=r)
    return [
        (_T.format(r=r), "0", "1 = 1", "estado, categoria, prioridad"),
        (
            rr,
            f"{r}.segundos_primera_respuesta",
            f"{r}.segundos_primera_respuesta IS NOT NULL",
            "segundos_primera_respuesta, fecha_creacion",
        ),
        (
            _E.format(r=r),
            "0",
            f"{r}.nivel_escalamiento > 0",
            "estado, categoria, prioridad, nivel_escalamiento",
        ),
    ]


def _sqlite_ddl() -> list[str]:
    """The table and the triggers, for SQLite."""
    ddl = [_TABLA_SQL]
    # Tickets: one trigger per event and total, each firing only when its key or value moves.
    pares = zip(_cambios("NEW", "sqlite"), _cambios("OLD", "sqlite"), strict=True)
    for i, (nuevo, viejo) in enumerate(pares):
        clave_n, suma_n, cond_n, columnas = nuevo
        clave_o, suma_o, cond_o, _ = viejo
        mas = _MAS.format(clave=clave_n, suma=suma_n, cond=cond_n)
        menos = _MENOS.format(clave=clave_o, suma=suma_o, cond=cond_o)
        distinto = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columnas.split(", "))
        ddl += [
            f"CREATE TRIGGER IF NOT EXISTS tickets_agregado_ins{i} AFTER INSERT ON tickets_ticket "
            f"BEGIN {mas}; END",
            f"CREATE TRIGGER IF NOT EXISTS tickets_agregado_del{i} AFTER DELETE ON tickets_ticket "
            f"BEGIN {menos}; END",
            f"CREATE TRIGGER IF NOT EXISTS tickets_agregado_upd{i} AFTER UPDATE OF {columnas} "
            f"ON tickets_ticket WHEN {distinto} BEGIN {menos}; {mas}; END",
        ]
    mas = _MAS.format(clave=_V.format(r="NEW"), suma="0", cond="1 = 1")
    menos = _MENOS.format(clave=_V.format(r="OLD"), suma="0", cond="1 = 1")
    ddl += [
        "CREATE TRIGGER IF NOT EXISTS tickets_agregado_vins AFTER INSERT ON tickets_valoracion "
        f"BEGIN {mas}; END",
        "CREATE TRIGGER IF NOT EXISTS tickets_agregado_vdel AFTER DELETE ON tickets_valoracion "
        f"BEGIN {menos}; END",
        "CREATE TRIGGER IF NOT EXISTS tickets_agregado_vupd AFTER UPDATE OF puntuacion ON "
        "tickets_valoracion WHEN OLD.puntuacion IS NOT NEW.puntuacion "
        f"BEGIN {menos}; {mas}; END",
    ]
    return ddl


def _postgres_ddl() -> list[str]:
    """The table, two trigger functions and their triggers, for PostgreSQL."""
    nuevos, viejos = _cambios("NEW", "postgres"), _cambios("OLD", "postgres")
    cuerpo_ticket = []
    for (clave_n, suma_n, cond_n, columnas), (clave_o, suma_o, cond_o, _) in zip(
        nuevos, viejos, strict=True
    ):
        distinto = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columnas.split(", "))
        menos = _MENOS.format(clave=clave_o, suma=suma_o, cond=cond_o)
        mas = _MAS.format(clave=clave_n, suma=suma_n, cond=cond_n)
        cuerpo_ticket.append(
            f"IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ({distinto})) THEN {menos}; END IF; "
            f"IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND ({distinto})) THEN {mas}; END IF;"
        )
    menos_v = _MENOS.format(clave=_V.format(r="OLD"), suma="0", cond="1 = 1")
    mas_v = _MAS.format(clave=_V.format(r="NEW"), suma="0", cond="1 = 1")
    cuerpo_v = (
        "IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.puntuacion IS DISTINCT FROM "
        f"NEW.puntuacion) THEN {menos_v}; END IF; "
        "IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND OLD.puntuacion IS DISTINCT FROM "
        f"NEW.puntuacion) THEN {mas_v}; END IF;"
    )
    return [
        _TABLA_SQL,
        "CREATE OR REPLACE FUNCTION tickets_agregado_ticket() RETURNS trigger AS $$ BEGIN "
        + " ".join(cuerpo_ticket)
        + " RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE OR REPLACE FUNCTION tickets_agregado_valoracion() RETURNS trigger AS $$ BEGIN "
        + cuerpo_v
        + " RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE OR REPLACE TRIGGER tickets_agregado_ticket AFTER INSERT OR DELETE OR UPDATE ON "
        "tickets_ticket FOR EACH ROW EXECUTE FUNCTION tickets_agregado_ticket()",
        "CREATE OR REPLACE TRIGGER tickets_agregado_valoracion AFTER INSERT OR DELETE OR UPDATE "
        "ON tickets_valoracion FOR EACH ROW EXECUTE FUNCTION tickets_agregado_valoracion()",
    ]


def _conexion() -> BaseDBAsyncClient:
    return connections.get(Ticket._meta.default_connection or "default")


def _marcas(conn: BaseDBAsyncClient, n: int) -> str:
    return ", ".join(placeholders(conn, n))


async def _uno(conn: BaseDBAsyncClient, sql: str, valores: Sequence[Any] = ()) -> dict[str, Any]:
    filas = await conn.execute_query_dict(sql, list(valores))
    return filas[0]


async def reconstruir(conn: BaseDBAsyncClient | None = None) -> None:
    """Recompute every total from the tables (one pass over each)."""
    conn = conn or _conexion()
    r = _R_SQLITE if conn.capabilities.dialect == "sqlite" else _R_PG
    await conn.execute_script(
        "DELETE FROM tickets_agregado; "
        f"INSERT INTO tickets_agregado (clave, n, suma) SELECT {_T.format(r='t')}, COUNT(*), 0 "
        f"FROM tickets_ticket t GROUP BY {_T.format(r='t')}; "
        f"INSERT INTO tickets_agregado (clave, n, suma) SELECT {r.format(r='t')}, COUNT(*), "
        "SUM(t.segundos_primera_respuesta) FROM tickets_ticket t "
        f"WHERE t.segundos_primera_respuesta IS NOT NULL GROUP BY {r.format(r='t')}; "
        f"INSERT INTO tickets_agregado (clave, n, suma) SELECT {_E.format(r='t')}, COUNT(*), 0 "
        f"FROM tickets_ticket t WHERE t.nivel_escalamiento > 0 GROUP BY {_E.format(r='t')}; "
        f"INSERT INTO tickets_agregado (clave, n, suma) SELECT {_V.format(r='v')}, COUNT(*), 0 "
        f"FROM tickets_valoracion v GROUP BY {_V.format(r='v')};"
    )


async def preparar() -> None:
    """Create the table and triggers if missing, and rebuild the totals if they disagree with
    the tables (a count of each). Idempotent; run at start-up and after bulk loads, one
    process at a time (:func:`core.db.exclusive`)."""
    async with exclusive(_conexion(), "soporte_tickets_agregados") as conn:
        sqlite = conn.capabilities.dialect == "sqlite"
        for sentencia in _sqlite_ddl() if sqlite else _postgres_ddl():
            # One at a time: tortoise's SQLite script runner splits at semicolons, which trigger
            # bodies contain.
            await conn.execute_query(sentencia)
        fila = await _uno(
            conn,
            "SELECT (SELECT COUNT(*) FROM tickets_ticket) AS tickets, "
            "(SELECT COUNT(*) FROM tickets_ticket WHERE segundos_primera_respuesta IS NOT NULL) "
            "AS respondidos, (SELECT COUNT(*) FROM tickets_valoracion) AS valoraciones, "
            "(SELECT COUNT(*) FROM tickets_ticket WHERE nivel_escalamiento > 0) AS escalados, "
            "(SELECT COALESCE(SUM(n), 0) FROM tickets_agregado WHERE clave LIKE 't|%') AS t, "
            "(SELECT COALESCE(SUM(n), 0) FROM tickets_agregado WHERE clave LIKE 'r|%') AS r, "
            "(SELECT COALESCE(SUM(n), 0) FROM tickets_agregado WHERE clave LIKE 'v|%') AS v, "
            "(SELECT COALESCE(SUM(n), 0) FROM tickets_agregado WHERE clave LIKE 'e|%') AS e",
        )
        tablas = (fila["tickets"], fila["respondidos"], fila["valoraciones"], fila["escalados"])
        if tablas != (fila["t"], fila["r"], fila["v"], fila["e"]):
            log.info("rebuilding the ticket totals (%s)", fila)
            await reconstruir(conn)


# --- reading ---------------------------------------------------------------------------------


def claves_tickets(
    estados: Iterable[Estado] | None = None,
    categorias: Iterable[Categoria] | None = None,
    prioridades: Iterable[Prioridad] | None = None,
    *,
    escalados: bool = False,
) -> list[str]:
    """The ``t|…`` keys of the tickets with those values (``None``: any); with ``escalados``
    the ``e|…`` keys of those of them with ``nivel_escalamiento > 0``."""
    return list(
        _claves(
            tuple(Estado(e) for e in estados or Estado),
            tuple(Categoria(c) for c in categorias or Categoria),
            tuple(Prioridad(p) for p in prioridades or Prioridad),
            "e" if escalados else "t",
        )
    )


@functools.cache
def _claves(
    estados: tuple[Estado, ...],
    categorias: tuple[Categoria, ...],
    prioridades: tuple[Prioridad, ...],
    familia: str,
) -> tuple[str, ...]:
    # Every list page asks for these keys; up to 48 strings built once per combination (there
    # are a few hundred at most) instead of on every request.
    return tuple(
        f"{familia}|{e.value}|{c.value}|{p.value}"
        for e, c, p in itertools.product(estados, categorias, prioridades)
    )


async def contar_tickets(
    estados: Iterable[Estado] | None = None,
    categorias: Iterable[Categoria] | None = None,
    prioridades: Iterable[Prioridad] | None = None,
) -> int:
    """How many tickets have one of ``estados``, ``categorias`` and ``prioridades``
    (``None``: any) — one query over at most 48 rows."""
    return await contar_claves(claves_tickets(estados, categorias, prioridades))


async def contar_claves(claves: Sequence[str]) -> int:
    """The sum of the ``t|…`` (or ``e|…``) totals ``claves`` (:func:`claves_tickets`), in one
    query."""
    return await leer(lambda marcas: lectura_contar(claves, marcas))


def lectura_contar(claves: Sequence[str], marcas: Marcas) -> Lectura[int]:
    """:func:`contar_claves` as a step of a larger read (``core.db.leer``)."""
    [(n,)] = yield (sql_contar(marcas(len(claves))), list(claves))
    return int(n)


def sql_contar(marcas: Sequence[str]) -> str:
    """The statement of :func:`contar_claves` for as many keys as ``marcas``: one row, ``n``."""
    return f"SELECT COALESCE(SUM(n), 0) AS n FROM {TABLA} WHERE clave IN ({', '.join(marcas)})"


def lectura_valoraciones(marcas: Marcas) -> Lectura[dict[int, int]]:
    """How many ratings of each score (1–5) — a step of a read (``core.db.leer``)."""
    # Named keys, not ``LIKE 'v|%'``: SQLite's LIKE ignores case, so it cannot use the key's
    # index and would read every hourly row (17,000 at a million tickets).
    claves = [f"v|{p}" for p in range(1, 6)]
    filas = yield (
        f"SELECT clave, n FROM {TABLA} WHERE clave IN ({', '.join(marcas(len(claves)))})",
        claves,
    )
    return {int(clave[2:]): int(n) for clave, n in filas if n}
