"""Full-text search over tickets: the index, written in the transaction of every write, and the
``q`` grammar of the ticket lists (docs/api.md, "Searching tickets").

The engine is :mod:`core.search` (the FAQ's too); this module holds the tickets' index:

* **SQLite**: an FTS5 table ``tickets_busqueda`` (rowid = ticket id) with columns ``asunto``,
  ``descripcion``, ``respuestas`` (public replies, appended), ``notas`` (internal notes) and
  ``filtros`` (tokens of the customer, state, priority, category, team and agent:
  ``c12 estadoabierto prioridadalta categoriapagos equipo3 agente7``, kept in step by a trigger
  on ``tickets_ticket``), tokenizer ``unicode61 remove_diacritics 2``. A customer's query is
  confined to the first three columns (``{asunto descripcion respuestas} : …``), so a note's
  words never find a ticket for them, and to their token; a search filtered by those fields
  alone is one ``MATCH`` (:func:`fichas`). Beside it, ``tickets_busqueda_terminos`` holds every
  word of the index, so that the last word's prefix is matched as the exact words it covers.
* **PostgreSQL**: a table ``tickets_busqueda (ticket_id, asunto, filtros, publico, notas)`` of
  ``tsvector`` in the shared ``unaccent`` + Spanish configuration (asunto weight A, descripcion
  B, replies C, notes D), with GIN indexes on ``asunto`` (the subject tier), ``publico``
  (customers) and ``publico || notas`` (agents), plus one partial GIN index of the latter per
  :data:`FRANJA_PG` ticket ids, which an agent's window reads newest range first
  (:meth:`Busqueda.ventana`); a reply appends ``publico = publico || to_tsvector(…)``.
  ``filtros`` (``text[]``) holds the same tokens as SQLite's column, kept by the same trigger.

Ranking is by tiers (:class:`Busqueda`): subject matches first, then the rest, newest first.

Only two things write text to a ticket: its creation and a reply (or note) — and their words to
the vocabulary. Both emit an event
(:class:`~plugins.tickets.events.TicketCreado`, :class:`~plugins.tickets.events.RespuestaCreada`)
whose ``in_transaction`` listeners here write the index on the transaction's connection — a
write that rolls back leaves nothing in the index, a committed one is searchable at once, and
the index never needs rebuilding. The demo's bulk loader writes rows without the service and
calls :func:`reconstruir` once at the end (one ``INSERT … SELECT``).

Like the FAQ's index, this one is not a model (``generate_schemas`` builds tests' databases from
models only): :func:`preparar` creates it at start-up, idempotently, and rebuilds it when its
row count differs from the tickets'. It also creates the tags' reverse indexes
(``tickets_ticket_etiqueta (etiqueta_id, ticket_id)`` and the cases' equivalent) that the
``etiqueta:`` qualifier reads: a migration cannot hold them (``tests/core/test_migrations.py``
compares migrations with ``generate_schemas``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from tortoise.connection import connections
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import search, tags
from core.api.errors import BadRequest
from core.api.pagination import Count
from core.auth.guards import can_see_notes, team_limited
from core.auth.models import Equipo
from core.db import ejecutar_juntas, exclusive
from core.events import Listener, current_connection, current_unit_of_work
from plugins.tickets.events import RespuestaCreada, TicketCreado
from plugins.tickets.models import Categoria, Estado, Prioridad, Respuesta, Ticket

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.queryset import QuerySet

    from core.auth.models import Usuario
    from plugins.tickets.service import Filtros

log = logging.getLogger("soporte.tickets")

TABLA: Final = "tickets_busqueda"

#: The SQLite table's exact definition; a stored table that differs is dropped and rebuilt.
DEFINICION_SQLITE: Final = (
    f"CREATE VIRTUAL TABLE {TABLA} USING fts5("
    "asunto, descripcion, respuestas, notas, filtros, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)
#: The SQLite vocabulary: every word of the index (FTS5's own tokens), so that the last word's
#: prefix is expanded into exact terms (:func:`core.search.consulta_fts5`, ``ultimo``) — a
#: B-tree range read where ``fts5vocab`` reads every posting of the words it lists.
TERMINOS: Final = "tickets_busqueda_terminos"
#: A prefix covering more words than this stays a prefix (``"d"*``): an ``OR`` of hundreds of
#: terms would cost more than the doclist FTS5 builds for it.
MAX_EXPANSION: Final = 16

#: The ``filtros`` tokens of a ticket row ``{t}``, space-separated (the same SQL on both
#: databases): ``c<customer>``, ``estado<state>``, ``prioridad<…>``, ``categoria<…>``,
#: ``equipo<id>``, ``agente<id>`` — lower case, no underscores (FTS5 splits words on them). A
#: search filtered by these alone needs no join of each match to the tickets (:func:`fichas`):
#: on SQLite it is one ``MATCH``; on PostgreSQL (a ``text[]``) the row the GIN bitmap led to
#: is tested in place.
_FILTROS = (
    "'c' || {t}.cliente_id || ' estado' || lower(replace({t}.estado, '_', '')) "
    "|| ' prioridad' || lower({t}.prioridad) || ' categoria' || lower({t}.categoria) "
    "|| coalesce(' equipo' || {t}.equipo_id, '') "
    "|| coalesce(' agente' || {t}.agente_asignado_id, '')"
)
#: The columns the ``filtros`` tokens are made of.
_COLUMNAS_FILTROS: Final = (
    "cliente_id",
    "estado",
    "prioridad",
    "categoria",
    "equipo_id",
    "agente_asignado_id",
)
#: Keeps ``filtros`` in step with every write of those columns, in the writing statement's own
#: transaction: a trigger catches ``save()``, ``filter().update()``, bulk and raw SQL alike,
#: where a listener would see only the service's writes.
TRIGGER_SQLITE: Final = (
    f"CREATE TRIGGER {TABLA}_filtros AFTER UPDATE OF {', '.join(_COLUMNAS_FILTROS)} "
    "ON tickets_ticket WHEN "
    + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _COLUMNAS_FILTROS)
    + f" BEGIN UPDATE {TABLA} SET filtros = {_FILTROS.format(t='NEW')} "
    "WHERE rowid = NEW.id; END"
)
#: The same trigger on PostgreSQL (its function: :data:`_PG_DDL`).
TRIGGER_PG: Final = (
    f"CREATE OR REPLACE TRIGGER {TABLA}_filtros AFTER UPDATE OF {', '.join(_COLUMNAS_FILTROS)} "
    "ON tickets_ticket FOR EACH ROW WHEN ("
    + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _COLUMNAS_FILTROS)
    + f") EXECUTE FUNCTION {TABLA}_filtros()"
)
_VOCABULARIO_SQLITE: Final = f"CREATE TABLE {TERMINOS} (termino TEXT PRIMARY KEY) WITHOUT ROWID"

#: PostgreSQL: the ticket ids of one range of the agents' index (:func:`_indices_por_franja`).
#: A two-word search matches ~1% of the tickets: one range holds about a full window.
FRANJA_PG: Final = 100_000

#: The columns a customer's words may match (never ``notas``).
COLUMNAS_PUBLICAS: Final = ("asunto", "descripcion", "respuestas")
#: The columns an agent's words may match (``filtros`` holds tokens, never words).
COLUMNAS_AGENTE: Final = (*COLUMNAS_PUBLICAS, "notas")

_CFG = search.CONFIGURACION
_PUBLICO_PG = (
    f"setweight(to_tsvector('{_CFG}', coalesce({{t}}.asunto, '')), 'A') || "
    f"setweight(to_tsvector('{_CFG}', coalesce({{t}}.descripcion, '')), 'B')"
)
#: The subject's own vector (the first tier's), unweighted.
_ASUNTO_PG = f"to_tsvector('{_CFG}', coalesce({{t}}.asunto, ''))"
#: The ``filtros`` tokens of a ticket row ``{t}`` as PostgreSQL stores them (``text[]``).
_FILTROS_PG = f"string_to_array({_FILTROS}, ' ')"


def _conexion() -> BaseDBAsyncClient:
    """The tickets' connection in the current context (the transaction's, inside one)."""
    return connections.get(Ticket._meta.default_connection or "default")


# --- the index ---------------------------------------------------------------------------------


async def preparar(conn: BaseDBAsyncClient | None = None, *, reparar: bool = True) -> None:
    """Create the index (and the tags' reverse indexes) if missing, and (``reparar``) rebuild
    the index when it does not hold one row per ticket. Idempotent; run at start-up and after
    demo loads."""
    conn = conn or _conexion()
    rehacer = False
    if search.dialecto(conn) == "sqlite":
        rehacer = await _preparar_sqlite(conn)
        existentes = {
            f["name"]
            for f in await conn.execute_query_dict(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name IN ('tickets_ticket_etiqueta', 'casos_caso_etiqueta')"
            )
        }
    else:
        await search.preparar_pg(conn)
        async with exclusive(conn, "soporte_tickets_busqueda") as tx:
            await _anadir_columna_pg(
                tx, "asunto", "tsvector NOT NULL DEFAULT ''::tsvector", _ASUNTO_PG
            )
            await _anadir_columna_pg(
                tx, "filtros", "text[] NOT NULL DEFAULT '{}'::text[]", _FILTROS_PG
            )
            await tx.execute_script(_PG_DDL)
            await _indices_por_franja(tx)
            existentes = {
                f["name"]
                for f in await tx.execute_query_dict(
                    "SELECT c.relname AS name FROM pg_class c "
                    "WHERE c.relname IN ('tickets_ticket_etiqueta', 'casos_caso_etiqueta') "
                    "AND pg_table_is_visible(c.oid)"
                )
            }
    for tabla, columna in (
        ("tickets_ticket_etiqueta", "ticket_id"),
        ("casos_caso_etiqueta", "caso_id"),
    ):
        if tabla in existentes:
            await conn.execute_script(
                f"CREATE INDEX IF NOT EXISTS idx_{tabla}_etiqueta "
                f"ON {tabla} (etiqueta_id, {columna})"
            )
    if not reparar:
        return
    filas = await conn.execute_query_dict(
        f"SELECT (SELECT COUNT(*) FROM tickets_ticket) AS tickets, "
        f"(SELECT COUNT(*) FROM {TABLA}) AS indexados"
    )
    if rehacer:
        log.info("rebuilding the ticket search index: its filter tokens or vocabulary changed")
        await reconstruir(conn)
    elif filas[0]["tickets"] != filas[0]["indexados"]:
        log.info(
            "rebuilding the ticket search index (%s tickets, %s indexed)",
            filas[0]["tickets"],
            filas[0]["indexados"],
        )
        await reconstruir(conn)


async def _preparar_sqlite(conn: BaseDBAsyncClient) -> bool:
    """Create (or replace, when its stored definition differs) the FTS5 table, the trigger of
    its ``filtros`` and the vocabulary; ``True`` when the index's rows must be rebuilt (an
    index from before the trigger or the vocabulary holds old tokens or no vocabulary)."""
    definiciones = {
        f["name"]: f["sql"]
        for f in await conn.execute_query_dict(
            "SELECT name, sql FROM sqlite_master WHERE name IN (?, ?, ?)",
            [TABLA, f"{TABLA}_filtros", TERMINOS],
        )
    }
    rehacer = False
    actual = definiciones.get(TABLA)
    if actual is not None and actual != DEFINICION_SQLITE:
        log.info("replacing the ticket search index: its definition changed")
        await conn.execute_script(f"DROP TABLE {TABLA}")
        actual = None
    if actual is None:
        await conn.execute_script(DEFINICION_SQLITE)
    elif definiciones.get(f"{TABLA}_filtros") != TRIGGER_SQLITE or TERMINOS not in definiciones:
        rehacer = True  # rows written before this trigger or vocabulary existed
    if definiciones.get(f"{TABLA}_filtros") != TRIGGER_SQLITE:
        await conn.execute_script(f"DROP TRIGGER IF EXISTS {TABLA}_filtros; {TRIGGER_SQLITE}")
    if TERMINOS not in definiciones:
        await conn.execute_script(_VOCABULARIO_SQLITE)
    return rehacer


async def _anadir_columna_pg(tx: BaseDBAsyncClient, columna: str, tipo: str, valor: str) -> None:
    """Upgrade an index from before ``columna`` (PostgreSQL): add it and fill it from the
    tickets (one ``UPDATE … FROM``; ``valor`` is its SQL of a ticket row ``{t}``; the indexes
    are built by the DDL after), then the table rewritten in id order. At a million tickets
    (load ~15) the ``UPDATE`` of ``filtros`` took 3 min 49 s (every index of the table gets
    the new row versions), the rewrite (``CLUSTER``, every index rebuilt) 1 min 15 s."""
    filas = await tx.execute_query_dict(
        "SELECT "
        f"to_regclass('{TABLA}') IS NOT NULL AS tabla, "
        "EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
        f"AND table_name = '{TABLA}' AND column_name = '{columna}') AS columna"
    )
    if not filas[0]["tabla"] or filas[0]["columna"]:
        return
    log.info("adding the column %s to the ticket search index", columna)
    await tx.execute_script(
        f"ALTER TABLE {TABLA} ADD COLUMN {columna} {tipo}; "
        f"UPDATE {TABLA} SET {columna} = {valor.format(t='t')} "
        f"FROM tickets_ticket t WHERE t.id = {TABLA}.ticket_id; "
        # The UPDATE wrote every row anew wherever there was room: the rows of one id range,
        # which a search reads together, were spread over the whole (doubled) table (a range's
        # window 1.3 → 8–15 ms at a million). Rewritten in id order, as inserts leave them.
        f"CLUSTER {TABLA} USING {TABLA}_pkey; "
        f"ANALYZE {TABLA}"
    )


def _franja_indice(k: int) -> str:
    """The name of the partial GIN index of the ``k``-th id range (PostgreSQL)."""
    return f"{TABLA}_todo_f{k}"


async def _indices_por_franja(tx: BaseDBAsyncClient) -> None:
    """PostgreSQL: one partial GIN index on ``publico || notas`` per :data:`FRANJA_PG` ticket
    ids, from the first range to two past the newest ticket's (those a running server fills).

    The agents' window reads them newest range first (:meth:`Busqueda.ventana`): a search at a
    million tickets costs the newest range's postings and rows, not every match's. PostgreSQL
    keeps a partial index in step with every write like any index (same transaction); a
    ticket past the last range is still found, through the whole-table index (slower), until
    the next start-up creates its range's index. Start-up DDL, not a migration (migrate must
    equal ``generate_schemas``); ``IF NOT EXISTS``: a start-up against a ready database only
    looks them up."""
    filas = await tx.execute_query_dict(f"SELECT coalesce(max(ticket_id), 0) AS n FROM {TABLA}")
    for k in range(int(filas[0]["n"]) // FRANJA_PG + 3):
        # Literal bounds (ints): the planner proves a query's range implies the predicate.
        await tx.execute_script(
            f"CREATE INDEX IF NOT EXISTS {_franja_indice(k)} ON {TABLA} "
            f"USING GIN ((publico || notas)) WHERE {_en_franja(k)}"
        )


def _en_franja(k: int, columna: str = "ticket_id") -> str:
    """The SQL condition of the ``k``-th id range, with literal bounds (a partial index's
    predicate, and the condition that lets the planner use it: a bound parameter would not)."""
    return f"{columna} >= {int(k) * FRANJA_PG} AND {columna} < {(int(k) + 1) * FRANJA_PG}"


async def reconstruir(conn: BaseDBAsyncClient | None = None) -> None:
    """Refill the index from the tickets and their replies: one ``INSERT … SELECT``, the
    replies of each ticket concatenated in order (public ones and notes apart)."""
    conn = conn or _conexion()
    async with in_transaction(conn.connection_name) as tx:
        if search.dialecto(tx) == "sqlite":
            # A new table, not ``DELETE FROM``: FTS5 deletes row by row, writing a tombstone
            # for every token of every row — the rebuilt index of a million tickets was twice
            # its size (530 MB) and every doclist walk read the dead entries (a customer's
            # search went from ~12 to ~100 ms).
            await tx.execute_script(
                f"DROP TABLE {TABLA}; {DEFINICION_SQLITE}; "
                f"INSERT INTO {TABLA} (rowid, asunto, descripcion, respuestas, notas, filtros) "
                "SELECT t.id, t.asunto, t.descripcion, "
                "coalesce((SELECT group_concat(r.mensaje, ' ') FROM tickets_respuesta r "
                "WHERE r.ticket_id = t.id AND NOT r.interna), ''), "
                "coalesce((SELECT group_concat(r.mensaje, ' ') FROM tickets_respuesta r "
                "WHERE r.ticket_id = t.id AND r.interna), ''), "
                f"{_FILTROS.format(t='t')} "
                "FROM tickets_ticket t; "
                # The vocabulary from the index itself (one pass over fts5vocab: its words are
                # exactly FTS5's tokens); later writes add theirs with search.tokens_fts5.
                f"DELETE FROM {TERMINOS}; "
                f"CREATE VIRTUAL TABLE temp.{TERMINOS}_fts5 USING fts5vocab(main, {TABLA}, row); "
                f"INSERT INTO {TERMINOS} (termino) SELECT term FROM temp.{TERMINOS}_fts5; "
                f"DROP TABLE temp.{TERMINOS}_fts5"
            )
        else:
            asunto, publico = _ASUNTO_PG.format(t="t"), _PUBLICO_PG.format(t="t")
            await tx.execute_script(
                f"DELETE FROM {TABLA}; "
                f"INSERT INTO {TABLA} (ticket_id, asunto, filtros, publico, notas) "
                f"SELECT t.id, {asunto}, {_FILTROS_PG.format(t='t')}, "
                f"{publico} || setweight(to_tsvector('{_CFG}', coalesce(("
                "SELECT string_agg(r.mensaje, ' ' ORDER BY r.id) FROM tickets_respuesta r "
                "WHERE r.ticket_id = t.id AND NOT r.interna), '')), 'C'), "
                f"setweight(to_tsvector('{_CFG}', coalesce(("
                "SELECT string_agg(r.mensaje, ' ' ORDER BY r.id) FROM tickets_respuesta r "
                "WHERE r.ticket_id = t.id AND r.interna), '')), 'D') "
                "FROM tickets_ticket t; "
                # A rebuild follows a bulk load: without fresh statistics the planner takes a
                # million-row table for an empty one (and joins it to the tickets badly).
                f"ANALYZE {TABLA}; ANALYZE tickets_ticket"
            )


async def ticket_creado(evento: TicketCreado) -> None:
    """Index a new ticket's subject and description, read back from its row (the event does
    not carry the text) in the creating transaction."""
    conn = current_connection() or _conexion()
    ph = search.marcador(conn, 1)
    if search.dialecto(conn) == "sqlite":
        await conn.execute_query(
            f"INSERT OR REPLACE INTO {TABLA} "
            "(rowid, asunto, descripcion, respuestas, notas, filtros) "
            f"SELECT t.id, t.asunto, t.descripcion, '', '', {_FILTROS.format(t='t')} "
            f"FROM tickets_ticket t WHERE t.id = {ph}",
            [evento.ticket_id],
        )
        filas = await conn.execute_query_dict(
            f"SELECT asunto, descripcion FROM tickets_ticket WHERE id = {ph}", [evento.ticket_id]
        )
        for fila in filas:
            await _anadir_terminos(conn, f"{fila['asunto']} {fila['descripcion']}")
    else:
        await conn.execute_query(
            f"INSERT INTO {TABLA} (ticket_id, asunto, filtros, publico, notas) "
            f"SELECT t.id, {_ASUNTO_PG.format(t='t')}, {_FILTROS_PG.format(t='t')}, "
            f"{_PUBLICO_PG.format(t='t')}, ''::tsvector "
            f"FROM tickets_ticket t WHERE t.id = {ph} "
            "ON CONFLICT (ticket_id) DO UPDATE SET asunto = excluded.asunto, "
            "filtros = excluded.filtros, publico = excluded.publico",
            [evento.ticket_id],
        )


async def respuesta_creada(evento: RespuestaCreada) -> None:
    """Append a reply's text to the ticket's public replies, or a note's to its notes."""
    if not evento.mensaje:
        return
    conn = current_connection() or _conexion()
    ph1, ph2 = search.marcador(conn, 1), search.marcador(conn, 2)
    if search.dialecto(conn) == "sqlite":
        columna = "notas" if evento.interna else "respuestas"
        sentencias = [
            (
                f"UPDATE {TABLA} SET {columna} = {columna} || ' ' || {ph1} WHERE rowid = {ph2}",
                [evento.mensaje, evento.ticket_id],
            ),
            *_terminos(evento.mensaje),
        ]
        # This runs on every reply, inside its transaction, and nothing there reads the index
        # back: the row's text and the vocabulary's new words go with the reply's COMMIT (one
        # hand-off for the three); outside a unit of work, in one hand-off now.
        uow = current_unit_of_work()
        if uow is not None and uow.connection is conn:
            uow.diferir(*sentencias)
        else:
            await ejecutar_juntas(conn, sentencias)
    else:
        columna, peso = ("notas", "D") if evento.interna else ("publico", "C")
        await conn.execute_query(
            f"UPDATE {TABLA} SET {columna} = {columna} || "
            f"setweight(to_tsvector('{_CFG}', {ph1}), '{peso}') WHERE ticket_id = {ph2}",
            [evento.mensaje, evento.ticket_id],
        )


async def _anadir_terminos(conn: BaseDBAsyncClient, texto: str) -> None:
    """Add the words of ``texto`` to the SQLite vocabulary (those it already has cost a B-tree
    probe each), on the writing transaction's connection."""
    for sql, params in _terminos(texto):
        await conn.execute_query(sql, params)


def _terminos(texto: str) -> list[tuple[str, list[Any]]]:
    """The statement that adds the words of ``texto`` to the SQLite vocabulary (none when it
    has no words): one, with a JSON array of the words bound like any value."""
    palabras = sorted(search.tokens_fts5(texto))
    if not palabras:
        return []
    return [
        (
            f"INSERT OR IGNORE INTO {TERMINOS} (termino) SELECT value FROM json_each(?)",
            [json.dumps(palabras)],
        )
    ]


async def expansion(conn: BaseDBAsyncClient, prefijo: str) -> list[str] | None:
    """The index's words that start with ``prefijo`` (SQLite), or ``None`` when there are more
    than :data:`MAX_EXPANSION` (the prefix then stays a prefix)."""
    # Upper bound of the range: no UTF-8 text starting with the prefix sorts after it.
    filas = await conn.execute_query_dict(
        f"SELECT termino FROM {TERMINOS} WHERE termino >= ? AND termino < ? "
        "ORDER BY termino LIMIT ?",
        [prefijo, prefijo + "\U0010ffff", MAX_EXPANSION + 1],
    )
    if len(filas) > MAX_EXPANSION:
        return None
    return [str(f["termino"]) for f in filas]


#: What ``register_listeners`` subscribes (with the history's).
LISTENERS: Final = [
    Listener(TicketCreado, ticket_creado, "in_transaction"),
    Listener(RespuestaCreada, respuesta_creada, "in_transaction"),
]


# --- the q grammar -----------------------------------------------------------------------------

_CALIFICADOR = re.compile(
    r"(?<!\S)(?P<clave>[^\W\d_]+):(?:\"(?P<citado>[^\"]*)\"|(?P<valor>\S+))"
    r"|(?<!\S)#?(?P<numero>[Tt][Kk]-?\d{1,12})(?!\S)"
)
#: The largest ticket id (``tickets_ticket.id`` is a 32-bit integer on PostgreSQL).
_MAX_NUMERO: Final = 2**31 - 1
#: Qualifiers only agents may use (they name people, teams and internal tags).
SOLO_AGENTES: Final = frozenset({"cliente", "equipo", "etiqueta"})
CALIFICADORES: Final = frozenset({"estado", "prioridad", "categoria", *SOLO_AGENTES})
_ENUMS: Final[dict[str, tuple[str, type[Estado] | type[Prioridad] | type[Categoria]]]] = {
    "estado": ("Estado", Estado),
    "prioridad": ("Prioridad", Prioridad),
    "categoria": ("Categoría", Categoria),
}


@dataclass(frozen=True)
class Consulta:
    """A parsed ``q``: its search terms and the filters of its qualifiers."""

    terminos: list[str] = field(default_factory=list)
    exactos: dict[str, Any] = field(default_factory=dict)
    condiciones: list[Q] = field(default_factory=list)
    #: The team names of ``equipo:`` qualifiers (for :func:`comprobar`).
    equipos: list[str] = field(default_factory=list)

    def calificar(self, qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
        """``qs`` restricted by the qualifiers (not by the words)."""
        if self.exactos:
            qs = qs.filter(**self.exactos)
        for condicion in self.condiciones:
            qs = qs.filter(condicion)
        return qs


def _error(mensaje: str) -> BadRequest:
    return BadRequest("Datos inválidos.", errors={"q": [mensaje]})


def interpretar(q: str, usuario: Usuario) -> Consulta:
    """Split ``q`` into qualifiers (``estado:abierto``, ``#TK-000123``…) and search terms.

    A qualifier's value is checked: an unknown state, priority or category is a 400 naming the
    allowed values (teams: :func:`comprobar`); ``cliente:``, ``equipo:`` and ``etiqueta:`` are
    for agents only (a customer's is a 400). Words that are not qualifiers (``http://…``
    included) are text. Several qualifiers all apply (AND).
    """
    exactos: dict[str, Any] = {}
    condiciones: list[Q] = []
    equipos: list[str] = []
    resto: list[str] = []
    posicion = 0
    for m in _CALIFICADOR.finditer(q):
        clave = search.normalizar(m.group("clave") or "")
        if m.group("numero") is None and clave not in CALIFICADORES:
            continue
        resto.append(q[posicion : m.start()])
        posicion = m.end()
        if m.group("numero") is not None:
            numero = int(re.sub(r"\D", "", m.group("numero")))
            # Past the largest id no ticket has that number (and the database's integer
            # column must not see it): id 0 matches nothing.
            exactos["id"] = numero if numero <= _MAX_NUMERO else 0
            continue
        valor = (m.group("citado") if m.group("citado") is not None else m.group("valor")).strip()
        if clave in SOLO_AGENTES and not usuario.es_agente:
            raise _error(f"El calificador {clave}: es solo para agentes.")
        if clave in _ENUMS:
            nombre, enum = _ENUMS[clave]
            clave_enum = re.sub(r"[\s-]+", "_", search.normalizar(valor)).upper()
            permitidos = ", ".join(e.value.lower() for e in enum)
            if clave_enum not in {e.value for e in enum}:
                raise _error(f"{nombre} desconocido: {valor}. Valores: {permitidos}.")
            exactos[clave] = enum(clave_enum)
        elif clave == "cliente":
            condiciones.append(
                Q(cliente__nombre__icontains=valor)
                | Q(cliente__username__icontains=valor)
                | Q(cliente__email__icontains=valor)
            )
        elif clave == "equipo":
            # Checked against the teams by :func:`comprobar` (a query; this parse is pure).
            equipos.append(valor)
            condiciones.append(Q(equipo__nombre__iexact=valor))
        else:  # etiqueta
            condiciones.append(
                search.CondicionSql(
                    '"tickets_ticket"."id" IN (SELECT te.ticket_id FROM tickets_ticket_etiqueta '
                    "te JOIN core_etiqueta e ON e.id = te.etiqueta_id WHERE e.clave = {})",
                    tags.clave(valor),
                )
            )
    resto.append(q[posicion:])
    return Consulta(search.terminos(" ".join(resto)), exactos, condiciones, equipos)


async def comprobar(consulta: Consulta) -> None:
    """A 400 naming the active teams when an ``equipo:`` qualifier names no team."""
    for nombre in consulta.equipos:
        if not await Equipo.filter(nombre__iexact=nombre).exists():
            nombres = (
                await Equipo.filter(activo=True).order_by("nombre").values_list("nombre", flat=True)
            )
            lista = ", ".join(str(n) for n in nombres) or "(ninguno)"
            raise _error(f"Equipo desconocido: {nombre}. Valores: {lista}.")


# --- searching ---------------------------------------------------------------------------------


def _con_notas(usuario: Usuario) -> bool:
    return can_see_notes(usuario)


@dataclass(frozen=True)
class _Tramo:
    """A condition on the index's rows, SQL with ``{}`` markers for its bound ``valores``."""

    sql: str
    valores: tuple[Any, ...]

    def en(self, conn: BaseDBAsyncClient, desde: int = 1) -> str:
        """The SQL with the placeholders of ``conn``, numbered from ``desde``."""
        return self.sql.format(
            *(search.marcador(conn, desde + i) for i in range(len(self.valores)))
        )


def _tramos(
    usuario: Usuario,
    terminos: Sequence[str],
    fichas: Sequence[str] = (),
    ultimo: Sequence[str] | None = None,
) -> tuple[_Tramo, _Tramo]:
    """The index conditions of: every match, and the subject matches (ranked first).

    Every term must match; the last as a prefix (the word being typed), the others exactly
    (SQLite: with their plurals; PostgreSQL: after stemming). A customer's never reach notes.
    ``fichas``: ``filtros`` tokens every row must also hold (:func:`fichas`: a customer's
    ``c<id>``, ``estadoabierto``…) — the index alone answers the filtered search, without
    joining each match to the tickets (1001 primary-key lookups at a million). SQLite only:
    ``ultimo``, the words the last term's prefix covers (:func:`expansion`).
    """
    conn = _conexion()
    if search.dialecto(conn) == "sqlite":
        columnas = COLUMNAS_AGENTE if _con_notas(usuario) else COLUMNAS_PUBLICAS
        todo = search.consulta_fts5(terminos, columnas, prefijo_solo_ultimo=True, ultimo=ultimo)
        asunto = search.consulta_fts5(
            terminos, ("asunto",), prefijo_solo_ultimo=True, ultimo=ultimo
        )
        coincide = f"{TABLA} MATCH {{}}"
        # The tokens are letters and digits (:func:`fichas`): nothing to break out of.
        suyo = "".join(f' AND filtros : "{f}"' for f in fichas)
        return (
            _Tramo(coincide, (f"({todo}){suyo}",)),
            _Tramo(coincide, (f"({asunto}){suyo}",)),
        )
    vector = "(publico || notas)" if _con_notas(usuario) else "publico"
    config = search.configuracion_pg(terminos)
    todo = search.consulta_tsquery(terminos, prefijo_solo_ultimo=True)
    consulta = f"to_tsquery('{config}', {{}})"
    # The tokens are tested on each row the GIN bitmap led to (``text[]`` containment).
    suyas = (f" AND {TABLA}.filtros @> {{}}::text[]", (list(fichas),)) if fichas else ("", ())
    # The subject tier reads the subject's own small vector (GIN-indexed, never TOASTed): a
    # weight-A query on the whole vector (``'factura':A``) made PostgreSQL recheck, detoast
    # and decompress every candidate's full vector (replies included) — ~10,000 per search.
    return (
        _Tramo(f"{vector} @@ {consulta}{suyas[0]}", (todo, *suyas[1])),
        _Tramo(f"asunto @@ {consulta}", (todo,)),
    )


def _ficha(prefijo: str, valor: Any) -> str:
    """One ``filtros`` token, as :data:`_FILTROS` writes it (``estado`` +
    ``EN_PROGRESO`` → ``estadoenprogreso``; ids as digits)."""
    texto = str(valor.value if isinstance(valor, Enum) else int(valor))
    return prefijo + texto.replace("_", "").lower()


#: The list filters (:class:`~plugins.tickets.service.Filtros` fields) the index has tokens of.
_FICHAS_FILTROS: Final = {
    "estado": "estado",
    "prioridad": "prioridad",
    "categoria": "categoria",
    "cliente_id": "c",
    "equipo_id": "equipo",
    "agente_asignado_id": "agente",
}


def fichas(
    filtros: Filtros, consulta: Consulta | None, usuario: Usuario, *, propios: bool
) -> list[str] | None:
    """The ``filtros`` tokens that restrict a search exactly as ``filtros``, ``consulta``'s
    qualifiers and ``usuario``'s visibility do, or ``None`` when some restriction has no token
    (dates, tags, escalation level, a ticket number, ``cliente:``/``equipo:`` names, team
    visibility): the search then joins its matches to the filtered tickets instead."""
    if team_limited(usuario):
        return None
    if consulta is not None and (consulta.condiciones or set(consulta.exactos) - set(_ENUMS)):
        return None
    salida = [f"c{int(usuario.id)}"] if propios else []
    for nombre, valor in vars(filtros).items():
        if valor is None or nombre == "q":
            continue
        if nombre not in _FICHAS_FILTROS:
            return None
        salida.append(_ficha(_FICHAS_FILTROS[nombre], valor))
    if consulta is not None:
        salida += [_ficha(clave, valor) for clave, valor in consulta.exactos.items()]
    return salida


def _columna_id(conn: BaseDBAsyncClient) -> str:
    return "rowid" if search.dialecto(conn) == "sqlite" else "ticket_id"


def _en_indice(tramo: _Tramo) -> Q:
    """``tickets_ticket.id`` among the index rows of ``tramo``, as a queryset filter."""
    conn = _conexion()
    return search.CondicionSql(
        f'"tickets_ticket"."id" IN (SELECT {_columna_id(conn)} FROM {TABLA} WHERE {tramo.sql})',
        *tramo.valores,
    )


def condicion(usuario: Usuario, terminos: Sequence[str]) -> Q:
    """The ``Q`` of tickets whose text matches every term, for ``usuario`` (notes included for
    agents only), to filter any queryset of tickets."""
    return _en_indice(_tramos(usuario, terminos)[0])


async def contar_hasta(qs: QuerySet[Ticket], tope: int) -> Count:
    """How many rows ``qs`` has, counting at most ``tope`` (``exact=False`` past it): a search
    ordered by another field (``ordering``) costs the cap, not every match."""
    conn = _conexion()
    sub, params = search.sql_de(qs, "id")
    n = await _contar_sql(conn, f"FROM ({sub}) AS t", params, tope + 1)
    return Count(min(n, tope), n <= tope)


async def _contar_sql(conn: BaseDBAsyncClient, desde: str, params: list[Any], tope: int) -> int:
    """``SELECT count(*)`` of the rows of ``desde``, stopping at ``tope`` (a ``LIMIT`` inside:
    the engines stop reading matches there, FTS5 and GIN alike)."""
    filas = await conn.execute_query_dict(
        f"SELECT count(*) AS n FROM (SELECT 1 {desde} "
        f"LIMIT {search.marcador(conn, len(params) + 1)}) AS c",
        [*params, tope],
    )
    return int(filas[0]["n"])


class Busqueda:
    """The ranked search of one list request: its count and its pages.

    The work is bounded by ``cuenta_maxima``, not by the number of tickets or of matches:

    1. **The window**: the newest ``cuenta_maxima + 1`` matches, in id order as the index
       yields them (FTS5 walks its rowids backwards and stops at the ``LIMIT``; PostgreSQL,
       for an agent, one id range at a time from the newest, :meth:`_ventana_por_franjas`),
       joined to ``qs`` when ``filtrado`` (each one a primary-key lookup) — the filters with
       tokens (``fichas``) are tested in the index instead. Its length is the count: exact up
       to the cap, else the cap (``count_exacto: false``).
    2. **The tiers** within the window: tickets whose subject holds every term first, then the
       others (description, replies, notes), each newest first. The subject matches are read
       only for the window: FTS5 from its oldest rowid up (a range it seeks to), PostgreSQL as
       a flag of each window row (its small subject vector tested in place); an empty subject
       tier no longer costs a pass over every match (~10–30 ms at a million).

    A relevance score (bm25, ts_rank) would have to be computed for every match before the
    first page is known (at a million tickets, 10,000 matches of two common words cost ~30 ms
    of bm25 alone). Past the cap, older subject matches are not ranked first: the pages end at
    the cap anyway ("más de 1.000": refine the search). ``filtrado``: ``qs`` restricts the
    tickets (other filters, a customer's own, team visibility); else the index is read alone.
    ``propios``: the search is of the user's own tickets (PostgreSQL reads them in one pass).
    """

    def __init__(
        self,
        usuario: Usuario,
        qs: QuerySet[Ticket],
        terminos: Sequence[str],
        *,
        filtrado: bool,
        cuenta_maxima: int,
        fichas: Sequence[str] | None = None,
        propios: bool = False,
    ) -> None:
        self.qs = qs
        self.cuenta_maxima = cuenta_maxima
        self.usuario = usuario
        self.terminos = list(terminos)
        sqlite = search.dialecto(_conexion()) == "sqlite"
        # Every filter as index tokens: the index alone restricts the matches. Not on
        # PostgreSQL for one customer's tickets: those few are found from the customer's rows
        # (the join), where the tokens would be tested on every match of the words.
        self.fichas = list(fichas) if fichas is not None else None
        un_cliente = propios or self._de_un_cliente()
        if not sqlite and un_cliente:
            self.fichas = None
        self.filtrado = filtrado and self.fichas is None
        self.todo, self.asunto = _tramos(usuario, terminos, self.fichas or ())
        self._expandido = not sqlite
        # PostgreSQL, an agent's search: the window is read range by range, newest first, from
        # the partial indexes of ``publico || notas`` (:func:`_indices_por_franja`). Not one
        # person's tickets: those are few, found from the person's rows at once.
        self.por_franjas = not sqlite and _con_notas(usuario) and not un_cliente
        self._ventana: list[int] | None = None
        #: PostgreSQL: the window's ids whose subject matches (its rows say so).
        self._asunto: set[int] | None = None if sqlite else set()
        self._orden: list[int] | None = None

    async def _expandir(self) -> None:
        """SQLite: the last term's prefix as the exact words it covers (read once)."""
        if self._expandido:
            return
        self._expandido = True
        ultimo = await expansion(_conexion(), self.terminos[-1])
        if ultimo is not None:
            self.todo, self.asunto = _tramos(self.usuario, self.terminos, self.fichas or (), ultimo)

    def _desde(
        self, conn: BaseDBAsyncClient, franja: int | None = None, primero: int = 1
    ) -> tuple[str, list[Any]]:
        """``FROM`` the index rows of every match — joined to ``qs`` when filtered, within the
        ``franja``-th id range when given — and its parameters, numbered from ``primero``. The
        join lets the engine read the matches in id order from the index and look each one up
        in the tickets by primary key, stopping at the ``LIMIT`` (an ``IN (…)`` of the matches
        would collect all of them first)."""
        rango = "" if franja is None else f" AND {_en_franja(franja, f'{TABLA}.ticket_id')}"
        if not self.filtrado:
            return (
                f"FROM {TABLA} WHERE {self.todo.en(conn, primero)}{rango}",
                list(self.todo.valores),
            )
        sub, params = search.sql_de(self.qs, "id")
        # The sub-select's own placeholders are numbered from 1 (tortoise wrote them).
        if primero != 1 and search.dialecto(conn) == "postgres":
            sub = re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + primero - 1}", sub)
        return (
            f"FROM {TABLA} JOIN ({sub}) AS t ON t.id = {TABLA}.{_columna_id(conn)} "
            f"WHERE {self.todo.en(conn, primero + len(params))}{rango}",
            [*params, *self.todo.valores],
        )

    def _consulta(
        self, conn: BaseDBAsyncClient, franja: int | None = None
    ) -> tuple[str, list[Any]]:
        """The window's ``SELECT`` (``{}``: the direction) and its parameters but the last,
        the ``LIMIT``'s. PostgreSQL: each row also says whether its subject holds every term
        (``en_asunto``, the small subject vector tested on the row the scan has in hand)."""
        columna = f"{TABLA}.{_columna_id(conn)}"
        if search.dialecto(conn) == "sqlite":
            desde, params = self._desde(conn, franja)
            return (
                f"SELECT {columna} AS id {desde} ORDER BY {columna} {{}} LIMIT "
                f"{search.marcador(conn, len(params) + 1)}",
                params,
            )
        # PostgreSQL would walk the primary key backwards and test every row when few match
        # (0.1 s at 100,000 tickets); ordering by an expression makes it take the matches from
        # the GIN index and sort them. The subject's flag, read here, spares the subject tier
        # a second pass: 1001 primary-key lookups at a million (~5 ms, 150 ms under load).
        en_asunto = self.asunto.en(conn, 1)
        desde, params = self._desde(conn, franja, len(self.asunto.valores) + 1)
        params = [*self.asunto.valores, *params]
        return (
            f"SELECT {columna} AS id, ({en_asunto}) AS en_asunto {desde} "
            f"ORDER BY {columna} + 0 {{}} LIMIT {search.marcador(conn, len(params) + 1)}"
        ), params

    def _guardar(self, filas: Sequence[dict[str, Any]]) -> list[int]:
        """The ids of window rows, remembering (PostgreSQL) which match in the subject."""
        if self._asunto is not None:
            self._asunto.update(int(f["id"]) for f in filas if f["en_asunto"])
        return [int(f["id"]) for f in filas]

    async def ventana(self) -> list[int]:
        """The ids of the newest ``cuenta_maxima + 1`` matches, newest first (read once)."""
        if self._ventana is None:
            await self._expandir()
            conn = _conexion()
            if self.por_franjas:
                self._ventana = await self._ventana_por_franjas(conn)
                return self._ventana
            sql, params = self._consulta(conn)
            valores = [*params, self.cuenta_maxima + 1]
            if self._de_un_cliente():
                # One customer's tickets: FTS5 seeks through long doclists forwards only (a
                # descending AND walks ``factura``'s every posting down to the customer's
                # oldest ticket: 2.5 vs 0.5 ms at a million). Within the cap the ascending
                # read is every match, the same window; past it, read it newest first.
                filas = await conn.execute_query_dict(sql.format("ASC"), valores)
                if len(filas) <= self.cuenta_maxima:
                    self._ventana = self._guardar(filas)[::-1]
                    return self._ventana
            filas = await conn.execute_query_dict(sql.format("DESC"), valores)
            self._ventana = self._guardar(filas)
        return self._ventana

    async def _ventana_por_franjas(self, conn: BaseDBAsyncClient) -> list[int]:
        """PostgreSQL: the window read one id range at a time, newest first, until it is full.

        One GIN bitmap over all the tickets costs every posting of the terms and a heap visit
        per match (~10,500 for two common words at a million: 60–350 ms) whatever the
        ``LIMIT``; a range's partial index holds a tenth of them at a million, and the newest
        range usually fills the window. The ranges are disjoint and read in descending order,
        so their rows, each range newest first, are the window newest first."""
        filas = await conn.execute_query_dict(
            f"SELECT coalesce(max(ticket_id), 0) AS n FROM {TABLA}"
        )
        ids: list[int] = []
        for franja in range(int(filas[0]["n"]) // FRANJA_PG, -1, -1):
            sql, params = self._consulta(conn, franja)
            faltan = self.cuenta_maxima + 1 - len(ids)
            ids += self._guardar(
                await conn.execute_query_dict(sql.format("DESC"), [*params, faltan])
            )
            if len(ids) > self.cuenta_maxima:
                break
        return ids

    def _de_un_cliente(self) -> bool:
        """Whether the tokens restrict the matches to one customer's tickets."""
        return any(re.fullmatch(r"c\d+", f) for f in self.fichas or ())

    async def _en_asunto(self, ventana: list[int]) -> set[int]:
        """The ids of ``ventana`` whose subject holds every term (the index alone: the window
        already applied ``qs``). PostgreSQL: as the window's rows said."""
        if self._asunto is not None:
            return self._asunto
        conn = _conexion()
        # FTS5 seeks to the window's rowid range (``rowid >= ?``): the subject postings of
        # older tickets are skipped, where an empty tier cost a pass over every match.
        sql = f"SELECT rowid AS id FROM {TABLA} WHERE {self.asunto.en(conn)} AND rowid >= ?"
        params: list[Any] = [*self.asunto.valores, ventana[-1]]
        return {int(f["id"]) for f in await conn.execute_query_dict(sql, params)}

    async def contar(self) -> Count:
        """How many tickets match: exact up to ``cuenta_maxima``, else that cap."""
        n = len(await self.ventana())
        return Count(min(n, self.cuenta_maxima), n <= self.cuenta_maxima)

    async def pagina(self, offset: int, limit: int) -> list[int]:
        """The ids of one page, subject matches first, each tier newest first."""
        if self._orden is None:
            ventana = (await self.ventana())[: self.cuenta_maxima]
            asunto = await self._en_asunto(ventana) if ventana else set()
            self._orden = [i for i in ventana if i in asunto] + [
                i for i in ventana if i not in asunto
            ]
        return self._orden[offset : offset + limit]


async def fragmentos(
    usuario: Usuario, tickets: Sequence[tuple[int, str, str]], terminos: Sequence[str]
) -> dict[int, str]:
    """A highlighted snippet (:func:`core.search.fragmento`) per ticket of ``(id, asunto,
    descripcion)``: from the subject if it matches, else the description, else the first
    matching reply the caller may see (notes for agents only)."""
    salida: dict[int, str] = {}
    faltan: list[int] = []
    for ticket_id, asunto, descripcion in tickets:
        trozo = search.fragmento(asunto, terminos) or search.fragmento(descripcion, terminos)
        if trozo is not None:
            salida[ticket_id] = trozo
        else:
            faltan.append(ticket_id)
    if faltan:
        respuestas = Respuesta.filter(ticket_id__in=faltan)
        if not _con_notas(usuario):
            respuestas = respuestas.filter(interna=False)
        filas = await respuestas.order_by("interna", "id").values_list("ticket_id", "mensaje")
        for ticket_id, mensaje in filas:
            if ticket_id not in salida and (trozo := search.fragmento(mensaje, terminos)):
                salida[ticket_id] = trozo
    return salida


# Idempotent DDL for PostgreSQL; no user input, no bound parameters.
_PG_DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLA} (
    ticket_id integer PRIMARY KEY REFERENCES tickets_ticket (id) ON DELETE CASCADE,
    asunto tsvector NOT NULL DEFAULT ''::tsvector,
    filtros text[] NOT NULL DEFAULT '{{}}'::text[],
    publico tsvector NOT NULL DEFAULT ''::tsvector,
    notas tsvector NOT NULL DEFAULT ''::tsvector
);
CREATE INDEX IF NOT EXISTS {TABLA}_asunto_gin ON {TABLA} USING GIN (asunto);
CREATE INDEX IF NOT EXISTS {TABLA}_publico_gin ON {TABLA} USING GIN (publico);
CREATE INDEX IF NOT EXISTS {TABLA}_todo_gin ON {TABLA} USING GIN ((publico || notas));
CREATE OR REPLACE FUNCTION {TABLA}_filtros() RETURNS trigger AS $$ BEGIN
    UPDATE {TABLA} SET filtros = {_FILTROS_PG.format(t="NEW")} WHERE ticket_id = NEW.id;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
{TRIGGER_PG};
"""
