"""The tickets API (docs/api.md, "Tickets"): thin handlers over :mod:`plugins.tickets.service`.

Visibility is the guards' rule: a customer sees only their own tickets, agents see all, and
anything else is a 404. Lists fetch a page of ids first and then load those tickets with their
relations in a constant number of queries.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import cast

from aiohttp import web

from core import keys
from core.api import (
    TOKEN,
    BadRequest,
    Count,
    Encoded,
    Forbidden,
    PayloadTooLarge,
    Result,
    Routes,
    SearchPage,
    paginate_search,
)
from core.api.pagination import page_json
from core.api.routing import encoded
from core.auth.guards import can_see_notes, current_user, team_limited
from core.auth.models import Rol, Usuario
from core.i18n import gettext as _
from core.plugin_contract import await_me_maybe
from core.ratelimit import hit
from core.storage import Upload, base_url
from plugins.tickets import busqueda, lectura, service
from plugins.tickets.cuota import Cuota
from plugins.tickets.schemas import (
    AdjuntoOut,
    MisTicketsQuery,
    RespuestaIn,
    RespuestaOut,
    TicketDetalle,
    TicketEnLista,
    TicketIn,
    TicketOut,
    TicketPatch,
    TicketsQuery,
    UrlDe,
    ValoracionOut,
    ValorarIn,
    adjunto_out,
    respuesta_out,
    ticket_detalle,
    ticket_en_lista,
    ticket_out,
)

routes = Routes(
    tag="tickets",
    description="Tickets: create (with files), list, detail, reply, rate, change; history.",
)

#: How many tickets ``recientes`` returns.
RECIENTES = 10


def _firmar(request: web.Request) -> lectura.Enlace:
    """Signs a stored file's links (download and, for an image, its previews), ``(clave,
    nombre, tipo)``, against the public base URL of this request."""
    storage = request.app[keys.STORAGE]
    base = base_url(request)
    return lambda clave, nombre, tipo: storage.links(base, clave, nombre, tipo)


def _enlaces(request: web.Request) -> UrlDe:
    """Signs attachment links (download and previews) against the public base URL of this
    request."""
    firmar = _firmar(request)
    return lambda a: firmar(a.clave, a.nombre, a.tipo)


def _limite_archivos(request: web.Request, cuantos: int) -> None:
    """413 when a request would attach more files than ``max_files``."""
    maximo = request.app[keys.SETTINGS].max_files
    if cuantos > maximo:
        raise PayloadTooLarge(
            _("Se admiten como máximo {n} archivos por solicitud.").format(n=maximo)
        )


def _cuota(request: web.Request) -> Cuota | None:
    """The per-user upload quotas of the settings (``None``: off)."""
    return Cuota.de(request.app[keys.SETTINGS])


async def _validar_reserva(request: web.Request, reserva_id: int, usuario: Usuario) -> None:
    """Ask the installed plugins about a booking id; any objection is a 400 on the field."""
    errores = []
    host = request.app[keys.PLUGINS]
    # tickets declares the hook itself (plugins/tickets/hookspecs.py), so it always exists here.
    for _plugin, resultado in host.call_plugin_hook(
        "validate_reserva", reserva_id=reserva_id, usuario=usuario
    ):
        if mensaje := await await_me_maybe(resultado):
            errores.append(str(mensaje))
    if errores:
        raise BadRequest("Datos inválidos.", errors={"reserva_relacionada": errores})


async def _detalle(request: web.Request, ticket_id: int) -> TicketDetalle:
    # The caller's view of the conversation: a customer's has no internal notes.
    para = current_user(request)
    [vista] = await service.cargar_tickets(
        [ticket_id], con_respuestas=True, para=para, con_etiquetas=para.es_agente
    )
    return ticket_detalle(vista, _enlaces(request))


def _cargador(
    request: web.Request, terminos: Sequence[str] = ()
) -> Callable[[Sequence[int]], Awaitable[list[TicketEnLista]]]:
    """The ``load(ids)`` of :func:`core.api.paginate`: a page of ticket objects (with their
    highlighted ``fragmento`` when the list was searched for ``terminos``)."""
    url = _enlaces(request)
    # Tags are the agents' vocabulary: a customer's tickets come without them.
    con_etiquetas = current_user(request).es_agente

    async def load(ids: Sequence[int]) -> list[TicketEnLista]:
        vistas = await service.cargar_tickets(ids, con_etiquetas=con_etiquetas)
        trozos: dict[int, str] = {}
        if terminos:
            trozos = await busqueda.fragmentos(
                current_user(request),
                [(v.ticket.id, v.ticket.asunto, v.ticket.descripcion) for v in vistas],
                terminos,
            )
        return [ticket_en_lista(v, url, trozos.get(v.ticket.id)) for v in vistas]

    return load


async def _lista(
    request: web.Request,
    query: MisTicketsQuery,
    filtros: service.Filtros,
    *,
    propios: bool,
    ordering: Sequence[str] = (),
) -> Encoded[SearchPage[TicketEnLista]]:
    """A page of a ticket list: ranked by relevance when ``q`` has words and no ``ordering``
    was asked for (the index drives the query), else in ``ordering``.

    The lists as the guide opens them (no search, no tag, the default order) are read in
    hand-written SQL (:mod:`plugins.tickets.lectura`); the rest through the ORM.
    """
    usuario = current_user(request)
    if lectura.rapida(usuario, filtros, ordering):
        leida = await lectura.pagina(usuario, filtros, query, _firmar(request), propios=propios)
        return Encoded(page_json(request, query, leida.total, leida.resultados, count_exacto=True))
    consulta = busqueda.interpretar(filtros.q, usuario) if filtros.q else None
    if consulta is not None:
        await busqueda.comprobar(consulta)
    terminos = consulta.terminos if consulta is not None else []
    qs = service.filtrar(usuario, filtros, propios=propios)
    contar: Callable[[], Awaitable[int | Count]] | None = (
        None if propios else service.contador(usuario, filtros)
    )
    ids = None
    from plugins.tickets.plugin import ajustes  # the plugin module imports this one

    tope = ajustes(request.app).busqueda_cuenta_maxima
    if terminos and ordering:
        # Ordered by a field, not ranked: the index is a filter; its count stops at the cap.
        contar = functools.partial(busqueda.contar_hasta, qs, tope)
    elif terminos:
        # Ranked: the index drives the query; the rest of the list's filters are its join.
        base = service.filtrar(usuario, filtros, propios=propios, texto=False)
        otros = dataclasses.replace(filtros, q=None) != service.Filtros() or bool(
            consulta and (consulta.exactos or consulta.condiciones)
        )
        buscada = busqueda.Busqueda(
            usuario,
            base,
            terminos,
            filtrado=propios or team_limited(usuario) or otros,
            cuenta_maxima=tope,
            fichas=busqueda.fichas(filtros, consulta, usuario, propios=propios),
            propios=propios,
        )
        contar, ids = buscada.contar, buscada.pagina
    pagina = await paginate_search(
        request,
        service.ordenar(qs, ordering),
        query,
        _cargador(request, terminos),
        TicketEnLista,
        count=contar,
        ids=ids,
    )
    return encoded(pagina, SearchPage[TicketEnLista])


@routes.post(
    "/api/soporte/tickets/",
    auth=TOKEN,
    status=201,
    multipart=True,
    errors=(429,),
    headers=("Location",),
)
async def crear_ticket(
    request: web.Request, body: TicketIn, files: list[Upload]
) -> Result[TicketOut]:
    """Open a ticket (JSON as the guide sends it, or form data with files)."""
    usuario = current_user(request)
    await hit(request.app, "tickets", usuario.id)
    _limite_archivos(request, len(set(body.archivos_adjuntos)) + len(files))
    if body.reserva_relacionada is not None:
        await _validar_reserva(request, body.reserva_relacionada, usuario)
    ticket = await service.crear_ticket(
        request.app[keys.EVENTS],
        usuario,
        asunto=body.asunto,
        descripcion=body.descripcion,
        categoria=body.categoria,
        prioridad=body.prioridad,
        reserva_relacionada=body.reserva_relacionada,
        adjuntos=[*body.archivos_adjuntos, *files],
        cuota=_cuota(request) if files else None,
    )
    # Everything the answer shows is at hand: a new ticket has its customer, no agent and no
    # rating; only attached files need a query (reloading it cost more than creating it).
    adjuntos = await service.adjuntos_de(ticket.id) if body.archivos_adjuntos or files else []
    vista = service.TicketVista(ticket, adjuntos=adjuntos)
    ticket.cliente = usuario
    ticket.agente_asignado = None
    location = f"{base_url(request)}/api/soporte/tickets/{ticket.id}/"
    return Result(ticket_out(vista, _enlaces(request)), headers={"Location": location})


@routes.get("/api/soporte/mis-tickets/", auth=TOKEN)
async def mis_tickets(
    request: web.Request, query: MisTicketsQuery
) -> Encoded[SearchPage[TicketEnLista]]:
    """The caller's own tickets, newest first (by relevance when searched), filtered."""
    return await _lista(request, query, query.filtros(), propios=True)


@routes.get("/api/soporte/tickets/", auth=Rol.AGENTE)
async def listar_tickets(
    request: web.Request, query: TicketsQuery
) -> Encoded[SearchPage[TicketEnLista]]:
    """Every ticket (agents), filtered and ordered (`ordering`; newest first by default, by
    relevance when `q` has words)."""
    return await _lista(request, query, query.filtros(), propios=False, ordering=query.ordering)


@routes.get("/api/soporte/tickets/recientes/", auth=TOKEN)
async def recientes(request: web.Request) -> list[TicketOut]:
    """The newest tickets the caller may see (an array, not a page)."""
    usuario = current_user(request)
    qs = service.ordenar(service.filtrar(usuario, service.Filtros()))
    # tortoise types every values_list() as tuples; flat=True returns the bare ids.
    ids = cast("list[int]", await qs.limit(RECIENTES).values_list("id", flat=True))
    url = _enlaces(request)
    return [ticket_out(v, url) for v in await service.cargar_tickets(ids)]


@routes.get(r"/api/soporte/tickets/{id:\d+}/", auth=TOKEN)
async def detalle_ticket(request: web.Request, id: int) -> Encoded[TicketDetalle]:
    """One ticket with its conversation (owner or agents)."""
    # Hand-written SQL, the same checks as service.obtener_visible (plugins.tickets.lectura).
    return Encoded(await lectura.detalle(current_user(request), id, _firmar(request)))


@routes.patch(r"/api/soporte/tickets/{id:\d+}/", auth=TOKEN, errors=(403, 409))
async def actualizar_ticket(request: web.Request, id: int, body: TicketPatch) -> TicketDetalle:
    """Change estado, prioridad, categoria, agente_asignado, equipo, etiquetas (agents); the
    owner may only close."""
    usuario = current_user(request)
    ticket = await service.obtener_visible(usuario, id)
    await service.actualizar(request.app[keys.EVENTS], ticket, usuario, body.cambios())
    return await _detalle(request, ticket.id)


@routes.post(
    r"/api/soporte/tickets/{id:\d+}/responder/",
    auth=TOKEN,
    status=201,
    multipart=True,
    errors=(403, 409, 429),
)
async def responder(
    request: web.Request, id: int, body: RespuestaIn, files: list[Upload]
) -> RespuestaOut:
    """Reply to a ticket: form data (`mensaje`, `archivo_0`…) as the guide sends, or JSON.

    `interna: true` makes it an internal note, seen by agents only (a customer's is a 403)."""
    usuario = current_user(request)
    adjuntos: list[int | Upload] = [*body.archivos_adjuntos, *files]
    nota_ajena = body.interna and not can_see_notes(usuario)
    # The plain reply (no files, the common case) passes the id: visibility is checked on the
    # row the reply locks, one read of the ticket instead of two. With files or a refused
    # note, the ticket is checked first, so that a 404 comes before any other answer.
    ticket = await service.obtener_visible(usuario, id) if adjuntos or nota_ajena else id
    if nota_ajena:
        # Refused before anything is recorded: the files already on disk go too.
        for upload in files:
            request.app[keys.STORAGE].delete(upload.key)
        raise Forbidden("Solo los agentes pueden escribir notas internas.")
    _limite_archivos(request, len(set(body.archivos_adjuntos)) + len(files))
    respuesta = await service.responder(
        request.app[keys.EVENTS],
        ticket,
        usuario,
        body.mensaje,
        service.Canal.TICKET,
        adjuntos=adjuntos,
        cuota=_cuota(request) if files else None,
        ultima_respuesta_id=body.ultima_respuesta_id,
        forzar=body.forzar,
        interna=body.interna,
    )
    # The answer is built from the reply just stored (its author set); only its files, if
    # any, are read back.
    vista = (
        await service.cargar_respuesta(respuesta.id)
        if adjuntos
        else service.RespuestaVista(respuesta)
    )
    return respuesta_out(vista, _enlaces(request))


@routes.post(r"/api/soporte/tickets/{id:\d+}/valorar/", auth=TOKEN, errors=(403, 409))
async def valorar(request: web.Request, id: int, body: ValorarIn) -> ValoracionOut:
    """The owner rates a resolved or closed ticket (1–5); a second rating replaces the first."""
    usuario = current_user(request)
    ticket = await service.obtener_visible(usuario, id)
    valoracion = await service.valorar(
        request.app[keys.EVENTS], ticket, usuario, body.puntuacion, body.comentario
    )
    return ValoracionOut(puntuacion=valoracion.puntuacion, comentario=valoracion.comentario)


@routes.post(
    "/api/soporte/adjuntos/",
    auth=TOKEN,
    status=201,
    multipart=True,
    json_body=False,
    errors=(429,),
)
async def subir_adjuntos(request: web.Request, files: list[Upload]) -> list[AdjuntoOut]:
    """Upload files (any field names); their ids go in `archivos_adjuntos` later."""
    if not files:
        raise BadRequest("Datos inválidos.", errors={"archivos": ["No se recibió ningún archivo."]})
    adjuntos = await service.guardar_adjuntos(current_user(request), files, _cuota(request))
    url = _enlaces(request)
    return [adjunto_out(a, url) for a in adjuntos]
