"""``/api/soporte/macros/``: agents' canned replies — list, CRUD, preview, apply.

Every route is for agents (a customer's call is a 403); which macros an agent sees and may
edit is :mod:`plugins.macros.service`'s rule (unseen or unknown: 404).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from core import keys
from core.api import Page, Result, Routes, paginate
from core.auth.guards import current_user
from core.auth.models import Rol, Usuario
from core.storage import base_url
from plugins.macros import service
from plugins.macros.models import Macro
from plugins.macros.schemas import (
    AplicadaOut,
    MacroIn,
    MacroOut,
    MacroPatch,
    MacrosQuery,
    RespuestaMacroOut,
    TicketIdIn,
    TicketMacroOut,
    VistaPreviaOut,
)
from plugins.tickets import api as tickets

routes = Routes(tag="macros")

BASE = "/api/soporte/macros/"
DETALLE = r"/api/soporte/macros/{id:\d+}/"


def _out(macro: Macro, editable: bool) -> MacroOut:
    return MacroOut(
        id=macro.id,
        nombre=macro.nombre,
        descripcion=macro.descripcion,
        mensaje=macro.mensaje,
        interna=macro.interna,
        acciones=dict(macro.acciones or {}),
        ambito=macro.ambito,
        propietario=macro.propietario_id,
        equipo=macro.equipo_id,
        activa=macro.activa,
        usos=macro.usos,
        editable=editable,
        fecha_creacion=macro.fecha_creacion,
        fecha_actualizacion=macro.fecha_actualizacion,
    )


async def _uno(usuario: Usuario, macro: Macro) -> MacroOut:
    return _out(macro, await service.editable(usuario, macro))


@routes.get(BASE, auth=Rol.AGENTE)
async def listar(request: web.Request, query: MacrosQuery) -> Page[MacroOut]:
    """The macros the caller may see, by name: filter with ``q`` (part of the name),
    ``ambito`` and ``activa``."""
    usuario = current_user(request)
    qs = service.visibles(usuario)
    if query.q and query.q.strip():
        qs = qs.filter(nombre__icontains=query.q.strip())
    if query.ambito is not None:
        qs = qs.filter(ambito=query.ambito)
    if query.activa is not None:
        qs = qs.filter(activa=query.activa)

    async def cargar(ids: Sequence[int]) -> list[MacroOut]:
        por_id = {m.id: m for m in await Macro.filter(id__in=list(ids))}
        macros = [por_id[i] for i in ids if i in por_id]
        editables = await service.editables(usuario, macros)
        return [_out(m, editables[m.id]) for m in macros]

    return await paginate(request, qs.order_by("nombre", "id"), query, cargar, MacroOut)


@routes.post(BASE, auth=Rol.AGENTE, status=201, headers=("Location",))
async def crear(request: web.Request, body: MacroIn) -> Result[MacroOut]:
    """Create a macro: PERSONAL (the caller's), EQUIPO (``equipo``: a team of the caller's, or
    any for an admin) or GLOBAL (admins). The template is checked: a 400 naming the line."""
    usuario = current_user(request)
    datos = body.model_dump(exclude={"acciones"})
    datos["acciones"] = body.acciones.cambios()
    macro = await service.crear(usuario, datos)
    location = f"{base_url(request)}{BASE}{macro.id}/"
    return Result(await _uno(usuario, macro), headers={"Location": location})


@routes.get(DETALLE, auth=Rol.AGENTE)
async def detalle(request: web.Request, id: int) -> MacroOut:
    """One macro the caller may see."""
    usuario = current_user(request)
    return await _uno(usuario, await service.obtener_visible(usuario, id))


@routes.patch(DETALLE, auth=Rol.AGENTE)
async def actualizar(request: web.Request, id: int, body: MacroPatch) -> MacroOut:
    """Change some fields of a macro the caller may edit (403 otherwise); ``acciones`` is
    replaced whole."""
    usuario = current_user(request)
    return await _uno(usuario, await service.actualizar(usuario, id, body.cambios()))


@routes.delete(DETALLE, auth=Rol.AGENTE)
async def eliminar(request: web.Request, id: int) -> None:
    """Delete a macro the caller may edit (403 otherwise)."""
    await service.eliminar(current_user(request), id)


@routes.post(f"{DETALLE}vista-previa/", auth=Rol.AGENTE)
async def vista_previa(request: web.Request, id: int, body: TicketIdIn) -> VistaPreviaOut:
    """The macro rendered for a ticket the caller may see (404 otherwise); nothing changes."""
    mensaje, interna, acciones = await service.vista_previa(
        current_user(request), id, body.ticket_id
    )
    return VistaPreviaOut(mensaje=mensaje, interna=interna, acciones=acciones)


@routes.post(f"{DETALLE}aplicar/", auth=Rol.AGENTE)
async def aplicar(request: web.Request, id: int, body: TicketIdIn) -> AplicadaOut:
    """Apply the macro to a ticket in one transaction: its reply (or internal note) and its
    field changes, or nothing if any part fails."""
    respuesta, ticket = await service.aplicar(
        request.app[keys.EVENTS], current_user(request), id, body.ticket_id
    )
    return AplicadaOut(macro=id, respuesta=_respuesta(respuesta), ticket=_ticket(ticket))


def _respuesta(r: tickets.RespuestaVista) -> RespuestaMacroOut:
    return RespuestaMacroOut(
        id=r.id,
        ticket_id=r.ticket_id,
        mensaje=r.mensaje,
        interna=r.interna,
        autor_id=r.autor_id,
        fecha_creacion=r.fecha_creacion,
    )


def _ticket(t: tickets.TicketVista) -> TicketMacroOut:
    return TicketMacroOut(
        id=t.id,
        numero=t.numero,
        asunto=t.asunto,
        estado=t.estado,
        prioridad=t.prioridad,
        agente_asignado=t.agente_asignado_id,
        equipo=t.equipo_id,
        fecha_actualizacion=t.fecha_actualizacion,
    )
