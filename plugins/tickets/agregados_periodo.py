"""Per-hour and per-day totals of tickets, kept by triggers, for the dashboard's series.

The dashboard's trends (``GET /api/soporte/dashboard/series/``) must cost the same at a million
tickets as at ten thousand, like the totals of :mod:`plugins.tickets.agregados`. One table,
``tickets_agregado_periodo``, holds one row per period and (team, agent):

* ``periodo = 'h<YYYY-MM-DD HH>'`` (a UTC hour), ``equipo_id = agente_id = -1``: every ticket,
  the series of admins and of agents who see everything in a business timezone whose days are
  not UTC days (sums of whole hours for any whole-hour offset). A 90-day series reads ≤ 2,160
  rows.
* ``periodo = 'a<YYYY-MM-DD>'`` (a UTC day), ``-1, -1``: every ticket, the same series when the
  business days are UTC days (``SOPORTE_DASHBOARD_TIMEZONE`` UTC, the default): 90 rows.
* ``periodo = 'd<YYYY-MM-DD>'`` (a UTC day), ``equipo_id``/``agente_id`` the ticket's team and
  assignee (``0``: none): the series of an agent narrowed by team visibility
  (``SOPORTE_TEAM_VISIBILITY``), in UTC days, and the per-agent/per-team tables' edges.
* ``periodo = 'e<YYYY-MM>-<1|2|3>'`` (days 1–10, 11–20, 21–end of a UTC month) and
  ``'m<YYYY-MM>'`` (the month), under team and agent: roll-ups of the day rows, so that the
  tables of a 90-day period read about a dozen periods' rows (:func:`tramos`), not 90.

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
totals are rebuilt from the tables when their sums disagree with the totals of :mod:`agregados`
(rows written before the triggers existed): a comparison of a few sums over the small families
(hours, days of every ticket, months), not a scan of the tickets. A rebuild cannot know past
moves that left no trace in the row: it counts a ticket's last move (and, if resolved, its
resolution) at its ``fecha_actualizacion``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from core.dashboard import DIA_SQL, HORA_SQL
from core.db import Lectura, Marcas, exclusive, leer
from plugins.tickets import agregados
from plugins.tickets.agregados import _conexion
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
    dia=DIA_SQL["sqlite"],
    ahora_hora="strftime('%Y-%m-%d %H', 'now')",
    ahora_dia="strftime('%Y-%m-%d', 'now')",
    segundos="CAST(round((julianday({b}) - julianday({a})) * 86400) AS INTEGER)",
    ahora="'now'",
)
_PG = _Dialecto(
    hora=HORA_SQL["postgres"],
    dia=DIA_SQL["postgres"],
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


def _decena(dia: str) -> str:
    """The ``YYYY-MM-<1|2|3>`` third of the month of a ``YYYY-MM-DD`` expression (any dialect)."""
    return (
        f"substr({dia}, 1, 8) || CASE WHEN substr({dia}, 9, 2) <= '10' THEN '1' "
        f"WHEN substr({dia}, 9, 2) <= '20' THEN '2' ELSE '3' END"
    )


def _claves(momento_hora: str, momento_dia: str, equipo: str) -> list[tuple[str, str]]:
    """(periodo, dims) of the rows one change touches: its hour and its day (every ticket), and
    its day, third of month and month under ``equipo`` (the team and agent expressions)."""
    return [
        (f"'h' || {momento_hora}", "-1, -1"),
        (f"'a' || {momento_dia}", "-1, -1"),
        (f"'d' || {momento_dia}", equipo),
        (f"'e' || {_decena(momento_dia)}", equipo),
        (f"'m' || substr({momento_dia}, 1, 7)", equipo),
    ]


def _equipo(r: str) -> str:
    """The team and agent dims of ticket row ``r`` (``0``: none)."""
    return f"COALESCE({r}.equipo_id, 0), COALESCE({r}.agente_asignado_id, 0)"


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
        for periodo, dims in _claves(hora, dia, _equipo(r))
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
    """The upserts of rating ``r`` (the rows of :func:`_claves`, under the ticket's team and
    agent), times ``signo``."""
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
        _sumar(f"SELECT {periodo}, {dims_}, {valores} WHERE 1 = 1")
        for periodo, dims_ in _claves(hora, dia, dims)
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
    return sentencias + _rollups()


def _rollups() -> list[str]:
    """Statements deriving the day rows of every ticket from the hour rows, and the thirds of
    month and months from the day rows under team and agent (a rebuild's last step): sums of
    rows already rebuilt, instead of more passes over the tickets."""
    sumas = ", ".join(f"SUM({c})" for c in COLUMNAS)
    dia = "substr(periodo, 2, 10)"
    fuentes = (
        (f"'a' || {dia}", "'h'", False),
        (f"'e' || {_decena(dia)}", "'d'", True),
        ("'m' || substr(periodo, 2, 7)", "'d'", True),
    )
    sentencias = []
    for periodo, familia, por_equipo in fuentes:
        grupo = f"{periodo}, equipo_id, agente_id" if por_equipo else periodo
        dims = "equipo_id, agente_id" if por_equipo else "-1, -1"
        sentencias.append(
            f"INSERT INTO {TABLA} (periodo, equipo_id, agente_id, {', '.join(COLUMNAS)}) "
            f"SELECT {periodo}, {dims}, {sumas} FROM {TABLA} WHERE periodo >= {familia} "
            f"AND periodo < {familia} || '~' GROUP BY {grupo}"
        )
    return sentencias


async def reconstruir(conn: BaseDBAsyncClient | None = None) -> None:
    """Recompute every row from the tables (a pass over tickets and ratings per family)."""
    conn = conn or _conexion()
    for sentencia in _reconstruccion(_dialecto(conn)):
        await conn.execute_query(sentencia)


#: The families whose sums the start-up check compares: every ticket by hour and by day, and
#: the months under team and agent (the day and third-of-month rows are written beside them by
#: the same statements). Tens of thousands of rows at a million tickets, not the 365,000 days.
_FAMILIAS_COMPROBADAS: Final = ("h", "a", "m")


def _total(claves: Iterable[str]) -> str:
    """The sum of the :mod:`agregados` totals ``claves`` (literal keys), as a subquery."""
    lista = ", ".join(f"'{c}'" for c in claves)
    return f"(SELECT COALESCE(SUM(n), 0) FROM {agregados.TABLA} WHERE clave IN ({lista}))"


def _comprobacion() -> str:
    """One row: the totals of :mod:`agregados` (exact: checked just before) next to the sums of
    each family of rows — ranges of both tables' keys, no scan of the tickets."""

    claves = {
        "creados": _total(agregados.claves_tickets()),
        "respondidos": f"(SELECT COALESCE(SUM(n), 0) FROM {agregados.TABLA} "
        "WHERE clave >= 'r|' AND clave < 'r|~')",
        "valorados": _total([f"v|{p}" for p in range(1, 6)]),
        **{f"neto_{e.value.lower()}": _total(agregados.claves_tickets([e])) for e in Estado},
    }
    # A family is its keys' first letter: up to the next letter, whatever the collation.
    sumas = ", ".join(
        f"(SELECT COALESCE(SUM({c}), 0) FROM {TABLA} WHERE periodo >= '{f}' "
        f"AND periodo < '{chr(ord(f) + 1)}') AS {f}_{c}"
        for f in _FAMILIAS_COMPROBADAS
        for c in claves
    )
    return "SELECT " + ", ".join(f"{v} AS t_{k}" for k, v in claves.items()) + f", {sumas}"


async def preparar() -> None:
    """Create the table and triggers if missing, and rebuild the rows if their sums disagree
    with the totals of :mod:`agregados` (run after its own check). Idempotent; run at
    start-up, one process at a time (:func:`core.db.exclusive`)."""
    async with exclusive(_conexion(), "soporte_tickets_agregados_periodo") as conn:
        sqlite = conn.capabilities.dialect == "sqlite"
        for sentencia in _sqlite_ddl() if sqlite else _postgres_ddl():
            # One at a time: tortoise's SQLite script runner splits at semicolons.
            await conn.execute_query(sentencia)
        fila = (await conn.execute_query_dict(_comprobacion()))[0]
        claves = [k[2:] for k in fila if k.startswith("t_")]
        mal = {
            f for f in _FAMILIAS_COMPROBADAS for k in claves if fila[f"t_{k}"] != fila[f"{f}_{k}"]
        }
        if "h" in mal:
            log.info("rebuilding the ticket series totals")
            await reconstruir(conn)
        elif mal:
            # Hours in step but roll-ups not (a database from before them): derived from the
            # hour and day rows in a few seconds at a million tickets, instead of a rebuild's
            # passes over the tickets.
            log.info("rebuilding the ticket series roll-ups")
            await conn.execute_query(
                f"DELETE FROM {TABLA} WHERE (periodo >= 'a' AND periodo < 'b') "
                "OR (periodo >= 'e' AND periodo < 'f') OR (periodo >= 'm' AND periodo < 'n')"
            )
            for sentencia in _rollups():
                await conn.execute_query(sentencia)


# --- reading ---------------------------------------------------------------------------------


def clave_hora(momento: datetime) -> str:
    """The ``periodo`` of the hour holding ``momento``."""
    return "h" + momento.astimezone(UTC).strftime("%Y-%m-%d %H")


def clave_dia(dia: date, familia: str = "d") -> str:
    """The ``periodo`` of a UTC day: under team and agent (``d``) or of every ticket (``a``)."""
    return familia + dia.isoformat()


def _fin_de_decena(dia: date) -> date:
    """The last day of the third of month (1–10, 11–20, 21–end) holding ``dia``."""
    if dia.day <= 20:
        return dia.replace(day=10 if dia.day <= 10 else 20)
    siguiente = (dia.replace(day=28) + timedelta(days=4)).replace(day=1)
    return siguiente - timedelta(days=1)


def tramos(primero: date, ultimo: date) -> list[str]:
    """A few ``periodo`` keys under team and agent covering the UTC days ``primero`` to
    ``ultimo`` (both included): whole months, then whole thirds of month, then days. A 90-day
    period is 3 to 24 keys (months, thirds and days at both edges), 30 days 1 to 14."""
    claves: list[str] = []
    dia = primero
    while dia <= ultimo:
        fin_tercio = _fin_de_decena(dia)
        fin_mes = _fin_de_decena(dia.replace(day=21))
        if dia.day == 1 and fin_mes <= ultimo:
            claves.append("m" + dia.strftime("%Y-%m"))
            dia = fin_mes + timedelta(days=1)
        elif dia.day in (1, 11, 21) and fin_tercio <= ultimo:
            claves.append(f"e{dia.strftime('%Y-%m')}-{(dia.day - 1) // 10 + 1}")
            dia = fin_tercio + timedelta(days=1)
        else:
            claves.append(clave_dia(dia))
            dia += timedelta(days=1)
    return claves


@dataclass(frozen=True)
class Alcance:
    """Which tickets a reading counts: all (``None``), or those of ``equipos`` (team ids, ``0``
    for none) plus those assigned to ``agente`` — team visibility's rule on the day rows."""

    equipos: tuple[int, ...]
    agente: int


def _donde_alcance(marcas: Marcas, alcance: Alcance, inicio: int) -> tuple[str, list[Any]]:
    m = marcas(len(alcance.equipos) + 1, inicio)
    sql = f"(equipo_id IN ({', '.join(m[:-1])}) OR agente_id = {m[-1]})"
    return sql, [*alcance.equipos, alcance.agente]


def _suma_columnas(columnas: Iterable[str]) -> str:
    return ", ".join(f"COALESCE(SUM({c}), 0) AS {c}" for c in columnas)


_NETOS: Final = tuple(f"neto_{e.value.lower()}" for e in Estado)

#: The columns the per-agent and per-team tables read.
COLUMNAS_TABLA: Final = (
    "creados", "resueltos", "respondidos", "seg_respuesta", "valorados", "satisfechos",
)  # fmt: skip


@dataclass(frozen=True)
class Lecturas:
    """What :func:`leer_periodo` returns: ``antes``, the ``neto_*`` sums before the period
    (the backlog's starting point); ``filas``, the period's rows in order, each with
    ``periodo`` (its start, aware UTC) and every column."""

    antes: dict[str, int]
    filas: list[dict[str, Any]]


async def leer_periodo(
    desde: datetime, hasta: datetime, alcance: Alcance | None = None, *, dias_utc: bool = False
) -> Lecturas:
    """The rows of ``[desde, hasta)`` and the backlog before them, in one read
    (``core.db.leer``).

    Everything (``alcance`` ``None``): day rows of every ticket when the business days are UTC
    days (``dias_utc``), else hour rows. Within ``alcance``: the UTC day rows of its teams and
    agent.

    The backlog before the period, for everything, is the current count of each state (the
    totals of :mod:`agregados`) minus the moves since — the period's rows and those after it,
    so its cost does not grow with the helpdesk's history. Within ``alcance`` the day rows
    before the period are summed (slower, and only for agents narrowed by team visibility)."""
    return await leer(lambda marcas: _lectura(marcas, desde, hasta, alcance, dias_utc))


async def leer_celdas(
    desde: datetime, hasta: datetime, alcance: Alcance | None = None
) -> list[dict[str, int]]:
    """The tables' columns summed per (``equipo_id``, ``agente_id``) over the UTC days holding
    ``[desde, hasta)``, within ``alcance``: the few roll-up keys of :func:`tramos`."""
    primero = desde.astimezone(UTC).date()
    ultimo = (hasta - timedelta(microseconds=1)).astimezone(UTC).date()
    return await leer(lambda marcas: _celdas(marcas, primero, ultimo, alcance))


def _lectura(
    marcas: Marcas, desde: datetime, hasta: datetime, alcance: Alcance | None, dias_utc: bool
) -> Lectura[Lecturas]:
    ultimo = (hasta - timedelta(microseconds=1)).astimezone(UTC)
    primero = desde.astimezone(UTC)
    valores: list[Any] = []
    if alcance is None and not dias_utc:
        familia, inicio, fin = "h", clave_hora(primero), clave_hora(ultimo) + "~"
        extra = "1 = 1"
    else:
        familia = "a" if alcance is None else "d"
        # Inclusive of the day holding the last instant: ``~`` sorts after every day key.
        inicio = clave_dia(primero.date(), familia)
        fin = clave_dia(ultimo.date(), familia) + "~"
        extra = "1 = 1"
        if alcance is not None:
            extra, valores = _donde_alcance(marcas, alcance, 3)
    m = marcas(2)
    resultado = yield (
        f"SELECT periodo, {_suma_columnas(COLUMNAS)} FROM {TABLA} WHERE periodo >= {m[0]} "
        f"AND periodo < {m[1]} AND {extra} GROUP BY periodo ORDER BY periodo",
        [inicio, fin, *valores],
    )
    formato = "%Y-%m-%d %H" if familia == "h" else "%Y-%m-%d"
    filas: list[dict[str, Any]] = [
        {
            **{c: int(v) for c, v in zip(COLUMNAS, fila[1:], strict=True)},
            "periodo": datetime.strptime(fila[0][1:], formato).replace(tzinfo=UTC),
        }
        for fila in resultado
    ]
    if alcance is None:
        # The rows after the period and the current count of each state, in one row.
        ahora = ", ".join(_total(agregados.claves_tickets([e])) for e in Estado)
        [fila] = yield (
            f"SELECT {_suma_columnas(_NETOS)}, {ahora} FROM {TABLA} "
            f"WHERE periodo >= {m[0]} AND periodo < {m[1]}",
            [fin, familia + "~"],
        )
        antes = {
            c: int(fila[len(_NETOS) + i]) - int(fila[i]) - sum(f[c] for f in filas)
            for i, c in enumerate(_NETOS)
        }
    else:
        # The family's own prefix bounds the "before" scan, so the families never mix.
        [fila] = yield (
            f"SELECT {_suma_columnas(_NETOS)} FROM {TABLA} WHERE periodo >= {m[0]} "
            f"AND periodo < {m[1]} AND {extra}",
            [familia, inicio, *valores],
        )
        antes = {c: int(v) for c, v in zip(_NETOS, fila, strict=True)}
    return Lecturas(antes=antes, filas=filas)


def _celdas(
    marcas: Marcas, primero: date, ultimo: date, alcance: Alcance | None
) -> Lectura[list[dict[str, int]]]:
    """The table columns of the UTC days ``primero``–``ultimo`` per (team, agent): the roll-up
    rows of :func:`tramos`, a few hundred per key."""
    claves = tramos(primero, ultimo)
    m = marcas(len(claves))
    extra, valores = (
        ("1 = 1", []) if alcance is None else _donde_alcance(marcas, alcance, len(claves) + 1)
    )
    resultado = yield (
        f"SELECT equipo_id, agente_id, {_suma_columnas(COLUMNAS_TABLA)} FROM {TABLA} "
        f"WHERE periodo IN ({', '.join(m)}) AND equipo_id <> -1 AND {extra} "
        "GROUP BY equipo_id, agente_id",
        [*claves, *valores],
    )
    nombres = ("equipo_id", "agente_id", *COLUMNAS_TABLA)
    return [{k: int(v) for k, v in zip(nombres, fila, strict=True)} for fila in resultado]


def agrupar(filas_: Sequence[dict[str, int]], dimension: str) -> list[dict[str, int]]:
    """Cells of :func:`leer_periodo` summed per ``dimension`` (``agente_id`` or
    ``equipo_id``): ``{id, creados, …}`` per id (a few hundred cells)."""
    grupos: dict[int, dict[str, int]] = {}
    for fila in filas_:
        g = grupos.setdefault(
            fila[dimension], {"id": fila[dimension]} | dict.fromkeys(COLUMNAS_TABLA, 0)
        )
        for c in COLUMNAS_TABLA:
            g[c] += fila[c]
    return list(grupos.values())


# --- the lists' deep pages and the dashboard's response time ----------------------------------


def _recorrer(
    desde: str, hasta: str, posicion: int, marcas: Marcas, lote: int
) -> Lectura[tuple[str, int] | None]:
    """The newest row of every ticket's ``creados`` with ``periodo`` in ``[desde, hasta)``
    such that the rows up to it, newest first, hold more than ``posicion`` tickets: its
    ``periodo`` and how many tickets the newer rows hold (``None``: fewer tickets than that).
    Read newest first, ``lote`` rows at a time and then eight times more each time: the sums
    are done here, on rows read in index order (a window function's order would be the
    planner's to keep)."""
    antes = 0
    m = marcas(3)
    while True:
        filas = yield (
            f"SELECT periodo, creados FROM {TABLA} WHERE periodo >= {m[0]} "
            f"AND periodo < {m[1]} AND equipo_id = -1 AND agente_id = -1 "
            f"ORDER BY periodo DESC LIMIT {m[2]}",
            [desde, hasta, lote],
        )
        for periodo, creados in filas:
            if antes + int(creados) > posicion:
                return str(periodo), antes
            antes += int(creados)
        if len(filas) < lote:
            return None
        hasta, lote = str(filas[-1][0]), lote * 8


def lectura_posicion(posicion: int, marcas: Marcas) -> Lectura[tuple[datetime, int] | None]:
    """Where the ticket at ``posicion`` (from 0) of the lists' default order (newest first)
    is, without walking the ``posicion`` newer tickets: ``(fin, resto)`` — it is the ticket at
    ``resto`` among those created before ``fin``, the end of its UTC hour. ``None`` past the
    last ticket. A step of a read (``core.db.leer``).

    The per-day and per-hour ``creados`` of every ticket (exact: kept by the same
    transactions as the tickets) are summed newest first — the days up to the one holding
    ``posicion``, then that day's hours — so a deep page reads a few dozen rows and at most
    one hour's index entries instead of ``OFFSET posicion``: 49,990 entries for page 5,000 at
    a million tickets (~9 ms on SQLite).
    """
    dia = yield from _recorrer("a", "b", posicion, marcas, 64)
    if dia is None:
        return None
    fecha = dia[0][1:]
    hora = yield from _recorrer(f"h{fecha}", f"h{fecha}~", posicion - dia[1], marcas, 24)
    if hora is None:
        return None  # only if the day and hour rows disagree (the start-up check repairs it)
    fin = datetime.strptime(hora[0][1:], "%Y-%m-%d %H").replace(tzinfo=UTC) + timedelta(hours=1)
    return fin, posicion - dia[1] - hora[1]


def lectura_respuesta(desde: datetime, marcas: Marcas) -> Lectura[tuple[int, int]]:
    """``(tickets, seconds)``: tickets created since ``desde`` that have a first agent answer,
    and the sum of their seconds to it — a step of a read (``core.db.leer``). The first,
    partial hour from the tickets themselves (the ``fecha_creacion`` index), the rest of that
    UTC day from its hour rows, every later day from the day rows: ~50 rows for the default
    30 days (the hourly totals of :mod:`agregados` were 720)."""
    desde = desde.astimezone(UTC)
    hora = desde.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    dia = desde.date() + timedelta(days=1)
    m = marcas(4)
    suma = "COALESCE(SUM(respondidos), 0), COALESCE(SUM(seg_respuesta), 0)"
    parcial = (
        "SELECT COUNT(*), COALESCE(SUM(segundos_primera_respuesta), 0) FROM tickets_ticket "
        f"WHERE fecha_creacion >= {m[0]} AND fecha_creacion < {m[1]} "
        "AND segundos_primera_respuesta IS NOT NULL"
    )
    filas = yield (
        f"SELECT {suma} FROM {TABLA} WHERE periodo >= {m[0]} AND periodo < {m[1]} "
        f"AND equipo_id = -1 AND agente_id = -1 "
        f"UNION ALL SELECT {suma} FROM {TABLA} WHERE periodo >= {m[2]} AND periodo < {m[3]} "
        f"AND equipo_id = -1 AND agente_id = -1",
        [clave_hora(hora), f"h{dia.isoformat()}", clave_dia(dia, "a"), "b"],
    )
    [(n, s)] = yield (parcial, [desde, hora])
    return int(n) + sum(int(f[0]) for f in filas), int(s) + sum(int(f[1]) for f in filas)
