"""HTTP handlers of support cases: thin adapters from requests to :mod:`plugins.casos.service`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from core import keys
from core.api import Forbidden, Page, Result, Routes, paginate
from core.api.routing import TOKEN
from core.auth.guards import current_user, has_role
from core.auth.models import Rol
from core.plugin_contract import await_me_maybe
from core.ratelimit import hit
from core.storage import Links, Upload, base_url
from plugins.casos import service
from plugins.casos.cuota import Cuota
from plugins.casos.schemas import (
    CasoDetalle,
    CasoIn,
    CasoOut,
    CasoPatch,
    CasoQuery,
    RespuestaCasoIn,
    RespuestaCasoOut,
    TicketRelacionado,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from core.auth.models import Usuario
    from core.plugins import PluginHost
    from plugins.casos.models import AdjuntoCaso, Caso

routes = Routes(
    tag="casos",
    description="Support cases (claims, incidents…) with their conversation and history.",
)


def _validador(host: PluginHost) -> Callable[[int, Usuario], Awaitable[list[str]]] | None:
    """The booking check: the ``validate_reserva`` hook when an enabled plugin declares it
    (``tickets`` does; casos does not require it), else ``None``: ids are stored as given."""
    if not host.has_hook("validate_reserva"):
        return None

    async def validar(reserva_id: int, usuario: Usuario) -> list[str]:
        errores = []
        for _, resultado in host.call_plugin_hook(
            "validate_reserva", reserva_id=reserva_id, usuario=usuario
        ):
            if mensaje := await await_me_maybe(resultado):
                errores.append(str(mensaje))
        return errores

    return validar


def _validador_tickets(host: PluginHost) -> Callable[[Sequence[int]], Awaitable[set[int]]] | None:
    """Which of some ticket ids exist, through ``plugins.tickets.api`` when tickets is enabled
    (casos does not require it); else ``None``: ids are stored as given."""
    if not host.is_enabled("tickets"):
        return None

    async def existentes(ids: Sequence[int]) -> set[int]:
        from plugins.tickets.api import leer

        return {t.id for t in await leer(ids)}

    return existentes


async def _tickets(
    host: PluginHost, usuario: Usuario, ids: Sequence[int]
) -> list[TicketRelacionado]:
    """The linked tickets as ``usuario`` may see them: staff all of them, a customer only their
    own (another customer's ticket of the same case must not leak its subject)."""
    if not ids:
        return []
    if not host.is_enabled("tickets"):
        return [TicketRelacionado(id=i) for i in ids] if usuario.es_agente else []
    from plugins.tickets.api import leer

    por_id = {t.id: t for t in await leer(ids)}
    resultado = []
    for i in ids:
        vista = por_id.get(i)
        if vista is None:
            if usuario.es_agente:
                resultado.append(TicketRelacionado(id=i))
        elif usuario.es_agente or vista.cliente_id == usuario.id:
            resultado.append(
                TicketRelacionado(
                    id=i, numero=vista.numero, asunto=vista.asunto, estado=str(vista.estado)
                )
            )
    return resultado


def _enlaces(request: web.Request) -> Callable[[AdjuntoCaso], Links]:
    """Signs file links (download and previews) against the public base URL of this request."""
    storage = request.app[keys.STORAGE]
    base = base_url(request)
    return lambda a: storage.links(base, a.clave, a.nombre, a.tipo)


async def _detalle(request: web.Request, usuario: Usuario, caso: Caso) -> CasoDetalle:
    """The detail of a case ``usuario`` may see (its relations loaded)."""
    respuestas = await service.conversacion(usuario, caso.id)
    tickets = await _tickets(
        request.app[keys.PLUGINS], usuario, list(caso.tickets_relacionados or [])
    )
    # Tags are the agents' vocabulary: a customer's cases come without them.
    etiquetas = (
        (await service.etiquetas_de([caso.id])).get(caso.id, []) if usuario.es_agente else []
    )
    return CasoDetalle.completo(caso, tickets, respuestas, _enlaces(request), etiquetas)


async def _cargar(ids: Sequence[int], con_etiquetas: bool = True) -> list[CasoOut]:
    """The case objects of ``ids`` (with their tags, for staff), in two queries."""
    casos = await service.cargar(ids)
    etiquetas = await service.etiquetas_de([c.id for c in casos]) if con_etiquetas else {}
    return [CasoOut.de(caso, etiquetas.get(caso.id, ())) for caso in casos]


@routes.post("/api/soporte/casos/", auth=TOKEN, status=201, errors=(429,), headers=("Location",))
async def crear(request: web.Request, body: CasoIn) -> Result[CasoOut]:
    """Open a support case (a customer's case is always about themself)."""
    usuario = current_user(request)
    await hit(request.app, "cases", usuario.id)
    caso = await service.crear_caso(
        request.app[keys.EVENTS],
        usuario,
        tipo_caso=body.tipo_caso,
        urgencia=body.urgencia,
        titulo=body.titulo,
        descripcion=body.descripcion,
        cliente_afectado_id=body.cliente_afectado,
        reservas_relacionadas=body.reservas_relacionadas,
        impacto_estimado=body.impacto_estimado,
        validar_reserva=_validador(request.app[keys.PLUGINS]),
    )
    (creado,) = await _cargar([caso.id], con_etiquetas=usuario.es_agente)
    location = f"{base_url(request)}/api/soporte/casos/{caso.id}/"
    return Result(creado, headers={"Location": location})


@routes.get("/api/soporte/casos/", auth=TOKEN)
async def listar(request: web.Request, query: CasoQuery) -> Page[CasoOut]:
    """Cases the caller may see (a customer: their own), newest first, filtered."""
    usuario = current_user(request)
    etiqueta = query.etiqueta.strip() if query.etiqueta and query.etiqueta.strip() else None
    qs = service.casos_visibles(
        usuario,
        tipo_caso=query.tipo_caso,
        urgencia=query.urgencia,
        estado=query.estado,
        # A customer filtering by a tag learns nothing: tags are staff's (no filter for them).
        etiqueta=etiqueta if usuario.es_agente else None,
    )

    async def cargar(ids: Sequence[int]) -> list[CasoOut]:
        return await _cargar(ids, con_etiquetas=usuario.es_agente)

    return await paginate(request, qs, query, cargar, CasoOut)


@routes.get("/api/soporte/casos/urgentes/", auth=Rol.AGENTE)
async def urgentes(request: web.Request) -> list[CasoOut]:
    """Array of open CRITICA then ALTA cases, oldest first within each (at most 100)."""
    casos = await service.casos_urgentes()
    etiquetas = await service.etiquetas_de([c.id for c in casos])
    return [CasoOut.de(caso, etiquetas.get(caso.id, ())) for caso in casos]


@routes.get(r"/api/soporte/casos/{id:\d+}/", auth=TOKEN)
async def detalle(request: web.Request, id: int) -> CasoDetalle:
    """One case with its conversation (notes for staff only) and links (its owner or an
    agent; anyone else gets a 404)."""
    usuario = current_user(request)
    return await _detalle(request, usuario, await service.obtener_caso(usuario, id))


@routes.patch(r"/api/soporte/casos/{id:\d+}/", auth=TOKEN, errors=(403, 409))
async def modificar(request: web.Request, id: int, body: CasoPatch) -> CasoDetalle:
    """Agents change ``estado`` (by the state machine; illegal moves are 409), ``urgencia``,
    the assignment (``agente_asignado``, ``equipo``), the linked tickets and bookings and the
    tags (``etiquetas``, the whole set)."""
    usuario = current_user(request)
    # Visibility first, so a customer learns nothing about cases that are not theirs.
    caso = await service.obtener_caso(usuario, id)
    if not has_role(usuario, Rol.AGENTE):
        raise Forbidden("Solo un agente puede modificar un caso.")
    host = request.app[keys.PLUGINS]
    caso = await service.actualizar_caso(
        request.app[keys.EVENTS],
        usuario,
        caso,
        estado=body.estado,
        urgencia=body.urgencia,
        otros=body.otros(),
        validar_reserva=_validador(host),
        validar_ticket=_validador_tickets(host),
    )
    return await _detalle(request, usuario, caso)


@routes.post(
    r"/api/soporte/casos/{id:\d+}/responder/",
    auth=TOKEN,
    status=201,
    multipart=True,
    errors=(403, 409, 429),
)
async def responder(
    request: web.Request, id: int, body: RespuestaCasoIn, files: list[Upload]
) -> RespuestaCasoOut:
    """Answer a case (its customer or an agent): JSON, or form data with files (any field
    names); ``interna: true`` is an internal note (agents only); a CERRADO case is a 409."""
    usuario = current_user(request)
    caso = await service.obtener_caso(usuario, id)
    vista = await service.responder(
        request.app[keys.EVENTS],
        caso,
        usuario,
        body.mensaje,
        interna=body.interna,
        archivos=files,
        cuota=Cuota.de(request.app[keys.SETTINGS]) if files else None,
    )
    return RespuestaCasoOut.de(vista, _enlaces(request))
