"""The rules of tickets, free of HTTP: tickets' own routes, pages and ``api`` use this module.

It is internal to ``tickets``: other plugins use the public face :mod:`plugins.tickets.api`
(views, no ORM classes) and :mod:`plugins.tickets.events`. ``__all__`` lists what tickets'
own modules use; the ORM classes stay in :mod:`plugins.tickets.models`.

State machine (``TRANSICIONES``; a move not listed is a :class:`~core.api.Conflict`, 409)::

    ABIERTO      → EN_PROGRESO, RESUELTO, CERRADO
    EN_PROGRESO  → ABIERTO, RESUELTO, CERRADO
    RESUELTO     → EN_PROGRESO, CERRADO
    CERRADO      → (final: no move, no reply, no chat message)

Automatic moves, applied by :func:`responder` inside the reply's transaction:

- an agent's (AGENTE/ADMIN) reply records the first agent answer (``primera_respuesta_agente``)
  the first time, moves ABIERTO → EN_PROGRESO and stops the waiting clock
  (``esperando_desde = None``);
- a customer's reply starts the clock again if it is not running (``esperando_desde = now``) and
  reopens a RESUELTO ticket (→ EN_PROGRESO);
- any reply on CERRADO is a 409.

Explicit moves come from :func:`actualizar` (PATCH): agents change ``estado`` (per the table),
``prioridad``, ``categoria`` and ``agente_asignado``; the owner may only set ``estado`` to
CERRADO. Moving to RESUELTO or CERRADO stops the waiting clock. Setting a field to the value it
already has is not a change (no 409, no event). A new ticket starts ABIERTO with the clock
running: its customer waits for a first answer.

Every change runs in a :class:`~core.events.UnitOfWork` holding the ticket's row lock
(``SELECT … FOR UPDATE`` where the database has it; SQLite serialises transactions anyway), and
its events are published after commit.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, cast

from tortoise.connection import connections
from tortoise.expressions import Case, RawSQL, When
from tortoise.transactions import in_transaction

from core import labels, tags
from core.api.errors import BadRequest, Conflict, Forbidden, NotFound
from core.api.fields import MAX_ID
from core.auth.equipos import es_miembro, sql_team_for_category
from core.auth.guards import (
    can_see_notes,
    team_limited,
    visible_in_teams_or_404,
    visible_replies,
    visible_to,
)
from core.auth.models import Equipo, Rol, Usuario
from core.db import Lectura, Marcas, ejecutar_juntas, leer, placeholders
from core.events import UnitOfWork, in_unit_of_work
from core.history import Canal as HistoryCanal
from core.i18n import N_
from core.i18n import gettext as _
from core.storage import Upload
from plugins.tickets import agregados, agregados_periodo, busqueda
from plugins.tickets.cuota import Cuota, comprobar_cuota
from plugins.tickets.events import (
    RespuestaCreada,
    TicketActualizado,
    TicketCreado,
    TicketValorado,
)
from plugins.tickets.models import (
    Adjunto,
    Canal,
    Categoria,
    Estado,
    Prioridad,
    Respuesta,
    Ticket,
    Valoracion,
)

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.queryset import QuerySet

    from core.events import EventBus

__all__ = [
    "ESTADOS_ABIERTOS",
    "MAX_ID",
    "ORDENES",
    "TRANSICIONES",
    "Canal",
    "Categoria",
    "Estado",
    "Filtros",
    "Prioridad",
    "RespuestaCreada",
    "RespuestaVista",
    "TicketActualizado",
    "TicketCreado",
    "TicketValorado",
    "TicketVista",
    "actualizar",
    "adjuntos_de",
    "cargar_respuesta",
    "cargar_tickets",
    "contador",
    "crear_ticket",
    "estadisticas",
    "etiquetas_de",
    "filtrar",
    "formato_numero",
    "guardar_adjuntos",
    "historial",
    "obtener_visible",
    "ordenar",
    "puede_transitar",
    "responder",
    "valorar",
]

TRANSICIONES: Final[Mapping[Estado, frozenset[Estado]]] = {
    Estado.ABIERTO: frozenset({Estado.EN_PROGRESO, Estado.RESUELTO, Estado.CERRADO}),
    Estado.EN_PROGRESO: frozenset({Estado.ABIERTO, Estado.RESUELTO, Estado.CERRADO}),
    Estado.RESUELTO: frozenset({Estado.EN_PROGRESO, Estado.CERRADO}),
    Estado.CERRADO: frozenset(),
}

#: States in which a ticket still needs work (the dashboard's ``tickets_abiertos``).
ESTADOS_ABIERTOS: Final = (Estado.ABIERTO, Estado.EN_PROGRESO)

# Semantic order for ``ordering``: priority from low to high, states in lifecycle order (an
# alphabetical order of the words would mean nothing to an agent).
_RANGO_PRIORIDAD = {Prioridad.BAJA: 1, Prioridad.MEDIA: 2, Prioridad.ALTA: 3}
_RANGO_ESTADO = {Estado.ABIERTO: 1, Estado.EN_PROGRESO: 2, Estado.RESUELTO: 3, Estado.CERRADO: 4}

#: The fields the agents' list may be ordered by (``-campo`` for descending).
ORDENES: Final = (
    "fecha_creacion",
    "fecha_actualizacion",
    "prioridad",
    "estado",
    "categoria",
    "numero",
    "nivel_escalamiento",
    "id",
)


def puede_transitar(desde: Estado, hacia: Estado) -> bool:
    """Whether ``desde → hacia`` is an allowed explicit move (see the module docstring)."""
    return hacia in TRANSICIONES[Estado(desde)]


def formato_numero(ticket_id: int) -> str:
    """The human-readable number of a ticket: ``TK-000123``."""
    return f"TK-{ticket_id:06d}"


def _ahora() -> datetime:
    return datetime.now(UTC)


# --- reading -----------------------------------------------------------------------------------


async def obtener_visible(usuario: Usuario, ticket_id: int) -> Ticket:
    """The ticket ``ticket_id`` with ``cliente`` and ``agente_asignado`` loaded.

    A 404 (:class:`~core.api.NotFound`) unless it exists and ``usuario`` is its owner or an
    agent who may see it (team visibility: :mod:`core.auth.guards`) — the same rule for REST
    and WebSocket (existence never leaks).
    """
    ticket = await Ticket.filter(id=ticket_id).select_related("cliente", "agente_asignado").first()
    return cast("Ticket", await visible_in_teams_or_404(usuario, ticket, **CAMPOS_VISIBILIDAD))


#: The fields team visibility reads on a ticket (:func:`core.auth.guards.visible_to`).
CAMPOS_VISIBILIDAD: Final = {"campo_equipo": "equipo_id", "campo_agente": "agente_asignado_id"}


@dataclass
class RespuestaVista:
    """A reply with its author loaded and its attachments."""

    respuesta: Respuesta
    adjuntos: list[Adjunto] = field(default_factory=list)


@dataclass
class TicketVista:
    """A ticket with everything its API object shows, loaded in bulk."""

    ticket: Ticket
    adjuntos: list[Adjunto] = field(default_factory=list)
    valoracion: Valoracion | None = None
    #: Oldest first; only filled by ``cargar_tickets(..., con_respuestas=True)``.
    respuestas: list[RespuestaVista] = field(default_factory=list)
    #: Tag names sorted by key; only filled by ``cargar_tickets(..., con_etiquetas=True)``.
    etiquetas: list[str] = field(default_factory=list)


async def cargar_tickets(
    ids: Sequence[int],
    *,
    con_respuestas: bool = False,
    para: Usuario | None = None,
    con_etiquetas: bool = False,
) -> list[TicketVista]:
    """Tickets ``ids`` in that order, with relations, in a constant number of queries.

    Three queries (tickets with ``cliente``, ``agente_asignado`` and ``equipo``, joined; their
    attachments; their ratings), a fourth with ``con_respuestas`` (replies with their authors),
    whatever the number of tickets, replies or files. Unknown ids are skipped. ``para``: the
    user the replies are shown to (a customer's never include internal notes:
    ``visible_replies``); ``None`` loads them all, for staff and background use.
    ``con_etiquetas``: one more query, the tags of every ticket (staff only: tags are the
    agents' internal vocabulary, never shown to customers).
    """
    if not ids:
        return []
    tickets = await Ticket.filter(id__in=ids).select_related("cliente", "agente_asignado", "equipo")
    adjuntos_q = Adjunto.filter(ticket_id__in=ids)
    if not con_respuestas:
        adjuntos_q = adjuntos_q.filter(respuesta_id=None)
    adjuntos = await adjuntos_q.order_by("id")
    valoraciones = {v.ticket_id: v for v in await Valoracion.filter(ticket_id__in=ids)}
    vistas = {t.id: TicketVista(t, valoracion=valoraciones.get(t.id)) for t in tickets}
    por_respuesta: dict[int, list[Adjunto]] = {}
    for adjunto in adjuntos:
        respuesta_id = adjunto.respuesta_id
        if respuesta_id is None:
            # Never a null ticket_id: the query filtered on ticket_id__in=ids.
            vistas[cast("int", adjunto.ticket_id)].adjuntos.append(adjunto)
        else:
            por_respuesta.setdefault(respuesta_id, []).append(adjunto)
    if con_respuestas:
        qs = Respuesta.filter(ticket_id__in=ids)
        if para is not None:
            qs = visible_replies(para, qs)
        respuestas = await qs.select_related("autor").order_by("id")
        for respuesta in respuestas:
            vistas[respuesta.ticket_id].respuestas.append(
                RespuestaVista(respuesta, por_respuesta.get(respuesta.id, []))
            )
    if con_etiquetas:
        for ticket_id, nombres in (await etiquetas_de(list(vistas))).items():
            vistas[ticket_id].etiquetas = nombres
    return [vistas[i] for i in ids if i in vistas]


async def etiquetas_de(ids: Sequence[int]) -> dict[int, list[str]]:
    """The tag names of tickets ``ids`` (sorted by key), in one query; tickets without tags
    are absent."""
    return await tags.nombres_de(ENLACE_ETIQUETAS, ids)


async def adjuntos_de(ticket_id: int) -> list[Adjunto]:
    """The files of the ticket itself (not of its replies), oldest first."""
    return list(await Adjunto.filter(ticket_id=ticket_id, respuesta_id=None).order_by("id"))


async def cargar_respuesta(respuesta_id: int) -> RespuestaVista:
    """One reply's view (author and attachments), in two queries."""
    respuesta = await Respuesta.filter(id=respuesta_id).select_related("autor").first()
    if respuesta is None:
        raise NotFound()
    adjuntos = await Adjunto.filter(respuesta_id=respuesta_id).order_by("id")
    return RespuestaVista(respuesta, list(adjuntos))


async def historial(
    ticket_id: int, desde_id: int | None, limite: int, para: Usuario | None = None
) -> list[Respuesta]:
    """A ticket's replies (both channels), oldest first, with ``autor`` loaded.

    With ``desde_id``, only those with ``id > desde_id`` (a reconnecting chat replays nothing
    twice); in either case at most the last ``limite`` of them. ``para``: the user they are
    shown to (a customer's never include internal notes); ``None``: all of them.
    """
    if limite <= 0 or (desde_id is not None and desde_id >= MAX_ID):
        return []
    qs = Respuesta.filter(ticket_id=ticket_id)
    if para is not None:
        qs = visible_replies(para, qs)
    if desde_id is not None and desde_id > 0:
        qs = qs.filter(id__gt=desde_id)
    ultimas = await qs.order_by("-id").limit(limite).select_related("autor")
    return list(reversed(ultimas))


# --- lists -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filtros:
    """The filters of the ticket lists; ``None`` means "no filter".

    ``creado_desde`` is inclusive and ``creado_antes`` exclusive (a whole day ``D`` is
    ``[D 00:00, D+1 00:00)`` in UTC). ``q`` is a search (:mod:`plugins.tickets.busqueda`):
    qualifiers (``estado:abierto``, ``#TK-000123``…) and words matched by the full-text index
    (subject, description, replies, and internal notes for agents).
    ``etiqueta``: a tag name (compared by :func:`core.tags.clave`).
    """

    estado: Estado | None = None
    categoria: Categoria | None = None
    prioridad: Prioridad | None = None
    creado_desde: datetime | None = None
    creado_antes: datetime | None = None
    q: str | None = None
    cliente_id: int | None = None
    agente_asignado_id: int | None = None
    nivel_escalamiento: int | None = None
    equipo_id: int | None = None
    etiqueta: str | None = None


def filtrar(
    usuario: Usuario, filtros: Filtros, *, propios: bool = False, texto: bool = True
) -> QuerySet[Ticket]:
    """The tickets ``usuario`` may see, filtered; ``propios`` keeps only the caller's own.

    ``texto=False`` applies ``q``'s qualifiers but not its words (the ranked search joins the
    index itself: :func:`plugins.tickets.busqueda.pagina`). A bad qualifier is a 400.
    """
    qs = (
        Ticket.filter(cliente_id=usuario.id)
        if propios
        else visible_to(usuario, Ticket.all(), **CAMPOS_VISIBILIDAD)
    )
    exactos = {
        "estado": filtros.estado,
        "categoria": filtros.categoria,
        "prioridad": filtros.prioridad,
        "cliente_id": filtros.cliente_id,
        "agente_asignado_id": filtros.agente_asignado_id,
        "nivel_escalamiento": filtros.nivel_escalamiento,
        "equipo_id": filtros.equipo_id,
    }
    qs = qs.filter(**{k: v for k, v in exactos.items() if v is not None})
    if filtros.etiqueta is not None:
        # A join through the link table (unique per ticket and tag: no duplicate rows), served
        # by the tag's key and the table's (etiqueta_id, ticket_id) key.
        qs = qs.filter(etiquetas__clave=tags.clave(filtros.etiqueta))
    if filtros.creado_desde is not None:
        qs = qs.filter(fecha_creacion__gte=filtros.creado_desde)
    if filtros.creado_antes is not None:
        qs = qs.filter(fecha_creacion__lt=filtros.creado_antes)
    if filtros.q:
        consulta = busqueda.interpretar(filtros.q, usuario)
        qs = consulta.calificar(qs)
        if consulta.terminos and texto:
            qs = qs.filter(busqueda.condicion(usuario, consulta.terminos))
    return qs


def _rango(campo: str, rangos: Mapping[Any, int]) -> Case:
    """``CASE campo WHEN … THEN rank END``: the ranks are SQL literals, not parameters, because
    PostgreSQL types untyped ``THEN`` parameters as text (then an int is refused)."""
    # tortoise annotates then/default as str | F | CombinedExpression | Function, but its code
    # passes any pypika Term (RawSQL is one) through unchanged; none of the annotated types
    # writes an SQL literal (a str becomes a text value), so there is no typed alternative.
    whens = [
        When(**{campo: valor}, then=RawSQL(str(int(r))))  # type: ignore[arg-type]  # a Term works
        for valor, r in rangos.items()
    ]
    return Case(*whens, default=RawSQL("0"))  # type: ignore[arg-type]  # a Term works


def ordenar(qs: QuerySet[Ticket], ordering: Sequence[str] = ()) -> QuerySet[Ticket]:
    """Order by ``ordering`` (names of :data:`ORDENES`, ``-`` for descending), newest first by
    default; the id always breaks ties so that pages never overlap."""
    terms: list[str] = []
    for term in ordering or ("-fecha_creacion",):
        desc = term.startswith("-")
        name = term.lstrip("-")
        if name not in ORDENES:
            raise BadRequest(
                "Datos inválidos.", errors={"ordering": [f"Orden desconocido: {term}"]}
            )
        if name == "prioridad":
            qs = qs.annotate(orden_prioridad=_rango("prioridad", _RANGO_PRIORIDAD))
            name = "orden_prioridad"
        elif name == "estado":
            qs = qs.annotate(orden_estado=_rango("estado", _RANGO_ESTADO))
            name = "orden_estado"
        elif name == "numero":
            name = "id"  # TK-000123 is the id; sorting the text breaks past a million
        terms.append(f"-{name}" if desc else name)
    last = terms[-1].lstrip("-")
    if last != "id":
        terms.append("-id" if terms[0].startswith("-") else "id")
    return qs.order_by(*terms)


# --- writing -----------------------------------------------------------------------------------


async def guardar_adjuntos(
    usuario: Usuario, archivos: Iterable[Upload], cuota: Cuota | None = None
) -> list[Adjunto]:
    """Record files just stored (``POST /adjuntos/``), unattached and owned by ``usuario``.

    Their ids can then be passed to :func:`crear_ticket` or :func:`responder` by the same user.
    Over ``cuota`` nothing is recorded (429, see :mod:`plugins.tickets.cuota`).
    """
    async with in_transaction() as conn:
        adjuntos = [
            await Adjunto.create(
                clave=a.key,
                nombre=a.nombre,
                tipo=a.tipo,
                tamano=a.tamano,
                subido_por=usuario,
                using_db=conn,
            )
            for a in archivos
        ]
        await comprobar_cuota(conn, usuario.id, cuota, [a.id for a in adjuntos])
    return adjuntos


async def _vincular_adjuntos(
    conn: BaseDBAsyncClient | None,
    usuario: Usuario,
    adjuntos: Iterable[int | Upload],
    ticket_id: int,
    respuesta_id: int | None = None,
    cuota: Cuota | None = None,
) -> None:
    """Attach previously uploaded files (ids) and fresh uploads to a ticket or reply.

    An id is accepted only if ``usuario`` uploaded it and it is not attached anywhere yet;
    otherwise a 400 listing every refused id. The claim is a conditional update, so two
    requests can never attach the same file — nor one the orphan sweep is deleting
    (:mod:`plugins.tickets.limpieza`): either the attach wins, or the id is refused. Fresh
    uploads count against ``cuota`` (429 past it).
    """
    items = list(adjuntos)
    ids = sorted({a for a in items if isinstance(a, int)})
    if ids:
        libres = Adjunto.filter(
            id__in=ids, subido_por_id=usuario.id, ticket_id=None, respuesta_id=None
        ).using_db(conn)
        disponibles = set(await libres.values_list("id", flat=True))
        rechazados = [i for i in ids if i not in disponibles]
        if not rechazados:
            tomados = await libres.update(ticket_id=ticket_id, respuesta_id=respuesta_id)
            if tomados != len(ids):  # another request claimed one in between
                rechazados = ids
        if rechazados:
            raise BadRequest(
                "Datos inválidos.",
                errors={
                    "archivos_adjuntos": [
                        "Adjuntos inexistentes, ajenos o ya adjuntados: "
                        + ", ".join(str(i) for i in rechazados)
                    ]
                },
            )
    nuevos: list[int] = []
    for upload in items:
        if isinstance(upload, Upload):
            adjunto = await Adjunto.create(
                clave=upload.key,
                nombre=upload.nombre,
                tipo=upload.tipo,
                tamano=upload.tamano,
                subido_por_id=usuario.id,
                ticket_id=ticket_id,
                respuesta_id=respuesta_id,
                using_db=conn,
            )
            nuevos.append(adjunto.id)
    if nuevos:
        assert conn is not None  # fresh uploads are always recorded inside a unit of work
        await comprobar_cuota(conn, usuario.id, cuota, nuevos)


async def _bloquear(conn: BaseDBAsyncClient | None, ticket_id: int) -> Ticket:
    """The ticket's current row, locked until the transaction ends (404 if it is gone).

    Hand-written (``SELECT … FOR UPDATE``; SQLite serialises writers anyway and has no such
    clause): every reply and change runs it, and the ORM's query building cost more than the
    query.
    """
    conn = conn or Ticket._meta.db
    (marca,) = placeholders(conn, 1)
    bloqueo = "" if conn.capabilities.dialect == "sqlite" else " FOR UPDATE"
    filas = await conn.execute_query_dict(
        f'SELECT {_columnas_ticket()} FROM "{Ticket._meta.db_table}" WHERE "id" = {marca}{bloqueo}',
        [ticket_id],
    )
    if not filas:
        raise NotFound()
    return Ticket._init_from_db(**filas[0])


@functools.cache
def _columnas_ticket() -> str:
    """Every column of a ticket's row, as :func:`_bloquear` reads them (asked once the ORM is
    set up: the foreign keys' columns are only known then)."""
    return ", ".join(f'"{c}"' for c in sorted(Ticket._meta.db_fields))


#: The columns of a new reply (all but ``id``), in the order :func:`_guardar_respuesta` writes.
_COLUMNAS_RESPUESTA: Final = (
    "ticket_id", "autor_id", "mensaje", "canal", "interna", "fecha_creacion",
)  # fmt: skip


async def _guardar_respuesta(
    conn: BaseDBAsyncClient | None, respuesta: Respuesta, ticket_id: int, cambios: dict[str, Any]
) -> int:
    """Insert ``respuesta`` and apply ``cambios`` to its ticket (none: only the insert), in
    one hand-off to the database (:func:`core.db.ejecutar_juntas`); the reply's new id.

    Hand-written: the ORM's ``create`` and ``update`` built a query each (pypika) and were a
    round trip each, on every reply. Values go through the fields' own ``to_db_value``, so
    the rows are what the ORM would have written.
    """
    conn = conn or Respuesta._meta.db
    campos = Respuesta._meta.fields_map
    # The two foreign keys' ids are stored as they are (ints); the rest through their field.
    valores = [
        getattr(respuesta, c)
        if c.endswith("_id")
        else campos[c].to_db_value(getattr(respuesta, c), respuesta)
        for c in _COLUMNAS_RESPUESTA
    ]
    columnas = ", ".join(f'"{c}"' for c in _COLUMNAS_RESPUESTA)
    marcas = ", ".join(placeholders(conn, len(valores)))
    sentencias: list[tuple[str, list[Any]]] = [
        (
            f'INSERT INTO "{Respuesta._meta.db_table}" ({columnas}) VALUES ({marcas}) '
            'RETURNING "id"',
            valores,
        )
    ]
    if cambios:
        de_ticket = Ticket._meta.fields_map
        nombres = list(cambios)
        marcas_t = placeholders(conn, len(nombres) + 1)
        asignaciones = ", ".join(
            f'"{de_ticket[n].source_field or n}" = {m}'
            for n, m in zip(nombres, marcas_t, strict=False)
        )
        sentencias.append(
            (
                f'UPDATE "{Ticket._meta.db_table}" SET {asignaciones} WHERE "id" = {marcas_t[-1]}',
                [*(de_ticket[n].to_db_value(cambios[n], Ticket) for n in nombres), ticket_id],
            )
        )
    filas = await ejecutar_juntas(conn, sentencias)
    return int(filas[0][0][0])


#: The columns :func:`_insertar_ticket` writes besides ``id`` and ``numero``.
_COLUMNAS_NUEVO: Final = (
    "asunto", "descripcion", "categoria", "prioridad", "estado", "cliente_id",
    "agente_asignado_id", "reserva_relacionada", "nivel_escalamiento",
    "primera_respuesta_agente", "segundos_primera_respuesta", "esperando_desde",
    "fecha_creacion", "fecha_actualizacion",
)  # fmt: skip


def _sql_insertar(conn: BaseDBAsyncClient) -> str:
    """``INSERT`` of one ticket whose id and ``TK-…`` number the database assigns together,
    routed to its team in the same statement.

    The last parameter is the category again: ``equipo_id`` is the routing sub-select of
    :func:`core.auth.equipos.sql_team_for_category`, so routing costs no round trip and sees
    the teams as the creating transaction does. ``RETURNING`` gives the team's name too.

    SQLite runs one writer at a time, so the next id is computed as ``AUTOINCREMENT`` does
    (past the largest id ever handed out); PostgreSQL takes it from the id sequence.
    """
    tabla = Ticket._meta.db_table
    todas = placeholders(conn, len(_COLUMNAS_NUEVO) + 1)
    marcas = ", ".join([*todas[:-1], sql_team_for_category(conn, todas[-1])])
    columnas = ", ".join(f'"{c}"' for c in ("id", "numero", *_COLUMNAS_NUEVO, "equipo_id"))
    equipos = Equipo._meta.db_table
    devuelve = (
        f'RETURNING id, equipo_id, (SELECT q.nombre FROM "{equipos}" q '
        f'WHERE q.id = "{tabla}".equipo_id) AS equipo_nombre'
    )
    if conn.capabilities.dialect == "sqlite":
        return (
            f'INSERT INTO "{tabla}" ({columnas}) '
            f"SELECT n.id, 'TK-' || printf('%06d', n.id), {marcas} FROM (SELECT MAX("
            f"COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{tabla}'), 0), "
            f'COALESCE((SELECT MAX(id) FROM "{tabla}"), 0)) + 1 AS id) AS n {devuelve}'
        )
    return (
        f"WITH n AS (SELECT nextval(pg_get_serial_sequence('\"{tabla}\"', 'id')) AS id) "
        f'INSERT INTO "{tabla}" ({columnas}) '
        "SELECT n.id, 'TK-' || CASE WHEN n.id < 1000000 THEN lpad(n.id::text, 6, '0') "
        f"ELSE n.id::text END, {marcas} FROM n {devuelve}"
    )


async def _insertar_ticket(conn: BaseDBAsyncClient, **valores: Any) -> Ticket:
    """Insert a ticket in one statement (number included: see :func:`formato_numero`)."""
    campos = Ticket._meta.fields_map
    parametros = [
        valores[c] if c.endswith("_id") else campos[c].to_db_value(valores[c], Ticket)
        for c in _COLUMNAS_NUEVO
    ]
    parametros.append(str(valores["categoria"]))  # the routing sub-select's category
    filas = await conn.execute_query_dict(_sql_insertar(conn), parametros)
    fila = filas[0]
    ticket = Ticket(
        id=fila["id"], numero=formato_numero(fila["id"]), equipo_id=fila["equipo_id"], **valores
    )
    # The answer shows the team: the name came back with the row (no query to load it).
    ticket.equipo = (
        None
        if fila["equipo_id"] is None
        else Equipo(id=fila["equipo_id"], nombre=fila["equipo_nombre"])
    )
    ticket._saved_in_db = True
    return ticket


async def crear_ticket(
    bus: EventBus,
    cliente: Usuario,
    *,
    asunto: str,
    descripcion: str,
    categoria: Categoria,
    prioridad: Prioridad = Prioridad.MEDIA,
    reserva_relacionada: int | None = None,
    adjuntos: Iterable[int | Upload] = (),
    cuota: Cuota | None = None,
    canal: str = HistoryCanal.API,
) -> Ticket:
    """Open a ticket for ``cliente``: ABIERTO, waiting clock running; emits ``TicketCreado``
    (``canal``: where it came from, a :class:`core.history.Canal` value).

    ``adjuntos``: ids of the customer's unattached uploads and/or files just stored (the
    latter count against ``cuota``). The
    number ``TK-…`` derives from the id, assigned by the database in the same ``INSERT``, so
    it is unique however many tickets are created at once. ``reserva_relacionada`` is stored
    as given; validating it (hook ``validate_reserva``) is the caller's job.

    With no files to attach, no enclosing unit of work and no ``in_transaction`` listener of
    ``TicketCreado`` (nothing that could veto it), that ``INSERT`` is the whole work: it runs
    on its own, without ``BEGIN``/``COMMIT`` round trips — the writes of SQLite are
    serialised, and every round trip inside a transaction holds everyone else's queries up.
    (The tickets plugin's own history listener, :mod:`plugins.tickets.historial`, listens in
    the transaction, so in an app the creation always takes one: its entry must commit or roll
    back with the ticket. Without it, a bare bus, the single ``INSERT`` remains.)
    """
    ahora = _ahora()
    valores: dict[str, Any] = {
        "asunto": asunto,
        "descripcion": descripcion,
        "categoria": Categoria(categoria),
        "prioridad": Prioridad(prioridad),
        "estado": Estado.ABIERTO,
        "cliente_id": cliente.id,
        "agente_asignado_id": None,
        "reserva_relacionada": reserva_relacionada,
        "nivel_escalamiento": 0,
        "primera_respuesta_agente": None,
        "segundos_primera_respuesta": None,
        "esperando_desde": ahora,
        "fecha_creacion": ahora,
        "fecha_actualizacion": ahora,
    }
    archivos = list(adjuntos)
    if not archivos and not in_unit_of_work() and not bus.listens(TicketCreado, "in_transaction"):
        ticket = await _insertar_ticket(connections.get("default"), **valores)
        await bus.publish(_ticket_creado(ticket, cliente, canal))
        return ticket
    async with UnitOfWork(bus) as uow:
        conn = uow.connection
        assert conn is not None
        ticket = await _insertar_ticket(conn, **valores)
        await _vincular_adjuntos(conn, cliente, archivos, ticket.id, cuota=cuota)
        await uow.emit(_ticket_creado(ticket, cliente, canal))
    return ticket


def _ticket_creado(ticket: Ticket, cliente: Usuario, canal: str) -> TicketCreado:
    """The event of a new ticket, with what its listeners need (none reads the row again)."""
    return TicketCreado(
        ticket_id=ticket.id,
        cliente_id=cliente.id,
        canal=canal,
        numero=ticket.numero,
        asunto=ticket.asunto,
        prioridad=Prioridad(ticket.prioridad).value,
        equipo_id=ticket.equipo_id,
        cliente_nombre=cliente.nombre_visible,
    )


_CAMPOS_EDITABLES: Final = frozenset(
    {
        "estado",
        "prioridad",
        "categoria",
        "agente_asignado",
        "equipo",
        "etiquetas",
        "etiquetas_agregar",
        "etiquetas_quitar",
    }
)

#: The link table of tickets' tags (:mod:`core.tags`).
ENLACE_ETIQUETAS: Final = tags.Enlace("tickets_ticket_etiqueta", "ticket_id")


async def actualizar(
    bus: EventBus, ticket: Ticket, usuario: Usuario, cambios: Mapping[str, Any]
) -> Ticket:
    """Apply a PATCH by ``usuario`` to a ticket they can see; emits ``TicketActualizado``.

    ``cambios`` holds only the fields sent (``agente_asignado``: a user id or ``None``;
    ``equipo``: a team id or ``None``). Agents may change every editable field; the owner may
    only set ``estado`` to CERRADO (else 403). ``agente_asignado`` must be an active
    AGENTE/ADMIN (else 400) and, on a ticket with a team, a member of that team (else 400
    naming it); ``equipo`` must be an active team (else 400). Moving the ticket to another team
    unassigns it when its agent is no member of the new team (the hand-over to that team),
    unless the same PATCH names a member. A change of ``categoria`` leaves the team as it is:
    routing applies to new tickets only. Illegal moves are 409. Returns ``ticket`` updated in
    place.

    Tags (agents only): ``etiquetas`` replaces the whole set; ``etiquetas_agregar`` and
    ``etiquetas_quitar`` (lists of names; bulk actions and macros) add and remove. New names
    create the tag; names compare by :func:`core.tags.clave`. The history gets one
    ``etiquetas`` entry ``[before, after]`` (sorted names).
    """
    desconocidos = set(cambios) - _CAMPOS_EDITABLES
    if desconocidos:
        raise BadRequest(
            "Datos inválidos.", errors={c: [N_("Campo no editable.")] for c in sorted(desconocidos)}
        )
    if not usuario.es_agente:
        if ticket.cliente_id != usuario.id:
            raise NotFound()
        if cambios and (set(cambios) != {"estado"} or cambios["estado"] != Estado.CERRADO):
            raise Forbidden("El cliente solo puede cerrar su ticket (estado CERRADO).")
    agente_id = cambios.get("agente_asignado")
    if (
        agente_id is not None
        and not await Usuario.filter(
            id=agente_id, activo=True, rol__in=[Rol.AGENTE, Rol.ADMIN]
        ).exists()
    ):
        raise BadRequest(
            "Datos inválidos.",
            errors={"agente_asignado": [f"El usuario {agente_id} no es un agente activo."]},
        )
    for campo in ("etiquetas", "etiquetas_agregar", "etiquetas_quitar"):
        if campo in cambios:
            tags.validar(cambios[campo], campo)  # a 400 before any lock is taken
    equipo_id = cambios.get("equipo")
    equipo = None
    if equipo_id is not None:
        equipo = await Equipo.filter(id=equipo_id, activo=True).first()
        if equipo is None:
            raise BadRequest(
                "Datos inválidos.",
                errors={"equipo": [f"El equipo {equipo_id} no existe o está inactivo."]},
            )
    async with UnitOfWork(bus) as uow:
        conn = uow.connection
        actual = await _bloquear(conn, ticket.id)
        updates: dict[str, Any] = {}
        diff: dict[str, Any] = {}
        await _comprobar_equipo(actual, cambios, equipo, updates, diff)
        if "estado" in cambios and cambios["estado"] != actual.estado:
            nuevo = Estado(cambios["estado"])
            if not puede_transitar(actual.estado, nuevo):
                raise Conflict(
                    _("No se puede pasar un ticket de {antes} a {despues}.").format(
                        antes=labels.value_label("estado", actual.estado.value),
                        despues=labels.value_label("estado", nuevo.value),
                    )
                )
            updates["estado"] = nuevo
            diff["estado"] = [actual.estado.value, nuevo.value]
            if nuevo in (Estado.RESUELTO, Estado.CERRADO):
                updates["esperando_desde"] = None
        for campo, tipo in (("prioridad", Prioridad), ("categoria", Categoria)):
            if campo in cambios and cambios[campo] != getattr(actual, campo):
                updates[campo] = tipo(cambios[campo])
                diff[campo] = [getattr(actual, campo).value, updates[campo].value]
        anterior = actual.agente_asignado_id
        if "agente_asignado" in cambios and agente_id != anterior:
            updates["agente_asignado_id"] = agente_id
            diff["agente_asignado"] = [anterior, agente_id]
        elif "agente_asignado_id" in updates:  # unassigned by the move to another team
            diff["agente_asignado"] = [anterior, None]
        if {"etiquetas", "etiquetas_agregar", "etiquetas_quitar"} & set(cambios):
            etiquetas = await tags.fijar(
                cast("BaseDBAsyncClient", conn),
                ENLACE_ETIQUETAS,
                ticket.id,
                poner=cambios.get("etiquetas"),
                agregar=cambios.get("etiquetas_agregar", ()),
                quitar=cambios.get("etiquetas_quitar", ()),
            )
            if etiquetas is not None:
                diff["etiquetas"] = list(etiquetas)
        if updates or diff:
            updates["fecha_actualizacion"] = _ahora()
            await Ticket.filter(id=ticket.id).using_db(conn).update(**updates)
            await uow.emit(
                TicketActualizado(
                    ticket_id=ticket.id, cambios=diff, actor_id=usuario.id, canal=HistoryCanal.API
                )
            )
    for campo, valor in updates.items():
        setattr(ticket, campo, valor)
    return ticket


def _canal_de_historial(canal: Canal | str) -> str:
    """The history's channel of a change a reply made: the reply's own (``TICKET``, the REST
    ``/responder/``, is ``API``)."""
    valor = Canal(canal)
    return HistoryCanal.API.value if valor == Canal.TICKET else HistoryCanal(valor.value).value


async def _comprobar_equipo(
    actual: Ticket,
    cambios: Mapping[str, Any],
    equipo: Equipo | None,
    updates: dict[str, Any],
    diff: dict[str, Any],
) -> None:
    """The team part of a PATCH, on the locked row ``actual``: a new team (``equipo``, checked
    active) goes into ``updates``/``diff``; then the assignee the ticket will have must be a
    member of the team it will have (400 naming the team), except when only the team moved,
    which unassigns an agent who is no member of the new team."""
    equipo_id = cambios.get("equipo", actual.equipo_id)
    if "equipo" in cambios and equipo_id != actual.equipo_id:
        updates["equipo_id"] = equipo_id
        diff["equipo"] = [actual.equipo_id, equipo_id]
    if equipo_id is None:
        return
    agente_id = cambios.get("agente_asignado", actual.agente_asignado_id)
    if agente_id is None or await es_miembro(agente_id, equipo_id):
        return
    if "agente_asignado" not in cambios:
        if "equipo_id" in updates:
            updates["agente_asignado_id"] = None
        return
    if equipo is None:
        equipo = await Equipo.filter(id=equipo_id).first()
    if equipo is None or not equipo.activo:
        return  # an inactive team has no members to choose from: it constrains nobody
    nombre = equipo.nombre
    raise BadRequest(
        "Datos inválidos.",
        errors={
            "agente_asignado": [f"El usuario {agente_id} no es miembro del equipo «{nombre}»."]
        },
    )


async def responder(
    bus: EventBus,
    ticket: Ticket | int,
    autor: Usuario,
    mensaje: str,
    canal: Canal = Canal.TICKET,
    adjuntos: Iterable[int | Upload] = (),
    cuota: Cuota | None = None,
    *,
    interna: bool = False,
    ultima_respuesta_id: int | None = None,
    forzar: bool = False,
) -> Respuesta:
    """Store a reply and apply the state machine in one transaction.

    ``ticket`` must be visible to ``autor`` (see :func:`obtener_visible`); it is updated in
    place. Or its id: then visibility is checked on the row the reply locks (the same rule,
    a 404 otherwise), which saves reading the ticket twice — what ``/responder/`` does.
    A blank ``mensaje`` is a 400, a CERRADO ticket a 409. An agent's reply records the
    first agent answer, moves ABIERTO → EN_PROGRESO and stops the waiting clock; a customer's
    reply restarts the clock and reopens RESUELTO → EN_PROGRESO. ``adjuntos``: ids of the
    author's unattached uploads and/or files just stored (the latter count against
    ``cuota``). Emits ``RespuestaCreada`` and, when
    the state changed, ``TicketActualizado``. The returned reply has ``autor`` set.

    ``interna``: an internal note, staff only (a customer's is a 403). A note is part of the
    conversation but not of the ticket's life: it changes no field of the ticket (no state
    move, no escalation clock, no first answer, not even ``fecha_actualizacion``, which the
    customer sees), so it emits ``RespuestaCreada(interna=True)`` and nothing else.

    ``ultima_respuesta_id``: the newest reply the author's page had loaded; when a newer public
    reply by someone else exists the reply is refused (:class:`RespuestaDesactualizada`, 409)
    unless ``forzar``. ``None`` checks nothing, and neither does a note (it tells the customer
    nothing, so it cannot contradict what they were just told).
    """
    if interna and not can_see_notes(autor):
        raise Forbidden("Solo los agentes pueden escribir notas internas.")
    if not mensaje or not mensaje.strip():
        raise BadRequest("Datos inválidos.", errors={"mensaje": [N_("El mensaje está vacío.")]})
    ticket_id = ticket if isinstance(ticket, int) else ticket.id
    async with UnitOfWork(bus) as uow:
        conn = uow.connection
        actual = await _bloquear(conn, ticket_id)
        if isinstance(ticket, int):
            await visible_in_teams_or_404(autor, actual, **CAMPOS_VISIBILIDAD)
        if actual.estado == Estado.CERRADO:
            raise Conflict("El ticket está cerrado: no admite respuestas.")
        if ultima_respuesta_id is not None and not forzar and not interna:
            # Under the ticket's lock: two agents answering at once cannot both pass.
            await _comprobar_vigente(conn, ticket_id, autor.id, ultima_respuesta_id)
        ahora = _ahora()
        updates: dict[str, Any] = {} if interna else {"fecha_actualizacion": ahora}
        if interna:
            pass  # a note touches no field of the ticket (see the docstring)
        elif autor.es_agente:
            if actual.primera_respuesta_agente is None:
                updates["primera_respuesta_agente"] = ahora
                updates["segundos_primera_respuesta"] = max(
                    0, int((ahora - actual.fecha_creacion).total_seconds())
                )
            if actual.estado == Estado.ABIERTO:
                updates["estado"] = Estado.EN_PROGRESO
            updates["esperando_desde"] = None
        else:
            if actual.esperando_desde is None:
                updates["esperando_desde"] = ahora
            if actual.estado == Estado.RESUELTO:
                updates["estado"] = Estado.EN_PROGRESO
        respuesta = Respuesta(
            ticket_id=ticket_id,
            autor=autor,
            mensaje=mensaje,
            canal=canal,
            interna=interna,
            fecha_creacion=ahora,
        )
        # The reply's row and the ticket's change in one hand-off (nothing between them needs
        # the other's result); the files, which need the reply's id, after it.
        respuesta.id = await _guardar_respuesta(conn, respuesta, ticket_id, updates)
        respuesta._saved_in_db = True  # a later save() updates it, as after create()
        await _vincular_adjuntos(conn, autor, adjuntos, ticket_id, respuesta.id, cuota)
        await uow.emit(
            RespuestaCreada(
                ticket_id=ticket_id,
                respuesta_id=respuesta.id,
                autor_id=autor.id,
                canal=Canal(canal).value,
                # What the listeners of every reply need, so that none reads it again.
                cliente_id=actual.cliente_id,
                agente_asignado_id=actual.agente_asignado_id,
                numero=actual.numero,
                asunto=actual.asunto,
                estado=Estado(updates.get("estado", actual.estado)).value,
                autor_rol=Rol(autor.rol).value,
                autor_nombre=autor.nombre_visible,
                mensaje=mensaje,
                interna=interna,
                fecha_creacion=ahora.isoformat(),
            )
        )
        if "estado" in updates:
            await uow.emit(
                TicketActualizado(
                    ticket_id=ticket_id,
                    cambios={"estado": [actual.estado.value, updates["estado"].value]},
                    actor_id=autor.id,
                    canal=_canal_de_historial(canal),
                )
            )
    if not isinstance(ticket, int):
        for campo, valor in updates.items():
            setattr(ticket, campo, valor)
    return respuesta


class RespuestaDesactualizada(Conflict):
    """409: a newer public reply by someone else arrived since the author's page loaded.

    The problem carries the newest one's id as the extension member ``ultima_respuesta_id``.
    """

    def __init__(self, ultima_respuesta_id: int) -> None:
        super().__init__(
            "Hay una respuesta más reciente en el ticket que no ha leído: revísela y envíe "
            "de nuevo con 'forzar' para responder de todos modos."
        )
        self.ultima_respuesta_id = ultima_respuesta_id

    def to_dict(self) -> dict[str, Any]:
        """The problem body with ``ultima_respuesta_id``."""
        return {**super().to_dict(), "ultima_respuesta_id": self.ultima_respuesta_id}


async def _comprobar_vigente(
    conn: BaseDBAsyncClient | None, ticket_id: int, autor_id: int, ultima_respuesta_id: int
) -> None:
    """Raise :class:`RespuestaDesactualizada` when a public reply newer than
    ``ultima_respuesta_id`` by another author exists (internal notes and one's own don't count:
    neither changes what the customer has been told)."""
    ids = (
        await Respuesta.filter(ticket_id=ticket_id, id__gt=ultima_respuesta_id, interna=False)
        .exclude(autor_id=autor_id)
        .using_db(conn)
        .order_by("-id")
        .limit(1)
        .values_list("id", flat=True)
    )
    if ids:
        raise RespuestaDesactualizada(cast(int, ids[0]))


async def valorar(
    bus: EventBus, ticket: Ticket, usuario: Usuario, puntuacion: int, comentario: str = ""
) -> Valoracion:
    """The owner rates a RESUELTO or CERRADO ticket (1–5); a new rating replaces the old one.

    Agents get a 403 (only the customer rates), other customers a 404, an open ticket a 409,
    a score outside 1–5 a 400. Emits ``TicketValorado``.
    """
    if ticket.cliente_id != usuario.id:
        if usuario.es_agente:
            raise Forbidden("Solo el cliente del ticket puede valorarlo.")
        raise NotFound()
    if not 1 <= puntuacion <= 5:
        raise BadRequest("Datos inválidos.", errors={"puntuacion": ["Debe estar entre 1 y 5."]})
    async with UnitOfWork(bus) as uow:
        conn = uow.connection
        actual = await _bloquear(conn, ticket.id)  # the lock serialises two ratings at once
        if actual.estado not in (Estado.RESUELTO, Estado.CERRADO):
            raise Conflict("Solo se puede valorar un ticket resuelto o cerrado.")
        valoracion = await Valoracion.filter(ticket_id=ticket.id).using_db(conn).first()
        if valoracion is None:
            valoracion = await Valoracion.create(
                ticket_id=ticket.id, puntuacion=puntuacion, comentario=comentario, using_db=conn
            )
        else:
            valoracion.puntuacion = puntuacion
            valoracion.comentario = comentario
            await valoracion.save(using_db=conn)
        await uow.emit(TicketValorado(ticket_id=ticket.id, puntuacion=puntuacion))
    return valoracion


# --- dashboard -----------------------------------------------------------------------------------


async def estadisticas(desde: datetime) -> dict[str, int | float]:
    """The dashboard numbers of tickets, read from the maintained totals (:mod:`agregados`), so
    they cost the same whatever the number of tickets.

    ``tickets_abiertos``: ABIERTO + EN_PROGRESO. ``tiempo_promedio_respuesta``: mean hours (one
    decimal) from creation to the first agent answer, over tickets created since ``desde``
    that have one. ``satisfaccion_promedio``: CSAT, the percentage (one decimal) of ratings of
    4 or 5. Each is ``0`` when there is nothing to measure.
    """

    def lectura(marcas: Marcas) -> Lectura[tuple[int, tuple[int, int], dict[int, int]]]:
        # Four statements, one hand-off to the read connection (core.db.leer).
        abiertos = yield from agregados.lectura_contar(
            agregados.claves_tickets(estados=ESTADOS_ABIERTOS), marcas
        )
        respuesta = yield from agregados_periodo.lectura_respuesta(desde, marcas)
        puntuaciones = yield from agregados.lectura_valoraciones(marcas)
        return abiertos, respuesta, puntuaciones

    abiertos, (respondidos, segundos), puntuaciones = await leer(lectura)
    total = sum(puntuaciones.values())
    buenas = puntuaciones.get(4, 0) + puntuaciones.get(5, 0)
    return {
        "tickets_abiertos": abiertos,
        "tiempo_promedio_respuesta": (
            round(segundos / respondidos / 3600, 1) if respondidos else 0
        ),
        "satisfaccion_promedio": round(100 * buenas / total, 1) if total else 0,
    }


def claves_del_total(usuario: Usuario, filtros: Filtros) -> list[str] | None:
    """The keys of the maintained totals (:mod:`agregados`) whose sum counts :func:`filtrar`
    (agents, filtered by ``estado``/``categoria``/``prioridad`` at most), or ``None`` when a
    plain ``COUNT`` is needed (a customer's own tickets, other filters, an agent narrowed by
    team visibility: those are served by their indexes)."""
    otros = (
        filtros.creado_desde, filtros.creado_antes, filtros.q, filtros.cliente_id,
        filtros.agente_asignado_id, filtros.nivel_escalamiento, filtros.equipo_id,
        filtros.etiqueta,
    )  # fmt: skip
    # The totals count every ticket: an agent narrowed to their teams gets a real COUNT.
    if not usuario.es_agente or team_limited(usuario) or any(v is not None for v in otros):
        return None

    def uno(valor: Any) -> list[Any] | None:
        return None if valor is None else [valor]

    return agregados.claves_tickets(
        uno(filtros.estado), uno(filtros.categoria), uno(filtros.prioridad)
    )


def contador(usuario: Usuario, filtros: Filtros) -> Callable[[], Awaitable[int]] | None:
    """A fast count of :func:`filtrar` from the maintained totals (see
    :func:`claves_del_total`), or ``None`` when a plain ``COUNT`` is needed."""
    claves = claves_del_total(usuario, filtros)
    if claves is None:
        return None

    async def contar() -> int:
        return await agregados.contar_claves(claves)

    return contar
