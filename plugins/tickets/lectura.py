"""The hot reads of the tickets API in hand-written SQL: the lists' pages and the detail.

Profiled under load (docs/performance.md), a page of the agents' list spent most of its time
in the ORM — building six queries, one thread hand-off each to aiosqlite, turning rows into
model instances and parsing their datetimes — and then in building and validating pydantic
models only to dump them. Here each read is one :func:`core.db.leer`: its statements (the
count, the page, the page's files and tags; the ticket, its files, replies and tags) run one
after the other in the read connection's thread in one hand-off, and the rows become the
API's JSON directly, in the field order of the response models (``schemas.TicketEnLista``,
``schemas.TicketDetalle``) and with their formats — tests compare the bytes with the models'.

Only what the ORM path would answer the same way is read here; anything else goes the ORM
way (:func:`rapida` says which): searches (``q``), tag filters and orderings other than the
default, and an agent narrowed by team visibility (the guards' sub-select).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from pydantic_core import to_json

from core import tags
from core.auth.guards import (
    can_see,
    can_see_notes,
    owner_scope,
    team_limited,
    visible_in_teams_or_404,
)
from core.auth.models import Equipo, Usuario
from core.db import Lectura, Marcas, leer
from core.storage import Links
from plugins.tickets import agregados, agregados_periodo
from plugins.tickets.models import Adjunto, Respuesta, Ticket, Valoracion
from plugins.tickets.service import (
    CAMPOS_VISIBILIDAD,
    ENLACE_ETIQUETAS,
    Filtros,
    claves_del_total,
)

if TYPE_CHECKING:
    from core.api import PageQuery

#: Signs a stored file's links: ``(clave, nombre, tipo) -> Links`` (download, previews).
Enlace = Callable[[str, str, str], Links]

#: The columns of a ticket row, with its customer, agent, team and rating (in this order).
_COLUMNAS: Final = (
    "t.id, t.numero, t.asunto, t.descripcion, t.categoria, t.prioridad, t.estado, "
    "t.fecha_creacion, t.fecha_actualizacion, t.reserva_relacionada, t.nivel_escalamiento, "
    "t.cliente_id, c.nombre, c.username, t.agente_asignado_id, a.nombre, a.username, "
    "t.equipo_id, e.nombre, v.puntuacion, v.comentario"
)
_JOINS: Final = (
    f'JOIN "{Usuario._meta.db_table}" c ON c.id = t.cliente_id '
    f'LEFT JOIN "{Usuario._meta.db_table}" a ON a.id = t.agente_asignado_id '
    f'LEFT JOIN "{Equipo._meta.db_table}" e ON e.id = t.equipo_id '
    f'LEFT JOIN "{Valoracion._meta.db_table}" v ON v.ticket_id = t.id'
)
_TICKETS: Final = f'"{Ticket._meta.db_table}"'
#: The lists' default order (``service.ordenar`` with no ``ordering``): newest first, the id
#: breaking ties.
_ORDEN: Final = "fecha_creacion DESC, id DESC"
_ORDEN_T: Final = "fecha_creacion DESC, t.id DESC"
_ADJUNTOS: Final = f'"{Adjunto._meta.db_table}"'
#: Positions in a ticket row of the fields the visibility check reads.
_CLIENTE, _AGENTE, _EQUIPO = 11, 14, 17
#: The fields of :class:`Filtros` that are plain comparisons with the column of their name
#: (``service.filtrar``'s ``exactos``).
_IGUALES: Final = (
    "estado",
    "categoria",
    "prioridad",
    "cliente_id",
    "agente_asignado_id",
    "nivel_escalamiento",
    "equipo_id",
)


#: From this ``OFFSET`` on, an unfiltered page finds its place from the per-day and per-hour
#: totals (``agregados_periodo.lectura_posicion``) instead of walking the newer tickets' index
#: entries: below it the walk costs less than the two extra statements (~0.2 ms on SQLite).
SALTO_DESDE: Final = 1_000


def rapida(usuario: Usuario, filtros: Filtros, ordering: Sequence[str] = ()) -> bool:
    """Whether :func:`pagina` answers this list exactly as the ORM path would."""
    return (
        filtros.q is None
        and filtros.etiqueta is None
        and not team_limited(usuario)
        and list(ordering) in ([], ["-fecha_creacion"])
    )


def fecha(valor: Any) -> str:
    """A stored timestamp as the API writes it (``core.api.fields.Timestamp``: ISO 8601 in UTC
    with ``+00:00``); SQLite hands back text, PostgreSQL a datetime. A naive value is UTC, as
    tortoise reads it (``use_tz``, ``timezone="UTC"``)."""
    momento = valor if isinstance(valor, datetime) else datetime.fromisoformat(valor)
    if momento.tzinfo is None:
        momento = momento.replace(tzinfo=UTC)
    return momento.astimezone(UTC).isoformat()


def _persona(id_: int | None, nombre: str | None, username: str | None) -> dict[str, Any] | None:
    # ``Usuario.nombre_visible``: the name, or the username when it is blank.
    return None if id_ is None else {"id": id_, "nombre": nombre or username}


def _ticket(fila: Sequence[Any], adjuntos: list[dict[str, Any]], etiquetas: list[str]) -> dict:
    """A ticket row (:data:`_COLUMNAS`) as the ticket object (``schemas.TicketOut``)."""
    (id_, numero, asunto, descripcion, categoria, prioridad, estado, creado, actualizado,
     reserva, nivel, cliente_id, cliente_nombre, cliente_username, agente_id, agente_nombre,
     agente_username, equipo_id, equipo_nombre, puntuacion, comentario) = fila  # fmt: skip
    return {
        "id": id_,
        "numero": numero,
        "asunto": asunto,
        "descripcion": descripcion,
        "categoria": categoria,
        "prioridad": prioridad,
        "estado": estado,
        "fecha_creacion": fecha(creado),
        "fecha_actualizacion": fecha(actualizado),
        "reserva_relacionada": None if reserva is None else {"id": reserva},
        "cliente": _persona(cliente_id, cliente_nombre, cliente_username),
        "agente_asignado": _persona(agente_id, agente_nombre, agente_username),
        "equipo": None if equipo_id is None else {"id": equipo_id, "nombre": equipo_nombre},
        "nivel_escalamiento": nivel,
        "archivos_adjuntos": adjuntos,
        "valoracion": (
            None if puntuacion is None else {"puntuacion": puntuacion, "comentario": comentario}
        ),
        "etiquetas": etiquetas,
    }


#: The columns of a file row: its owner (ticket or reply) first, then the file.
_ADJUNTO: Final = "id, clave, nombre, tipo, tamano"


def _adjunto(fila: Sequence[Any], url: Enlace) -> dict[str, Any]:
    """A file row (``id, clave, nombre, tipo, tamano``) as ``schemas.AdjuntoOut``."""
    id_, clave, nombre, tipo, tamano = fila
    enlaces = url(clave, nombre, tipo)
    return {
        "id": id_,
        "nombre": nombre,
        "tipo": tipo,
        "tamano": tamano,
        "url": enlaces.url,
        "miniatura": enlaces.miniatura,
        "vista": enlaces.vista,
    }


@dataclass(frozen=True)
class Pagina:
    """A page read by :func:`pagina`: the exact count and the list objects, in order."""

    total: int
    resultados: list[dict[str, Any]]


async def pagina(
    usuario: Usuario, filtros: Filtros, query: PageQuery, url: Enlace, *, propios: bool
) -> Pagina:
    """A page of a ticket list (only when :func:`rapida` holds), with its exact count.

    ``propios``: the caller's own tickets (``mis-tickets``); otherwise every ticket the caller
    may see (:func:`core.auth.guards.owner_scope`). The count comes from the maintained totals
    where ``service.claves_del_total`` says they answer it, else from a ``COUNT`` over the
    same conditions; the page's ids from the same indexes as the ORM's query (only the ids of
    the page are read by ``OFFSET``: a deferred join, as ``core.api.paginate``). A deep page
    of every ticket (no filter, :data:`SALTO_DESDE` on) skips to the hour holding it first.
    """
    condiciones: list[tuple[str, Any]] = []
    dueno = usuario.id if propios else owner_scope(usuario)
    if dueno is not None:
        condiciones.append(("cliente_id =", dueno))
    for campo in _IGUALES:
        if (valor := getattr(filtros, campo)) is not None:
            condiciones.append((f"{campo} =", getattr(valor, "value", valor)))
    if filtros.creado_desde is not None:
        condiciones.append(("fecha_creacion >=", filtros.creado_desde))
    if filtros.creado_antes is not None:
        condiciones.append(("fecha_creacion <", filtros.creado_antes))
    claves = None if propios else claves_del_total(usuario, filtros)
    offset = (query.page - 1) * query.size
    con_etiquetas = usuario.es_agente  # tags are the agents' vocabulary, never a customer's

    def lectura(marcas: Marcas) -> Lectura[Pagina]:
        params = [valor for _, valor in condiciones]
        donde = " AND ".join(
            f"{c} {m}" for (c, _), m in zip(condiciones, marcas(len(params)), strict=True)
        )
        donde = f"WHERE {donde} " if donde else ""
        if claves is not None:
            [(total,)] = yield (agregados.sql_contar(marcas(len(claves))), list(claves))
        else:
            [(total,)] = yield (f"SELECT COUNT(*) FROM {_TICKETS} {donde}", params)
        total = int(total)
        if offset >= total:
            return Pagina(total, [])
        salto = offset
        if not condiciones and offset >= SALTO_DESDE:
            # Every ticket, newest first: start at the end of the hour holding the page.
            lugar = yield from agregados_periodo.lectura_posicion(offset, marcas)
            if lugar is not None:
                (m,) = marcas(1)
                donde, params, salto = f"WHERE fecha_creacion < {m} ", [lugar[0]], lugar[1]
        limite, desde = marcas(2, len(params) + 1)
        filas = yield (
            f"SELECT {_COLUMNAS} FROM (SELECT id FROM {_TICKETS} {donde}"
            f"ORDER BY {_ORDEN} LIMIT {limite} OFFSET {desde}) p "
            f"JOIN {_TICKETS} t ON t.id = p.id {_JOINS} ORDER BY t.{_ORDEN_T}",
            [*params, query.size, salto],
        )
        ids = [fila[0] for fila in filas]
        if not ids:
            return Pagina(total, [])
        adjuntos: dict[int, list[dict[str, Any]]] = {}
        archivos = yield (
            f"SELECT ticket_id, {_ADJUNTO} FROM {_ADJUNTOS} "
            f"WHERE ticket_id IN ({', '.join(marcas(len(ids)))}) AND respuesta_id IS NULL "
            "ORDER BY id",
            ids,
        )
        for ticket_id, *archivo in archivos:
            adjuntos.setdefault(ticket_id, []).append(_adjunto(archivo, url))
        etiquetas: dict[int, list[str]] = {}
        if con_etiquetas:
            nombres = yield (tags.sql_nombres(ENLACE_ETIQUETAS, marcas(len(ids))), ids)
            etiquetas = tags.agrupar_nombres(nombres)
        resultados = [
            {**_ticket(f, adjuntos.get(f[0], []), etiquetas.get(f[0], [])), "fragmento": None}
            for f in filas
        ]
        return Pagina(total, resultados)

    return await leer(lectura)


@dataclass(frozen=True, slots=True)
class _Visibilidad:
    """What the guards' visibility check reads of a ticket (``CAMPOS_VISIBILIDAD``)."""

    cliente_id: int
    equipo_id: int | None
    agente_asignado_id: int | None


#: What :func:`detalle` reads: the ticket row, its files, its replies, its tags' rows.
_Leido = tuple[Sequence[Any], list[Any], list[Any], list[Any]]


async def detalle(usuario: Usuario, ticket_id: int, url: Enlace) -> bytes:
    """``GET /api/soporte/tickets/{id}/`` as JSON (``schemas.TicketDetalle``): the ticket,
    its files, its conversation as ``usuario`` may see it (``visible_replies``'s rule: no
    internal notes unless ``can_see_notes``) and, for agents, its tags.

    A 404 unless ``usuario`` may see it — ``visible_in_teams_or_404``, the check of
    ``service.obtener_visible``; a customer's request for another's ticket stops after the
    first statement.
    """
    notas = can_see_notes(usuario)
    con_etiquetas = usuario.es_agente

    def lectura(marcas: Marcas) -> Lectura[_Leido | None]:
        (m,) = marcas(1)
        filas = yield (
            f"SELECT {_COLUMNAS} FROM {_TICKETS} t {_JOINS} WHERE t.id = {m}",
            [ticket_id],
        )
        if not filas or not can_see(usuario, filas[0][_CLIENTE]):
            return None
        archivos = yield (
            f"SELECT respuesta_id, {_ADJUNTO} FROM {_ADJUNTOS} WHERE ticket_id = {m} ORDER BY id",
            [ticket_id],
        )
        respuestas = yield (
            "SELECT r.id, u.id, u.nombre, u.username, u.rol, r.mensaje, r.fecha_creacion, "
            f'r.canal, r.interna FROM "{Respuesta._meta.db_table}" r '
            f'JOIN "{Usuario._meta.db_table}" u ON u.id = r.autor_id '
            f"WHERE r.ticket_id = {m}{'' if notas else ' AND NOT r.interna'} ORDER BY r.id",
            [ticket_id],
        )
        nombres: list[Any] = []
        if con_etiquetas:
            nombres = yield (tags.sql_nombres(ENLACE_ETIQUETAS, [m]), [ticket_id])
        return filas[0], archivos, respuestas, nombres

    leido = await leer(lectura)
    visible = None
    if leido is not None:
        fila = leido[0]
        visible = _Visibilidad(fila[_CLIENTE], fila[_EQUIPO], fila[_AGENTE])
    await visible_in_teams_or_404(usuario, visible, **CAMPOS_VISIBILIDAD)
    assert leido is not None  # visible_in_teams_or_404 raised otherwise
    fila, archivos, respuestas, nombres = leido
    del_ticket: list[dict[str, Any]] = []
    por_respuesta: dict[int, list[dict[str, Any]]] = {}
    for respuesta_id, *archivo in archivos:
        destino = del_ticket if respuesta_id is None else por_respuesta.setdefault(respuesta_id, [])
        destino.append(_adjunto(archivo, url))
    etiquetas = tags.agrupar_nombres(nombres).get(ticket_id, [])
    conversacion = [
        {
            "id": r_id,
            "autor": {"id": autor_id, "nombre": nombre or username, "rol": rol},
            "mensaje": mensaje,
            "fecha_creacion": fecha(creada),
            "canal": canal,
            "archivos_adjuntos": por_respuesta.get(r_id, []),
            "interna": bool(interna),
        }
        for r_id, autor_id, nombre, username, rol, mensaje, creada, canal, interna in respuestas
    ]
    return to_json({**_ticket(fila, del_ticket, etiquetas), "respuestas": conversacion})
