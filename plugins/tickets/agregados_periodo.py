"""Per-hour and per-day totals of tickets, kept by triggers, for the dashboard's series.

The dashboard's trends (``GET /api/soporte/dashboard/series/``) must cost the same at a million
tickets as at ten thousand, like the totals of :mod:`plugins.tickets.agregados`. One table,
``tickets_agregado_periodo``, holds one row per period and (team, agent):

* ``periodo = 'h<YYYY-MM-DD HH>'`` (a UTC hour), ``equipo_id = agente_id = -1``: every ticket,
  the series of admins and of agents who see everything. A 90-day series reads ≤ 2,160 rows;
  days in any timezone with a whole-hour offset are sums of whole hours.
* ``periodo = 'd<YYYY-MM-DD>'`` (a UTC day), ``equipo_id``/``agente_id`` the ticket's team and
  assignee (``0``: none): the per-agent and per-team tables, and the series of an agent
  narrowed by team visibility (``SOPORTE_TEAM_VISIBILITY``), in UTC days.

The columns, and which moment each one counts at:

* by the ticket's creation (``fecha_creacion``), moved when the ticket is reassigned:
  ``creados``; ``respondidos`` and ``seg_respuesta`` (tickets with a first agent answer and the
  sum of their seconds to it); ``escalados`` (tickets with ``nivel_escalamiento > 0``);
* events, at the moment they happen (the database's clock): ``resueltos`` and
  ``seg_resolucion`` (a move from ABIERTO/EN_PROGRESO to RESUELTO/CERRADO, and the seconds since
  creation then — a reopened ticket resolved again counts again); ``neto_<estado>`` (tickets
  entering minus tickets leaving that state: the sum of every row before an instant is how
  many tickets were in the state then — the backlog; a new ticket enters at its creation);
* by the rating's creation: ``valorados`` and ``satisfechos`` (ratings, and those of 4 or 5),
  under the ticket's team and agent at the time.

Like :mod:`agregados`, the table and triggers are start-up DDL (:func:`preparar`), and the
totals are rebuilt from the tables when their sums disagree with them (rows written before the
triggers existed). A rebuild cannot know past moves that left no trace in the row: it counts a
ticket's last move (and, if resolved, its resolution) at its ``fecha_actualizacion``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from core.dashboard import HORA_SQL
from core.db import placeholders
from plugins.tickets.agregados import _conexion, contar_tickets
from plugins.tickets.models import Estado

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from tortoise.backends.base.client import BaseDBAsyncClient

log = logging.getLogger("soporte.tickets")

TABLA: Final = "tickets_agregado_periodo"

#: Every summed column, in the table's order.
COLUMNAS: Final = (
    "creados",
    "respondidos",
    "seg_respuesta",
    "escalados",
    "resueltos",
    "seg_resolucion",
    "valorados",
    "satisfechos",
    *(f"neto_{e.value.lower()}" for e in Estado),
)

_ABIERTOS = "('ABIERTO', 'EN_PROGRESO')"
_CERRADOS = "('RESUELTO', 'CERRADO')"

_TABLA_SQL = (
    f"CREATE TABLE IF NOT EXISTS {TABLA} (periodo VARCHAR(14) NOT NULL, "
    "equipo_id INT NOT NULL, agente_id INT NOT NULL, "
    + ", ".join(f"{c} BIGINT NOT NULL DEFAULT 0" for c in COLUMNAS)
    + ", PRIMARY KEY (periodo, equipo_id, agente_id)){sin_rowid}"
)


@dataclass(frozen=True)
class _Dialecto:
    """The few expressions that differ between SQLite and PostgreSQL."""

    hora: str  # the 'YYYY-MM-DD HH' of a timestamp column {c}, UTC
    dia: str  # its 'YYYY-MM-DD'
    ahora_hora: str
    ahora_dia: str
    segundos: str  # seconds from {a} to {b} (timestamps), integer
    ahora: str


# SQLite keeps timestamps as text in UTC (``YYYY-MM-DD HH:MM:SS…+00:00``): hours are prefixes.
_SQLITE = _Dialecto(
    hora=HORA_SQL["sqlite"],
    dia="substr({c}, 1, 10)",
    ahora_hora="strftime('%Y-%m-%d %H', 'now')",
    ahora_dia="strftime('%Y-%m-%d', 'now')",
    segundos="CAST(round((julianday({b}) - julianday({a})) * 86400) AS INTEGER)",
    ahora="'now'",
)
_PG = _Dialecto(
    hora=HORA_SQL["postgres"],
    dia="to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    ahora_hora="to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')",
    ahora_dia="to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    segundos="CAST(round(EXTRACT(EPOCH FROM ({b} - {a}))) AS BIGINT)",
    ahora="now()",
)


def _dialecto(conn: BaseDBAsyncClient) -> _Dialecto:
    return _SQLITE if conn.capabilities.dialect == "sqlite" else _PG


def _sumar(fuente: str) -> str:
    """Add the rows of ``fuente`` (a SELECT of periodo, equipo_id, agente_id and every column)
    to the table: an upsert. SQLite needs a WHERE in the SELECT to parse the ON CONFLICT."""
    suma = ", ".join(f"{c} = {TABLA}.{c} + excluded.{c}" for c in COLUMNAS)
    return (
        f"INSERT INTO {TABLA} (periodo, equipo_id, agente_id, {', '.join(COLUMNAS)}) {fuente} "
        f"ON CONFLICT (periodo, equipo_id, agente_id) DO UPDATE SET {suma}"
    )


def _vector(valores: dict[str, str], signo: int = 1) -> str:
    """Every column's expression, in order (``0`` for those not given), times ``signo``."""
    menos = "" if signo > 0 else "-"
    return ", ".join(f"{menos}({valores[c]})" if c in valores else "0" for c in COLUMNAS)


def _claves(d: _Dialecto, momento_hora: str, momento_dia: str, r: str) -> list[tuple[str, str]]:
    """(periodo, dims) of the two rows one change touches: its hour (every ticket) and its day
    under the ticket's team and agent."""
    return [
        (f"'h' || {momento_hora}", "-1, -1"),
        (
            f"'d' || {momento_dia}",
            f"COALESCE({r}.equipo_id, 0), COALESCE({r}.agente_asignado_id, 0)",
        ),
    ]


def _por_creacion(r: str) -> dict[str, str]:
    """The columns counted at the ticket's creation, for row alias ``r``."""
    return {
        "creados": "1",
        "respondidos": f"CASE WHEN {r}.segundos_primera_respuesta IS NULL THEN 0 ELSE 1 END",
        "seg_respuesta": f"COALESCE({r}.segundos_primera_respuesta, 0)",
        "escalados": f"CASE WHEN {r}.nivel_escalamiento > 0 THEN 1 ELSE 0 END",
    }


def _en_estado(r: str) -> dict[str, str]:
    """``neto_<estado>`` = 1 for the state of row ``r``."""
    return {
        f"neto_{e.value.lower()}": f"CASE WHEN {r}.estado = '{e.value}' THEN 1 ELSE 0 END"
        for e in Estado
    }


def _resolucion(d: _Dialecto) -> dict[str, str]:
    """A move from an open to a closed state, now (``OLD`` → ``NEW``)."""
    cuando = f"OLD.estado IN {_ABIERTOS} AND NEW.estado IN {_CERRADOS}"
    segundos = d.segundos.format(a="NEW.fecha_creacion", b=d.ahora)
    return {
        "resueltos": f"CASE WHEN {cuando} THEN 1 ELSE 0 END",
        "seg_resolucion": f"CASE WHEN {cuando} THEN {segundos} ELSE 0 END",
    }


def _a(d: _Dialecto, r: str, valores: dict[str, str], signo: int, *, ahora: bool) -> list[str]:
    """The upserts adding ``signo`` × ``valores`` of row ``r`` at its creation or now."""
    if ahora:
        hora, dia = d.ahora_hora, d.ahora_dia
    else:
        hora = d.hora.format(c=f"{r}.fecha_creacion")
        dia = d.dia.format(c=f"{r}.fecha_creacion")
    return [
        _sumar(f"SELECT {periodo}, {dims}, {_vector(valores, signo)} WHERE 1 = 1")
        for periodo, dims in _claves(d, hora, dia, r)
    ]


#: Columns whose change moves the creation-keyed counts of a ticket.
_DE_CREACION = (
    "fecha_creacion",
    "segundos_primera_respuesta",
    "nivel_escalamiento",
    "equipo_id",
    "agente_asignado_id",
)
#: Columns whose change is a move of state (or of the team/agent a state is counted under).
_DE_ESTADO = ("estado", "equipo_id", "agente_asignado_id")


def _cuerpos(d: _Dialecto) -> dict[str, list[str]]:
    """The statements of each trigger on tickets: insert, delete, and the two kinds of update."""
    return {
        "ins": _a(d, "NEW", {**_por_creacion("NEW"), **_en_estado("NEW")}, 1, ahora=False),
        "del": [
            *_a(d, "OLD", _por_creacion("OLD"), -1, ahora=False),
            *_a(d, "OLD", _en_estado("OLD"), -1, ahora=True),
        ],
        "upd_creacion": [
            *_a(d, "OLD", _por_creacion("OLD"), -1, ahora=False),
            *_a(d, "NEW", _por_creacion("NEW"), 1, ahora=False),
        ],
        "upd_estado": [
            *_a(d, "OLD", _en_estado("OLD"), -1, ahora=True),
            *_a(d, "NEW", {**_en_estado("NEW"), **_resolucion(d)}, 1, ahora=True),
        ],
    }


def _valoracion(d: _Dialecto, r: str, signo: int) -> list[str]:
    """The upserts of rating ``r`` (hour and the ticket's day row), times ``signo``."""
    valores = _vector(
        {"valorados": "1", "satisfechos": f"CASE WHEN {r}.puntuacion >= 4 THEN 1 ELSE 0 END"},
        signo,
    )
    hora = d.hora.format(c=f"{r}.fecha_creacion")
    dia = d.dia.format(c=f"{r}.fecha_creacion")
    # The ticket may be gone (a cascade from its deletion): its row then counts under "none".
    dims = (
        f"COALESCE((SELECT t.equipo_id FROM tickets_ticket t WHERE t.id = {r}.ticket_id), 0), "
        f"COALESCE((SELECT t.agente_asignado_id FROM tickets_ticket t "
        f"WHERE t.id = {r}.ticket_id), 0)"
    )
    return [
        _sumar(f"SELECT 'h' || {hora}, -1, -1, {valores} WHERE 1 = 1"),
        _sumar(f"SELECT 'd' || {dia}, {dims}, {valores} WHERE 1 = 1"),
    ]


def _distinto(columnas: Iterable[str], sqlite: bool) -> str:
    op = "IS NOT" if sqlite else "IS DISTINCT FROM"
    return " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in columnas)


def _sqlite_ddl() -> list[str]:
    """The table and its triggers, for SQLite (one trigger per event)."""
    d = _SQLITE
    c = _cuerpos(d)

    def trigger(nombre: str, evento: str, tabla: str, cuerpo: list[str], cuando: str = "") -> str:
        when = f" WHEN {cuando}" if cuando else ""
        return (
            f"CREATE TRIGGER IF NOT EXISTS {TABLA}_{nombre} AFTER {evento} ON {tabla}{when} "
            f"BEGIN {'; '.join(cuerpo)}; END"
        )

    creacion, estado = ", ".join(_DE_CREACION), ", ".join(_DE_ESTADO)
    # WITHOUT ROWID: rows are stored in key order, so a period's rows are read as one run
    # instead of one table lookup per index entry (3× faster on the tables' scan).
    return [
        _TABLA_SQL.format(sin_rowid=" WITHOUT ROWID"),
        trigger("ins", "INSERT", "tickets_ticket", c["ins"]),
        trigger("del", "DELETE", "tickets_ticket", c["del"]),
        trigger(
            "updc",
            f"UPDATE OF {creacion}",
            "tickets_ticket",
            c["upd_creacion"],
            _distinto(_DE_CREACION, sqlite=True),
        ),
        trigger(
            "upde",
            f"UPDATE OF {estado}",
            "tickets_ticket",
            c["upd_estado"],
            _distinto(_DE_ESTADO, sqlite=True),
        ),
        trigger("vins", "INSERT", "tickets_valoracion", _valoracion(d, "NEW", 1)),
        trigger("vdel", "DELETE", "tickets_valoracion", _valoracion(d, "OLD", -1)),
        trigger(
            "vupd",
            "UPDATE OF puntuacion, fecha_creacion",
            "tickets_valoracion",
            [*_valoracion(d, "OLD", -1), *_valoracion(d, "NEW", 1)],
            _distinto(("puntuacion", "fecha_creacion"), sqlite=True),
        ),
    ]


def _postgres_ddl() -> list[str]:
    """The table, two trigger functions and their triggers, for PostgreSQL."""
    d = _PG
    c = _cuerpos(d)

    def bloque(cuando: str, cuerpo: list[str]) -> str:
        return f"IF {cuando} THEN {'; '.join(cuerpo)}; END IF;"

    ticket = " ".join(
        [
            bloque("TG_OP = 'INSERT'", c["ins"]),
            bloque("TG_OP = 'DELETE'", c["del"]),
            bloque(
                f"TG_OP = 'UPDATE' AND ({_distinto(_DE_CREACION, sqlite=False)})",
                c["upd_creacion"],
            ),
            bloque(
                f"TG_OP = 'UPDATE' AND ({_distinto(_DE_ESTADO, sqlite=False)})", c["upd_estado"]
            ),
        ]
    )
    cambio_v = _distinto(("puntuacion", "fecha_creacion"), sqlite=False)
    valoracion = " ".join(
        [
            bloque(
                f"TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ({cambio_v}))",
                _valoracion(d, "OLD", -1),
            ),
            bloque(
                f"TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND ({cambio_v}))",
                _valoracion(d, "NEW", 1),
            ),
        ]
    )
    return [
        _TABLA_SQL.format(sin_rowid=""),
        f"CREATE OR REPLACE FUNCTION {TABLA}_ticket() RETURNS trigger AS $$ BEGIN {ticket} "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        f"CREATE OR REPLACE FUNCTION {TABLA}_valoracion() RETURNS trigger AS $$ BEGIN "
        f"{valoracion} RETURN NULL; END $$ LANGUAGE plpgsql",
        f"CREATE OR REPLACE TRIGGER {TABLA}_ticket AFTER INSERT OR DELETE OR UPDATE ON "
        f"tickets_ticket FOR EACH ROW EXECUTE FUNCTION {TABLA}_ticket()",
        f"CREATE OR REPLACE TRIGGER {TABLA}_valoracion AFTER INSERT OR DELETE OR UPDATE ON "
        f"tickets_valoracion FOR EACH ROW EXECUTE FUNCTION {TABLA}_valoracion()",
    ]


def _seleccion(
    d: _Dialecto, por_hora: bool, columna: str, valores: dict[str, str], donde: str, tabla: str
) -> str:
    """A grouped SELECT of rebuilt rows: the hour (every ticket) or the day under team and
    agent (``por_hora`` false) of timestamp ``columna``, with ``valores`` (aggregates)."""
    if por_hora:
        periodo, dims, grupo = f"'h' || {d.hora.format(c=columna)}", "-1, -1", ""
    else:
        periodo = f"'d' || {d.dia.format(c=columna)}"
        dims = "COALESCE(t.equipo_id, 0), COALESCE(t.agente_asignado_id, 0)"
        grupo = f", {dims}"
    return (
        f"SELECT {periodo}, {dims}, {_vector(valores)} FROM {tabla} WHERE {donde} "
        f"GROUP BY {periodo}{grupo}"
    )


def _reconstruccion(d: _Dialecto) -> list[str]:
    """Statements recomputing every row from the tables (see the module's note on moves)."""
    cerrado = f"t.estado IN {_CERRADOS}"
    creacion = {k: f"SUM({v})" for k, v in _por_creacion("t").items()}
    creacion["neto_abierto"] = "COUNT(*)"  # every ticket enters ABIERTO at its creation
    # The last move: out of ABIERTO into the current state, at the last update.
    movimiento = {
        f"neto_{e.value.lower()}": f"SUM(CASE WHEN t.estado = '{e.value}' THEN 1 ELSE 0 END)"
        for e in Estado
        if e != Estado.ABIERTO
    }
    segundos = d.segundos.format(a="t.fecha_creacion", b="t.fecha_actualizacion")
    movimiento |= {
        "neto_abierto": "-COUNT(*)",
        "resueltos": f"SUM(CASE WHEN {cerrado} THEN 1 ELSE 0 END)",
        "seg_resolucion": f"SUM(CASE WHEN {cerrado} THEN {segundos} ELSE 0 END)",
    }
    valoracion = {
        "valorados": "COUNT(*)",
        "satisfechos": "SUM(CASE WHEN v.puntuacion >= 4 THEN 1 ELSE 0 END)",
    }
    tickets = "tickets_ticket t"
    valoradas = "tickets_valoracion v JOIN tickets_ticket t ON t.id = v.ticket_id"
    sentencias = [f"DELETE FROM {TABLA}"]
    for por_hora in (True, False):
        sentencias += [
            _sumar(_seleccion(d, por_hora, "t.fecha_creacion", creacion, "1 = 1", tickets)),
            _sumar(
                _seleccion(
                    d,
                    por_hora,
                    "t.fecha_actualizacion",
                    movimiento,
                    "t.estado <> 'ABIERTO'",
                    tickets,
                )
            ),
            _sumar(_seleccion(d, por_hora, "v.fecha_creacion", valoracion, "1 = 1", valoradas)),
        ]
    return sentencias


async def reconstruir(conn: BaseDBAsyncClient | None = None) -> None:
    """Recompute every row from the tables (a pass over tickets and ratings per family)."""
    conn = conn or _conexion()
    for sentencia in _reconstruccion(_dialecto(conn)):
        await conn.execute_query(sentencia)


def _comprobacion() -> str:
    """One row: each table's counts next to the sums of both families of rows."""
    estados = ", ".join(
        f"(SELECT COUNT(*) FROM tickets_ticket WHERE estado = '{e.value}') "
        f"AS t_neto_{e.value.lower()}"
        for e in Estado
    )
    sumas = ", ".join(
        f"(SELECT COALESCE(SUM({c}), 0) FROM {TABLA} WHERE equipo_id {op} -1) AS {f}_{c}"
        for f, op in (("h", "="), ("d", "<>"))
        for c in (
            "creados",
            "respondidos",
            "valorados",
            *(f"neto_{e.value.lower()}" for e in Estado),
        )
    )
    return (
        "SELECT (SELECT COUNT(*) FROM tickets_ticket) AS t_creados, "
        "(SELECT COUNT(*) FROM tickets_ticket WHERE segundos_primera_respuesta IS NOT NULL) "
        "AS t_respondidos, (SELECT COUNT(*) FROM tickets_valoracion) AS t_valorados, "
        f"{estados}, {sumas}"
    )


async def preparar() -> None:
    """Create the table and triggers if missing, and rebuild the rows if their sums disagree
    with the tables. Idempotent; run at start-up."""
    conn = _conexion()
    for sentencia in _sqlite_ddl() if conn.capabilities.dialect == "sqlite" else _postgres_ddl():
        # One at a time: tortoise's SQLite script runner splits at semicolons.
        await conn.execute_query(sentencia)
    fila = (await conn.execute_query_dict(_comprobacion()))[0]
    claves = ("creados", "respondidos", "valorados", *(f"neto_{e.value.lower()}" for e in Estado))
    if any(fila[f"t_{k}"] != fila[f"{f}_{k}"] for k in claves for f in ("h", "d")):
        log.info("rebuilding the ticket series totals")
        await reconstruir(conn)


# --- reading ---------------------------------------------------------------------------------


def clave_hora(momento: datetime) -> str:
    """The ``periodo`` of the hour holding ``momento``."""
    return "h" + momento.astimezone(UTC).strftime("%Y-%m-%d %H")


def clave_dia(dia: date) -> str:
    """The ``periodo`` of a UTC day."""
    return "d" + dia.isoformat()


@dataclass(frozen=True)
class Alcance:
    """Which tickets a reading counts: all (``None``), or those of ``equipos`` (team ids, ``0``
    for none) plus those assigned to ``agente`` — team visibility's rule on the day rows."""

    equipos: tuple[int, ...]
    agente: int


def _donde_alcance(conn: BaseDBAsyncClient, alcance: Alcance, inicio: int) -> tuple[str, list[Any]]:
    marcas = placeholders(conn, len(alcance.equipos) + 1, start=inicio)
    sql = f"(equipo_id IN ({', '.join(marcas[:-1])}) OR agente_id = {marcas[-1]})"
    return sql, [*alcance.equipos, alcance.agente]


def _suma_columnas() -> str:
    return ", ".join(f"COALESCE(SUM({c}), 0) AS {c}" for c in COLUMNAS)


async def filas(
    desde: datetime, hasta: datetime, alcance: Alcance | None = None
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """``(before, rows)``: the ``neto_*`` sums before ``desde`` (the backlog's starting point),
    and the rows of ``[desde, hasta)`` — hour rows for everything, or day rows (UTC days,
    summed over teams and agents) within ``alcance``. Each row: ``periodo`` (the start, aware
    UTC) and every column.

    Everything: the backlog before the period is the current count of each state (the totals
    of :mod:`agregados`, 48 rows) minus the moves since — the period's rows and those after it
    (none for a period ending now), so the cost does not grow with the helpdesk's history.
    Within ``alcance``: the day rows before the period are summed (slower, and only for
    agents narrowed by team visibility)."""
    conn = _conexion()
    valores: list[Any]
    if alcance is None:
        # Inclusive of the hour holding the last instant (``now`` is inside its hour).
        inicio, familia = clave_hora(desde), "h"
        fin = clave_hora(hasta - timedelta(microseconds=1)) + "~"
        extra, valores = "equipo_id = -1", []
    else:
        inicio = clave_dia(desde.astimezone(UTC).date())
        # Inclusive of the day holding the last instant: ``~`` sorts after every day key.
        fin = clave_dia((hasta - timedelta(microseconds=1)).astimezone(UTC).date()) + "~"
        familia = "d"
        extra, valores = _donde_alcance(conn, alcance, 3)
    m = placeholders(conn, 2)
    periodo = "SELECT periodo, " + _suma_columnas() + f" FROM {TABLA} WHERE periodo >= {m[0]} "
    periodo += f"AND periodo < {m[1]} AND {extra} GROUP BY periodo ORDER BY periodo"
    resultado = await conn.execute_query_dict(periodo, [inicio, fin, *valores])
    salida: list[dict[str, Any]] = []
    for fila in resultado:
        texto = fila["periodo"][1:]
        momento = (
            datetime.strptime(texto, "%Y-%m-%d %H")
            if familia == "h"
            else datetime.strptime(texto, "%Y-%m-%d")
        ).replace(tzinfo=UTC)
        salida.append({**{c: int(fila[c]) for c in COLUMNAS}, "periodo": momento})
    netos = [f"neto_{e.value.lower()}" for e in Estado]
    sumas = ", ".join(f"COALESCE(SUM({c}), 0) AS {c}" for c in netos)
    if alcance is None:
        despues = await conn.execute_query_dict(
            f"SELECT {sumas} FROM {TABLA} WHERE periodo >= {m[0]} AND periodo < {m[1]} AND {extra}",
            [fin, "h~"],
        )
        antes: dict[str, int] = {}
        for e, c in zip(Estado, netos, strict=True):
            ahora = await contar_tickets(estados=[e])
            antes[c] = ahora - int(despues[0][c]) - sum(int(f[c]) for f in salida)
        return antes, salida
    # The family's own prefix bounds the "before" scan, so hour and day rows never mix.
    previas = await conn.execute_query_dict(
        f"SELECT {sumas} FROM {TABLA} WHERE periodo >= {m[0]} AND periodo < {m[1]} AND {extra}",
        [familia, inicio, *valores],
    )
    return {c: int(previas[0][c]) for c in netos}, salida


#: The columns the per-agent and per-team tables read.
COLUMNAS_TABLA: Final = (
    "creados", "resueltos", "respondidos", "seg_respuesta", "valorados", "satisfechos",
)  # fmt: skip


async def por_equipo_y_agente(
    desde: datetime, hasta: datetime, alcance: Alcance | None = None
) -> list[dict[str, int]]:
    """The day rows of ``[desde, hasta)`` (UTC days) summed per (``equipo_id``,
    ``agente_id``) within ``alcance`` — one scan serves both tables."""
    conn = _conexion()
    m = placeholders(conn, 2)
    extra, valores = ("1 = 1", []) if alcance is None else _donde_alcance(conn, alcance, 3)
    sumas = ", ".join(f"SUM({c}) AS {c}" for c in COLUMNAS_TABLA)
    resultado = await conn.execute_query_dict(
        f"SELECT equipo_id, agente_id, {sumas} FROM {TABLA} WHERE periodo >= {m[0]} "
        f"AND periodo < {m[1]} AND equipo_id <> -1 AND {extra} GROUP BY equipo_id, agente_id",
        [
            clave_dia(desde.astimezone(UTC).date()),
            clave_dia((hasta - timedelta(microseconds=1)).astimezone(UTC).date()) + "~",
            *valores,
        ],
    )
    return [{k: int(v) for k, v in fila.items()} for fila in resultado]


def agrupar(filas_: Sequence[dict[str, int]], dimension: str) -> list[dict[str, int]]:
    """Rows of :func:`por_equipo_y_agente` summed per ``dimension`` (``agente_id`` or
    ``equipo_id``): ``{id, creados, …}`` per id."""
    grupos: dict[int, dict[str, int]] = {}
    for fila in filas_:
        g = grupos.setdefault(
            fila[dimension], {"id": fila[dimension]} | dict.fromkeys(COLUMNAS_TABLA, 0)
        )
        for c in COLUMNAS_TABLA:
            g[c] += fila[c]
    return list(grupos.values())
