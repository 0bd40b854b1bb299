"""Full-text search over tickets: the index, written in the transaction of every write, and the
``q`` grammar of the ticket lists (docs/api.md, "Searching tickets").

The engine is :mod:`core.search` (the FAQ's too); this module holds the tickets' index:

* **SQLite**: an FTS5 table ``tickets_busqueda`` (rowid = ticket id) with columns ``asunto``,
  ``descripcion``, ``respuestas`` (public replies, appended), ``notas`` (internal notes) and
  ``filtros`` (the token ``c<customer id>``), tokenizer ``unicode61 remove_diacritics 2``. A
  customer's query is confined to the first three columns (``{asunto descripcion respuestas} :
  …``), so a note's words never find a ticket for them, and to their token.
* **PostgreSQL**: a table ``tickets_busqueda (ticket_id, publico, notas)`` of ``tsvector`` in the
  shared ``unaccent`` + Spanish configuration (asunto weight A, descripcion B, replies C, notes
  D), with GIN indexes on ``publico`` (customers) and on ``publico || notas`` (agents); a reply
  appends ``publico = publico || to_tsvector(…)``.

Ranking is by tiers (:class:`Busqueda`): subject matches first, then the rest, newest first.

Only two things write text to a ticket: its creation and a reply (or note). Both emit an event
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

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from tortoise.connection import connections
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import search, tags
from core.api.errors import BadRequest
from core.api.pagination import Count
from core.auth.guards import can_see_notes
from core.auth.models import Equipo
from core.db import exclusive
from core.events import Listener, current_connection
from plugins.tickets.events import RespuestaCreada, TicketCreado
from plugins.tickets.models import Categoria, Estado, Prioridad, Respuesta, Ticket

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.queryset import QuerySet

    from core.auth.models import Usuario

log = logging.getLogger("soporte.tickets")

TABLA: Final = "tickets_busqueda"

#: The SQLite table's exact definition; a stored table that differs is dropped and rebuilt.
DEFINICION_SQLITE: Final = (
    f"CREATE VIRTUAL TABLE {TABLA} USING fts5("
    "asunto, descripcion, respuestas, notas, filtros, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)
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


def _conexion() -> BaseDBAsyncClient:
    """The tickets' connection in the current context (the transaction's, inside one)."""
    return connections.get(Ticket._meta.default_connection or "default")


# --- the index ---------------------------------------------------------------------------------


async def preparar(conn: BaseDBAsyncClient | None = None, *, reparar: bool = True) -> None:
    """Create the index (and the tags' reverse indexes) if missing, and (``reparar``) rebuild
    the index when it does not hold one row per ticket. Idempotent; run at start-up and after
    demo loads."""
    conn = conn or _conexion()
    if search.dialecto(conn) == "sqlite":
        filas = await conn.execute_query_dict(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [TABLA]
        )
        if filas and filas[0]["sql"] != DEFINICION_SQLITE:
            log.info("replacing the ticket search index: its definition changed")
            await conn.execute_script(f"DROP TABLE {TABLA}")
            filas = []
        if not filas:
            await conn.execute_script(DEFINICION_SQLITE)
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
            await _anadir_asunto_pg(tx)
            await tx.execute_script(_PG_DDL)
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
    if filas[0]["tickets"] != filas[0]["indexados"]:
        log.info(
            "rebuilding the ticket search index (%s tickets, %s indexed)",
            filas[0]["tickets"],
            filas[0]["indexados"],
        )
        await reconstruir(conn)


async def _anadir_asunto_pg(tx: BaseDBAsyncClient) -> None:
    """Upgrade an index from before the subject's own vector: add the column and fill it from
    the tickets (one ``UPDATE … FROM``; the GIN index is built by the DDL after)."""
    filas = await tx.execute_query_dict(
        "SELECT "
        f"to_regclass('{TABLA}') IS NOT NULL AS tabla, "
        "EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
        f"AND table_name = '{TABLA}' AND column_name = 'asunto') AS columna"
    )
    if not filas[0]["tabla"] or filas[0]["columna"]:
        return
    log.info("adding the subject's vector to the ticket search index")
    await tx.execute_script(
        f"ALTER TABLE {TABLA} ADD COLUMN asunto tsvector NOT NULL DEFAULT ''::tsvector; "
        f"UPDATE {TABLA} SET asunto = {_ASUNTO_PG.format(t='t')} "
        f"FROM tickets_ticket t WHERE t.id = {TABLA}.ticket_id; "
        f"ANALYZE {TABLA}"
    )


async def reconstruir(conn: BaseDBAsyncClient | None = None) -> None:
    """Refill the index from the tickets and their replies: one ``INSERT … SELECT``, the
    replies of each ticket concatenated in order (public ones and notes apart)."""
    conn = conn or _conexion()
    async with in_transaction(conn.connection_name) as tx:
        if search.dialecto(tx) == "sqlite":
            await tx.execute_script(
                f"DELETE FROM {TABLA}; "
                f"INSERT INTO {TABLA} (rowid, asunto, descripcion, respuestas, notas, filtros) "
                "SELECT t.id, t.asunto, t.descripcion, "
                "coalesce((SELECT group_concat(r.mensaje, ' ') FROM tickets_respuesta r "
                "WHERE r.ticket_id = t.id AND NOT r.interna), ''), "
                "coalesce((SELECT group_concat(r.mensaje, ' ') FROM tickets_respuesta r "
                "WHERE r.ticket_id = t.id AND r.interna), ''), "
                "'c' || t.cliente_id "
                "FROM tickets_ticket t"
            )
        else:
            asunto, publico = _ASUNTO_PG.format(t="t"), _PUBLICO_PG.format(t="t")
            await tx.execute_script(
                f"DELETE FROM {TABLA}; "
                f"INSERT INTO {TABLA} (ticket_id, asunto, publico, notas) "
                f"SELECT t.id, {asunto}, {publico} || setweight(to_tsvector('{_CFG}', coalesce(("
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
            f"SELECT id, asunto, descripcion, '', '', 'c' || cliente_id "
            f"FROM tickets_ticket WHERE id = {ph}",
            [evento.ticket_id],
        )
    else:
        await conn.execute_query(
            f"INSERT INTO {TABLA} (ticket_id, asunto, publico, notas) "
            f"SELECT t.id, {_ASUNTO_PG.format(t='t')}, {_PUBLICO_PG.format(t='t')}, ''::tsvector "
            f"FROM tickets_ticket t WHERE t.id = {ph} "
            "ON CONFLICT (ticket_id) DO UPDATE SET asunto = excluded.asunto, "
            "publico = excluded.publico",
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
        await conn.execute_query(
            f"UPDATE {TABLA} SET {columna} = {columna} || ' ' || {ph1} WHERE rowid = {ph2}",
            [evento.mensaje, evento.ticket_id],
        )
    else:
        columna, peso = ("notas", "D") if evento.interna else ("publico", "C")
        await conn.execute_query(
            f"UPDATE {TABLA} SET {columna} = {columna} || "
            f"setweight(to_tsvector('{_CFG}', {ph1}), '{peso}') WHERE ticket_id = {ph2}",
            [evento.mensaje, evento.ticket_id],
        )


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
    usuario: Usuario, terminos: Sequence[str], cliente_id: int | None = None
) -> tuple[_Tramo, _Tramo]:
    """The index conditions of: every match, and the subject matches (ranked first).

    Every term must match; the last as a prefix (the word being typed), the others exactly
    (SQLite: with their plurals; PostgreSQL: after stemming). A customer's never reach notes.
    ``cliente_id`` (SQLite only): only that customer's tickets, by the ``filtros`` token
    ``c<id>`` of each row — the index alone answers a customer's search, without reading the
    customer's tickets (joining 10,000 matches to them cost ~40 ms at a million tickets).
    """
    conn = _conexion()
    if search.dialecto(conn) == "sqlite":
        columnas = COLUMNAS_AGENTE if _con_notas(usuario) else COLUMNAS_PUBLICAS
        todo = search.consulta_fts5(terminos, columnas, prefijo_solo_ultimo=True)
        asunto = search.consulta_fts5(terminos, ("asunto",), prefijo_solo_ultimo=True)
        coincide = f"{TABLA} MATCH {{}}"
        if cliente_id is not None:
            suyo = f' AND filtros : "c{int(cliente_id)}"'
            return (
                _Tramo(coincide, (f"({todo}){suyo}",)),
                _Tramo(coincide, (f"({asunto}){suyo}",)),
            )
        return _Tramo(coincide, (todo,)), _Tramo(coincide, (asunto,))
    vector = "(publico || notas)" if _con_notas(usuario) else "publico"
    config = search.configuracion_pg(terminos)
    todo = search.consulta_tsquery(terminos, prefijo_solo_ultimo=True)
    consulta = f"to_tsquery('{config}', {{}})"
    # The subject tier reads the subject's own small vector (GIN-indexed, never TOASTed): a
    # weight-A query on the whole vector (``'factura':A``) made PostgreSQL recheck, detoast
    # and decompress every candidate's full vector (replies included) — ~10,000 per search.
    return _Tramo(f"{vector} @@ {consulta}", (todo,)), _Tramo(f"asunto @@ {consulta}", (todo,))


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
       yields them (FTS5 walks its rowids backwards and stops at the ``LIMIT``), joined to
       ``qs`` when ``filtrado`` (each one a primary-key lookup). Its length is the count: exact
       up to the cap, else the cap (``count_exacto: false``).
    2. **The tiers** within the window: tickets whose subject holds every term first, then the
       others (description, replies, notes), each newest first. The subject matches are read
       only for the window: FTS5 from its oldest rowid up (a range it seeks to), PostgreSQL by
       primary key, testing each small subject vector; an empty subject tier no longer costs a
       pass over every match (~10–30 ms at a million).

    A relevance score (bm25, ts_rank) would have to be computed for every match before the
    first page is known (at a million tickets, 10,000 matches of two common words cost ~30 ms
    of bm25 alone). Past the cap, older subject matches are not ranked first: the pages end at
    the cap anyway ("más de 1.000": refine the search). ``filtrado``: ``qs`` restricts the
    tickets (other filters, a customer's own, team visibility); else the index is read alone.
    """

    def __init__(
        self,
        usuario: Usuario,
        qs: QuerySet[Ticket],
        terminos: Sequence[str],
        *,
        filtrado: bool,
        cuenta_maxima: int,
        solo_propios: bool = False,
    ) -> None:
        self.qs = qs
        self.cuenta_maxima = cuenta_maxima
        # A customer's own tickets and nothing else: on SQLite the index itself restricts them.
        propios = solo_propios and search.dialecto(_conexion()) == "sqlite"
        self.filtrado = filtrado and not propios
        self.todo, self.asunto = _tramos(usuario, terminos, usuario.id if propios else None)
        self._ventana: list[int] | None = None
        self._orden: list[int] | None = None

    def _desde(self, conn: BaseDBAsyncClient) -> tuple[str, list[Any]]:
        """``FROM`` the index rows of every match — joined to ``qs`` when filtered — and the
        parameters so far. The join lets the engine read the matches in id order from the
        index and look each one up in the tickets by primary key, stopping at the ``LIMIT``
        (an ``IN (…)`` of the matches would collect all of them first)."""
        if not self.filtrado:
            return f"FROM {TABLA} WHERE {self.todo.en(conn)}", list(self.todo.valores)
        sub, params = search.sql_de(self.qs, "id")
        return (
            f"FROM {TABLA} JOIN ({sub}) AS t ON t.id = {TABLA}.{_columna_id(conn)} "
            f"WHERE {self.todo.en(conn, len(params) + 1)}",
            [*params, *self.todo.valores],
        )

    async def ventana(self) -> list[int]:
        """The ids of the newest ``cuenta_maxima + 1`` matches, newest first (read once)."""
        if self._ventana is None:
            conn = _conexion()
            columna = f"{TABLA}.{_columna_id(conn)}"
            # PostgreSQL would walk the primary key backwards and test every row when few
            # match (0.1 s at 100,000 tickets); ordering by an expression makes it take the
            # matches from the GIN index and sort them. FTS5 yields rowids in order anyway.
            orden = columna if search.dialecto(conn) == "sqlite" else f"{columna} + 0"
            desde, params = self._desde(conn)
            filas = await conn.execute_query_dict(
                f"SELECT {columna} AS id {desde} ORDER BY {orden} DESC "
                f"LIMIT {search.marcador(conn, len(params) + 1)}",
                [*params, self.cuenta_maxima + 1],
            )
            self._ventana = [int(f["id"]) for f in filas]
        return self._ventana

    async def _en_asunto(self, ventana: list[int]) -> set[int]:
        """The ids of ``ventana`` whose subject holds every term (the index alone: the window
        already applied ``qs``)."""
        conn = _conexion()
        n = len(self.asunto.valores)
        marca = search.marcador(conn, n + 1)
        if search.dialecto(conn) == "sqlite":
            # FTS5 seeks to the window's rowid range (``rowid >= ?``): the subject postings of
            # older tickets are skipped, where an empty tier cost a pass over every match.
            sql = (
                f"SELECT rowid AS id FROM {TABLA} WHERE {self.asunto.en(conn)} AND rowid >= {marca}"
            )
            params: list[Any] = [*self.asunto.valores, ventana[-1]]
        else:
            # The window's rows by primary key, each small subject vector tested in place:
            # ``IS TRUE`` keeps the planner off the subject's GIN index, whose posting lists
            # (and a BitmapAnd with an id range) grow with the tickets.
            sql = (
                f"SELECT ticket_id AS id FROM {TABLA} WHERE ticket_id = ANY({marca}) "
                f"AND ({self.asunto.en(conn)}) IS TRUE"
            )
            params = [*self.asunto.valores, ventana]
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
    publico tsvector NOT NULL DEFAULT ''::tsvector,
    notas tsvector NOT NULL DEFAULT ''::tsvector
);
CREATE INDEX IF NOT EXISTS {TABLA}_asunto_gin ON {TABLA} USING GIN (asunto);
CREATE INDEX IF NOT EXISTS {TABLA}_publico_gin ON {TABLA} USING GIN (publico);
CREATE INDEX IF NOT EXISTS {TABLA}_todo_gin ON {TABLA} USING GIN ((publico || notas));
"""
