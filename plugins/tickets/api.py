"""The public face of ``tickets``: what other plugins (and third-party packages) may use.

Other plugins import from this module and from :mod:`plugins.tickets.events` only — never from
``models``, ``service`` or the rest, which may change at any time (``tests/core/
test_boundaries.py`` fails on such an import). Everything here is stable within Plugin API v1:

- **views** (:class:`TicketVista`, :class:`RespuestaVista`): frozen snapshots of a row, with
  no ORM object inside — what a caller reads cannot write to the database, nor lazily query;
- **enums and constants**: :class:`Estado`, :class:`Prioridad`, :class:`Categoria`,
  :class:`Canal`, :data:`ESTADOS_ABIERTOS`, :func:`formato_numero`;
- **queries**: :func:`obtener_visible`, :func:`obtener`, :func:`leer`, :func:`historial`,
  :func:`cargar_respuesta`, :func:`respuesta_de`, :func:`respuesta_con_ticket`,
  :func:`candidatos` (by :class:`Criterios`, in batches), :func:`contar`, :func:`escalados`,
  :func:`ultimo_id`;
- **commands**: :func:`crear` (a new ticket, validated as the REST route validates it),
  :func:`asignar` (automatic assignment, a conditional update),
  :func:`responder` (a reply, with the state machine), :func:`subir_nivel` (an
  escalation level, inside the caller's unit of work), :func:`fijar_niveles` (bulk synthetic
  data only).

Commands run tickets' own rules (state machine, row lock, events); a caller never updates a
ticket's row itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

from tortoise.functions import Count

from core.auth.guards import can_see_notes
from core.db import placeholders
from core.history import Canal as HistoryCanal
from core.i18n import gettext as _
from core.plugins import await_me_maybe
from plugins.tickets import agregados, service
from plugins.tickets.events import RespuestaCreada, TicketActualizado
from plugins.tickets.models import Canal, Categoria, Estado, Prioridad, Respuesta, Ticket
from plugins.tickets.service import ESTADOS_ABIERTOS, formato_numero

if TYPE_CHECKING:
    from tortoise.queryset import QuerySet

    from core.auth.models import Usuario
    from core.dashboard import Periodo
    from core.events import EventBus, UnitOfWork
    from core.storage import Upload
    from plugins.tickets.tablero import Dias

__all__ = [
    "ESTADOS_ABIERTOS",
    "LOTE",
    "AccionLote",
    "Canal",
    "Categoria",
    "Criterios",
    "Estado",
    "NivelSubido",
    "Prioridad",
    "RespuestaVista",
    "TicketVista",
    "abiertos_por_agente",
    "actualizar",
    "asignar",
    "candidatos",
    "cargar_respuesta",
    "contar",
    "crear",
    "escalados",
    "fijar_niveles",
    "formato_numero",
    "historial",
    "leer",
    "obtener",
    "obtener_visible",
    "responder",
    "respuesta_con_ticket",
    "respuesta_de",
    "subir_nivel",
    "totales_por_dia",
    "ultimo_id",
]

#: Tickets read per query by :func:`candidatos`.
LOTE: Final = 500


class AccionLote(Protocol):
    """A bulk action a plugin contributes (hook ``register_ticket_bulk_actions``).

    Called once per selected ticket, inside a unit of work of its own (one ticket's failure
    rolls back that ticket only), after tickets checked ``usuario`` may see it:
    ``await accion(bus, usuario, ticket_id, valor)``. ``valor`` is the action's value from the
    request body, as sent (the action validates it: a :class:`core.api.errors.Problem` is that
    ticket's result, e.g. a 400 or 409). Changes go through this module's commands
    (:func:`actualizar`, :func:`responder`), so that each ticket gets the same rules, events and
    history as one change by hand.
    """

    async def __call__(self, bus: EventBus, usuario: Usuario, ticket_id: int, valor: Any) -> None:
        """Apply the action to one ticket."""


# --- views -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketVista:
    """A ticket as other plugins see it: its fields at the time it was read, no relations.

    ``esperando_desde``: since when the customer waits for an agent's answer (the escalation
    clock; ``None`` when nobody waits). ``nivel_escalamiento``: the highest level ever reached.
    """

    id: int
    numero: str
    asunto: str
    estado: Estado
    prioridad: Prioridad
    categoria: Categoria
    cliente_id: int
    agente_asignado_id: int | None
    nivel_escalamiento: int
    esperando_desde: datetime | None
    primera_respuesta_agente: datetime | None
    fecha_creacion: datetime
    fecha_actualizacion: datetime
    #: The team the ticket belongs to (``core.auth.equipos``), or ``None``.
    equipo_id: int | None = None

    @classmethod
    def de(cls, ticket: Ticket) -> TicketVista:
        """The view of a row (tickets' own use: callers get views from the functions here)."""
        return cls(
            id=ticket.id,
            numero=ticket.numero,
            asunto=ticket.asunto,
            estado=Estado(ticket.estado),
            prioridad=Prioridad(ticket.prioridad),
            categoria=Categoria(ticket.categoria),
            cliente_id=ticket.cliente_id,
            agente_asignado_id=ticket.agente_asignado_id,
            nivel_escalamiento=ticket.nivel_escalamiento,
            esperando_desde=ticket.esperando_desde,
            primera_respuesta_agente=ticket.primera_respuesta_agente,
            fecha_creacion=ticket.fecha_creacion,
            fecha_actualizacion=ticket.fecha_actualizacion,
            equipo_id=ticket.equipo_id,
        )


@dataclass(frozen=True, slots=True)
class RespuestaVista:
    """One message of a ticket's conversation (either channel), with its author's public data."""

    id: int
    ticket_id: int
    mensaje: str
    canal: Canal
    fecha_creacion: datetime
    autor_id: int
    autor_nombre: str
    #: The author's role as a string (``CLIENTE``, ``AGENTE``, ``ADMIN``).
    autor_rol: str
    #: An internal note: staff only (``core.auth.guards.reply_visible`` decides who sees it).
    interna: bool = False

    @classmethod
    def de(cls, respuesta: Respuesta, autor: Usuario | None = None) -> RespuestaVista:
        """The view of a reply row whose ``autor`` is loaded (or given)."""
        autor = autor or respuesta.autor
        return cls(
            id=respuesta.id,
            ticket_id=respuesta.ticket_id,
            mensaje=respuesta.mensaje,
            canal=Canal(respuesta.canal),
            fecha_creacion=respuesta.fecha_creacion,
            autor_id=autor.id,
            autor_nombre=autor.nombre_visible,
            autor_rol=str(autor.rol),
            interna=bool(respuesta.interna),
        )


# --- reading -----------------------------------------------------------------------------------


async def obtener_visible(usuario: Usuario, ticket_id: int) -> TicketVista:
    """The ticket ``ticket_id`` if ``usuario`` may see it (its owner or an agent; with team
    visibility on, an AGENTE only if :mod:`core.auth.guards` lets them).

    Otherwise a 404 (:class:`~core.api.NotFound`): existence never leaks.
    """
    return TicketVista.de(await service.obtener_visible(usuario, ticket_id))


async def obtener(ticket_id: int) -> TicketVista | None:
    """The ticket ``ticket_id``, or ``None`` — no visibility check: for background work."""
    ticket = await Ticket.get_or_none(id=ticket_id)
    return None if ticket is None else TicketVista.de(ticket)


async def leer(ids: Sequence[int]) -> list[TicketVista]:
    """Tickets ``ids`` in that order (unknown ids skipped), in one query."""
    if not ids:
        return []
    por_id = {t.id: t for t in await Ticket.filter(id__in=list(ids))}
    return [TicketVista.de(por_id[i]) for i in ids if i in por_id]


async def historial(
    ticket_id: int, desde_id: int | None, limite: int, *, para: Usuario | None = None
) -> list[RespuestaVista]:
    """A ticket's messages (both channels), oldest first, in one query.

    With ``desde_id``, only those with ``id > desde_id`` (a reconnecting chat replays nothing
    twice); in either case at most the last ``limite`` of them. ``para``: the user they are
    shown to — a customer's never include internal notes (``core.auth.guards.
    visible_replies``); ``None`` returns every message, notes included (staff, background).
    """
    filas = await service.historial(ticket_id, desde_id, limite, para)
    return [RespuestaVista.de(r) for r in filas]


async def cargar_respuesta(respuesta_id: int) -> RespuestaVista:
    """One message by id (a 404 if it is gone)."""
    return RespuestaVista.de((await service.cargar_respuesta(respuesta_id)).respuesta)


async def respuesta_de(evento: RespuestaCreada) -> RespuestaVista:
    """The reply a ``RespuestaCreada`` announces: built from the event when it carries the
    whole view (every reply :func:`responder` stores does), else loaded (a 404 if it is gone).

    For listeners that run on every reply (the chat's fan-out): the event already holds what
    the view shows, as the reply's transaction committed it, so no query is needed.
    """
    if not (evento.fecha_creacion and evento.numero):
        return await cargar_respuesta(evento.respuesta_id)
    return RespuestaVista(
        id=evento.respuesta_id,
        ticket_id=evento.ticket_id,
        mensaje=evento.mensaje,
        canal=Canal(evento.canal),
        fecha_creacion=datetime.fromisoformat(evento.fecha_creacion),
        autor_id=evento.autor_id,
        autor_nombre=evento.autor_nombre,
        autor_rol=evento.autor_rol,
        interna=evento.interna,
    )


async def respuesta_con_ticket(respuesta_id: int) -> tuple[TicketVista, RespuestaVista] | None:
    """One message and its ticket (``None`` if it is gone) — for listeners of
    ``RespuestaCreada`` that need both (notifications), inside or after its transaction.

    One hand-written join: listeners run on every reply, and building the ORM's
    ``select_related`` query cost more than the query itself.
    """
    from core.auth.models import Usuario  # at run time here: the module imports it for types only

    conn = Respuesta._meta.db
    (marca,) = placeholders(conn, 1)
    tablas = (("r", Respuesta), ("t", Ticket), ("u", Usuario))
    columnas = ", ".join(
        f'{alias}."{c}" AS "{alias}__{c}"'
        for alias, modelo in tablas
        for c in modelo._meta.db_fields
    )
    sql = (
        f'SELECT {columnas} FROM "{Respuesta._meta.db_table}" r '
        f'JOIN "{Ticket._meta.db_table}" t ON t.id = r.ticket_id '
        f'JOIN "{Usuario._meta.db_table}" u ON u.id = r.autor_id WHERE r.id = {marca}'
    )
    filas = await conn.execute_query_dict(sql, [respuesta_id])
    if not filas:
        return None
    fila = filas[0]

    def de(alias: str) -> dict[str, Any]:
        prefijo = f"{alias}__"
        return {k[len(prefijo) :]: v for k, v in fila.items() if k.startswith(prefijo)}

    autor = Usuario._init_from_db(**de("u"))
    respuesta = Respuesta._init_from_db(**de("r"))
    return TicketVista.de(Ticket._init_from_db(**de("t"))), RespuestaVista.de(respuesta, autor)


async def ultimo_id() -> int:
    """The highest ticket id ever assigned (``0`` before the first ticket)."""
    # tortoise types every values_list() as tuples; flat=True returns the bare ids.
    ultimo = cast(
        "list[int]", await Ticket.all().order_by("-id").limit(1).values_list("id", flat=True)
    )
    return ultimo[0] if ultimo else 0


# --- candidate queries -------------------------------------------------------------------------


def _a_tupla(valores: Iterable[Any] | None, tipo: Callable[[Any], Any]) -> tuple[Any, ...] | None:
    return None if valores is None else tuple(dict.fromkeys(tipo(v) for v in valores))


@dataclass(frozen=True)
class Criterios:
    """Which tickets a query selects: every field that is not ``None`` (or ``False``) narrows.

    Each criterion is served by an index of the tickets table, or cheap beside one: ``estados``
    with ``esperando_hasta`` uses ``(estado, esperando_desde)``. Build one and narrow it further
    with :meth:`con` (which never widens it), e.g.
    ``Criterios(prioridades=["ALTA"]).con(sin_agente=True)``.
    """

    #: States (default: the open ones, :data:`ESTADOS_ABIERTOS`).
    estados: tuple[Estado, ...] | None = ESTADOS_ABIERTOS
    prioridades: tuple[Prioridad, ...] | None = None
    categorias: tuple[Categoria, ...] | None = None
    #: Only tickets whose customer waits for an agent (``esperando_desde`` set).
    en_espera: bool = False
    #: Only tickets waiting since this instant or earlier (implies :attr:`en_espera`).
    esperando_hasta: datetime | None = None
    #: Only tickets created at this instant or earlier.
    creado_hasta: datetime | None = None
    #: Only tickets with no assigned agent.
    sin_agente: bool = False
    #: Only tickets of these customers (by username).
    clientes: tuple[str, ...] | None = None
    #: Only tickets at this escalation level or above.
    nivel_minimo: int | None = None
    #: Only tickets assigned to these agents (by id).
    agentes: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        # Accept any iterable of values or enum members; store normalised tuples.
        for nombre, tipo in (
            ("estados", Estado),
            ("prioridades", Prioridad),
            ("categorias", Categoria),
            ("clientes", str),
            ("agentes", int),
        ):
            object.__setattr__(self, nombre, _a_tupla(getattr(self, nombre), tipo))

    def con(self, **mas: Any) -> Criterios:
        """These criteria narrowed by ``mas`` (same names as the fields).

        Sets intersect, upper instants keep the earliest, flags add up and ``nivel_minimo``
        keeps the highest: a subclass's policy can narrow its parent's candidates, never widen.
        """
        actuales = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        nuevo = Criterios(**{**actuales, **mas})  # validated and normalised
        cambios: dict[str, Any] = {}
        for nombre in mas:
            antes, ahora = actuales[nombre], getattr(nuevo, nombre)
            if antes is None or ahora is None:
                cambios[nombre] = antes if ahora is None else ahora
            elif isinstance(antes, tuple):
                cambios[nombre] = tuple(v for v in antes if v in ahora)
            elif isinstance(antes, bool):
                cambios[nombre] = antes or ahora
            elif isinstance(antes, datetime):
                cambios[nombre] = min(antes, ahora)
            else:
                cambios[nombre] = max(antes, ahora)
        return dataclasses.replace(nuevo, **cambios)


def _consulta(criterios: Criterios) -> QuerySet[Ticket]:
    qs = Ticket.all()
    if criterios.estados is not None:
        qs = qs.filter(estado__in=list(criterios.estados))
    if criterios.prioridades is not None:
        qs = qs.filter(prioridad__in=list(criterios.prioridades))
    if criterios.categorias is not None:
        qs = qs.filter(categoria__in=list(criterios.categorias))
    if criterios.esperando_hasta is not None:
        qs = qs.filter(esperando_desde__lte=criterios.esperando_hasta)
    elif criterios.en_espera:
        qs = qs.filter(esperando_desde__not_isnull=True)
    if criterios.creado_hasta is not None:
        qs = qs.filter(fecha_creacion__lte=criterios.creado_hasta)
    if criterios.sin_agente:
        qs = qs.filter(agente_asignado_id=None)
    if criterios.clientes is not None:
        qs = qs.filter(cliente__username__in=list(criterios.clientes))
    if criterios.nivel_minimo is not None:
        qs = qs.filter(nivel_escalamiento__gte=criterios.nivel_minimo)
    if criterios.agentes is not None:
        qs = qs.filter(agente_asignado_id__in=list(criterios.agentes))
    return qs


async def candidatos(criterios: Criterios, lote: int = LOTE) -> AsyncIterator[list[TicketVista]]:
    """The tickets matching ``criterios``, by increasing id, in lists of at most ``lote``.

    One query for the matching ids, then one per batch: a caller never holds more than
    ``lote`` tickets. The ids come first, in no order, so that the database can use the
    criteria's own index (e.g. ``(estado, esperando_desde)``: only the tickets waiting past a
    limit); paging with ``ORDER BY id`` made SQLite walk the whole table by primary key
    instead (1.1 s per pass at a million tickets with nothing due).
    """
    if lote < 1:
        raise ValueError("lote must be >= 1")
    qs = _consulta(criterios)
    ids = sorted(await qs.values_list("id", flat=True))
    for inicio in range(0, len(ids), lote):
        tickets = await qs.filter(id__in=ids[inicio : inicio + lote]).order_by("id")
        if tickets:
            yield [TicketVista.de(t) for t in tickets]


def _claves_del_total(criterios: Criterios) -> list[str] | None:
    """The keys of the maintained totals (:mod:`agregados`) whose sum is :func:`contar` of
    ``criterios``: when they narrow by state, category and priority at most, plus
    ``nivel_minimo=1`` (escalated: the ``e|`` totals). ``None`` otherwise (a ``COUNT``)."""
    otros = dataclasses.replace(criterios, estados=None, prioridades=None, categorias=None)
    if otros not in (Criterios(estados=None), Criterios(estados=None, nivel_minimo=1)):
        return None
    conjuntos = (criterios.estados, criterios.categorias, criterios.prioridades)
    if any(valores == () for valores in conjuntos):
        return None  # matches nothing; claves_tickets would read an empty set as "any"
    estados, categorias, prioridades = conjuntos
    return agregados.claves_tickets(
        estados, categorias, prioridades, escalados=criterios.nivel_minimo == 1
    )


async def contar(criterios: Criterios) -> int:
    """How many tickets match ``criterios``: from the maintained totals when they answer it
    (state, category, priority, escalated — e.g. the dashboard's open escalated tickets, ~10,000
    index entries at a million tickets), else one ``COUNT`` served by the criteria's index."""
    claves = _claves_del_total(criterios)
    if claves is not None:
        return await agregados.contar_claves(claves)
    return await _consulta(criterios).count()


async def abiertos_por_agente(agentes: Sequence[int], *, conn: Any = None) -> dict[int, int]:
    """How many open tickets each of ``agentes`` is assigned (every id present, ``0`` for
    none), in one grouped query on ``conn`` (the caller's transaction, if given) — served by
    the ``(agente_asignado_id, fecha_creacion)`` index."""
    cuentas = dict.fromkeys(agentes, 0)
    if not cuentas:
        return cuentas
    filas = (
        await Ticket.filter(agente_asignado_id__in=list(cuentas), estado__in=list(ESTADOS_ABIERTOS))
        .using_db(conn)
        .group_by("agente_asignado_id")
        .annotate(n=Count("id"))
        .values_list("agente_asignado_id", "n")
    )
    for agente, n in filas:
        cuentas[int(agente)] = int(n)
    return cuentas


async def escalados(limite: int, *, desempate: str | None = None) -> list[TicketVista]:
    """Open tickets with ``nivel_escalamiento > 0``, highest level first, at most ``limite``.

    ``desempate``: an ordering term on a relation the *calling* plugin declared on tickets
    (e.g. escalamiento's ``"estado_escalamiento__fecha"``: oldest latest escalation first),
    then the id. Served by the ``(estado, nivel_escalamiento)`` index.
    """
    orden = ["-nivel_escalamiento", *([desempate] if desempate else []), "id"]
    tickets = await _consulta(Criterios(nivel_minimo=1)).order_by(*orden).limit(limite)
    return [TicketVista.de(t) for t in tickets]


# --- commands ----------------------------------------------------------------------------------


async def crear(
    bus: EventBus,
    cliente: Usuario,
    *,
    asunto: str,
    descripcion: str,
    categoria: Categoria,
    prioridad: Prioridad = Prioridad.MEDIA,
    adjuntos: Sequence[Upload] = (),
    max_archivos: int | None = None,
    canal: str = HistoryCanal.API,
) -> TicketVista:
    """Open a ticket for ``cliente`` (ABIERTO, waiting clock running; emits ``TicketCreado``),
    with the REST route's validations: ``asunto`` 1–200 and ``descripcion`` 1–10000
    characters after trimming, a known ``categoria``/``prioridad`` (a 400 naming the field),
    at most ``max_archivos`` files (a 413). ``adjuntos``: files already stored
    (:class:`core.storage.Upload`), attached in the same transaction. ``canal``: where the
    ticket came from (a :class:`core.history.Canal` value: ``CORREO`` for a mail), for its
    history.

    Inside the caller's unit of work when there is one (its transaction commits or rolls back
    the ticket with the caller's own writes).
    """
    from pydantic import ValidationError

    from core.api.errors import BadRequest, PayloadTooLarge
    from core.api.routing import validation_errors
    from plugins.tickets.schemas import TicketIn

    try:
        datos = TicketIn.model_validate(
            {
                "asunto": asunto,
                "descripcion": descripcion,
                "categoria": categoria,
                "prioridad": prioridad,
            }
        )
    except ValidationError as exc:
        raise BadRequest("Datos inválidos.", errors=validation_errors(exc)) from exc
    if max_archivos is not None and len(adjuntos) > max_archivos:
        raise PayloadTooLarge(
            _("Se admiten como máximo {n} archivos por solicitud.").format(n=max_archivos)
        )
    ticket = await service.crear_ticket(
        bus,
        cliente,
        asunto=datos.asunto,
        descripcion=datos.descripcion,
        categoria=datos.categoria,
        prioridad=datos.prioridad,
        adjuntos=list(adjuntos),
        canal=canal,
    )
    return TicketVista.de(ticket)


async def actualizar(
    bus: EventBus, usuario: Usuario, ticket_id: int, cambios: Mapping[str, Any]
) -> TicketVista:
    """``usuario`` changes fields of ticket ``ticket_id``, as ``PATCH /api/soporte/tickets/{id}/``
    does: the same checks (a 404 unless visible, 400/403/409), one ``TicketActualizado`` with
    the diff, one history entry per field.

    ``cambios``: any of ``estado``, ``prioridad``, ``categoria``, ``agente_asignado`` (a user
    id or ``None``), ``equipo`` (a team id or ``None``), ``etiquetas`` (the whole set of tag
    names), ``etiquetas_agregar`` / ``etiquetas_quitar`` (names to add / remove). Inside the
    caller's unit of work when there is one (a macro replies and changes fields in one
    transaction so).
    """
    ticket = await service.obtener_visible(usuario, ticket_id)
    await service.actualizar(bus, ticket, usuario, cambios)
    return TicketVista.de(ticket)


async def responder(
    bus: EventBus,
    usuario: Usuario,
    ticket_id: int,
    mensaje: str,
    canal: Canal = Canal.TICKET,
    adjuntos: Iterable[int | Upload] = (),
    *,
    interna: bool = False,
) -> RespuestaVista:
    """``usuario`` replies on ticket ``ticket_id``, with tickets' state machine and events.

    A 404 unless ``usuario`` may see the ticket, a 400 for a blank ``mensaje``, a 409 on a
    CERRADO ticket. Emits ``RespuestaCreada`` (and ``TicketActualizado`` when the state
    changed); see :mod:`plugins.tickets.service` for the automatic moves. ``interna``: an
    internal note (agents only, else a 403): no state move, no clock, only ``RespuestaCreada``.
    """
    # Without files (the chat's every message) the id goes on: visibility is checked on the
    # row the reply locks (the same rule and 404), one read of the ticket instead of two.
    # With files, or a note its author may not write, the ticket is checked first, so that a
    # 404 comes before any other answer (as ``/responder/`` does).
    adjuntos = list(adjuntos)
    antes = adjuntos or (interna and not can_see_notes(usuario))
    ticket = await service.obtener_visible(usuario, ticket_id) if antes else ticket_id
    respuesta = await service.responder(
        bus, ticket, usuario, mensaje, canal, adjuntos, interna=interna
    )
    return RespuestaVista.de(respuesta, usuario)


@dataclass(frozen=True)
class NivelSubido:
    """What :func:`subir_nivel` did: the ticket as it was under the lock, and the level."""

    #: The ticket read under its row lock, before the change.
    ticket: TicketVista
    anterior: int
    nivel: int

    @property
    def subido(self) -> bool:
        """Whether ``nivel_escalamiento`` rose (it never goes down)."""
        return self.nivel > self.anterior


async def subir_nivel(
    uow: UnitOfWork,
    ticket_id: int,
    nivel: int,
    *,
    comprobar: Callable[[TicketVista], bool | Awaitable[bool]] | None = None,
    ahora: datetime | None = None,
) -> NivelSubido | None:
    """Raise an open ticket's ``nivel_escalamiento`` to ``nivel``, inside the caller's ``uow``.

    In the caller's transaction: lock the ticket's row (``SELECT … FOR UPDATE`` where the
    database has it; SQLite serialises writers anyway), return ``None`` unless it is open
    (:data:`ESTADOS_ABIERTOS`) and ``comprobar(ticket)`` (sync or async, e.g. "still in the same
    clock period") holds; then raise the level with a conditional update — only if it is
    below ``nivel`` — and emit ``TicketActualizado`` ``{"nivel_escalamiento": [antes,
    nivel]}`` (``canal`` ``SISTEMA``, no actor: the history records it so) into ``uow``.
    The level never goes down: at or above ``nivel`` nothing changes.

    Anything the caller records in the same ``uow`` commits or rolls back with the change; the
    row lock held until then is what lets a caller make "each level exactly once" hold (as
    escalamiento does with its unique history row).
    """
    if nivel < 1:
        raise ValueError("nivel must be >= 1")
    conn = uow.connection
    fila = (
        await Ticket.filter(id=ticket_id, estado__in=list(ESTADOS_ABIERTOS))
        .using_db(conn)
        .select_for_update()
        .first()
    )
    if fila is None:
        return None
    vista = TicketVista.de(fila)
    if comprobar is not None and not await await_me_maybe(comprobar(vista)):
        return None
    anterior = vista.nivel_escalamiento
    if anterior < nivel:
        subidos = (
            await Ticket.filter(id=ticket_id, nivel_escalamiento__lt=nivel)
            .using_db(conn)
            .update(nivel_escalamiento=nivel, fecha_actualizacion=ahora or datetime.now(UTC))
        )
        if not subidos:  # raised meanwhile (only without a row lock): report what is there now
            return NivelSubido(vista, nivel, nivel)
        await uow.emit(
            TicketActualizado(
                ticket_id=ticket_id,
                cambios={"nivel_escalamiento": [anterior, nivel]},
                canal=HistoryCanal.SISTEMA,  # the escalation's own change: no actor
            )
        )
    return NivelSubido(vista, anterior, max(anterior, nivel))


async def asignar(
    app_or_bus: Any,
    ticket_id: int,
    agente_id: int,
    *,
    solo_si_libre: bool,
    anterior: int | None = None,
    canal: str = "SISTEMA",
) -> bool:
    """Assign open ticket ``ticket_id`` to ``agente_id`` on behalf of the system; whether it
    changed. For automatic assignment (the ``asignacion`` plugin's policies), not for people
    (they ``PATCH agente_asignado``, with its checks).

    One conditional ``UPDATE`` in a unit of work — only an open ticket; with ``solo_si_libre``
    only while nobody is assigned (``agente_asignado_id IS NULL``); with ``anterior`` only
    while that agent still is — so that however many processes try at once, one wins and the
    others get ``False``. Emits ``TicketActualizado`` ``{"agente_asignado": [antes, agente]}``
    with ``actor_id=None`` (history and notifications see it). Inside the caller's unit of
    work when there is one (a savepoint: its events wait for the caller's commit).
    ``canal``: where the change came from, recorded in the history (``SISTEMA``).
    """
    from core import keys
    from core.events import UnitOfWork

    bus = app_or_bus[keys.EVENTS] if not hasattr(app_or_bus, "publish") else app_or_bus
    async with UnitOfWork(bus) as uow:
        filtro = Ticket.filter(id=ticket_id, estado__in=list(ESTADOS_ABIERTOS)).using_db(
            uow.connection
        )
        if solo_si_libre:
            antes: int | None = None
            filtro = filtro.filter(agente_asignado_id=None)
        elif anterior is not None:
            antes = anterior
            filtro = filtro.filter(agente_asignado_id=anterior)
        else:
            fila = await filtro.select_for_update().first()
            if fila is None:
                return False
            antes = fila.agente_asignado_id
        if antes == agente_id:
            return False
        cambiados = await filtro.update(
            agente_asignado_id=agente_id, fecha_actualizacion=datetime.now(UTC)
        )
        if not cambiados:
            return False
        await uow.emit(
            TicketActualizado(
                ticket_id=ticket_id, cambios={"agente_asignado": [antes, agente_id]}, canal=canal
            )
        )
    return True


async def fijar_niveles(conn: Any, niveles: Iterable[tuple[int, int]]) -> None:
    """Set ``nivel_escalamiento`` of many tickets at once, ``(nivel, ticket_id)`` pairs, on
    ``conn`` — for bulk synthetic data only (demos, benchmarks): no checks, no events."""
    filas = [[int(nivel), int(ticket_id)] for nivel, ticket_id in niveles]
    if not filas:
        return
    nivel_marca, id_marca = placeholders(conn, 2)
    await conn.execute_many(
        f"UPDATE {Ticket._meta.db_table} SET nivel_escalamiento = {nivel_marca} "
        f"WHERE id = {id_marca}",
        filas,
    )


async def totales_por_dia(usuario: Usuario, periodo: Periodo) -> Dias:
    """The tickets' totals of each day of a dashboard period, within what ``usuario`` may see
    (created, resolved, escalated…: :class:`plugins.tickets.tablero.Dias`), read once per
    request however many plugins ask — for a plugin's own ``dashboard_series``."""
    # Imported here: the dashboard module is loaded only when the dashboard is asked for.
    from plugins.tickets import tablero

    return await tablero.por_dia(usuario, periodo)
