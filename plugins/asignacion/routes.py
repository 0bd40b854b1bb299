"""HTTP handlers of ``/api/soporte/asignacion/``: thin adapters to :mod:`.service`."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from core.api import Routes
from core.api.errors import NotFound
from core.auth.models import Rol, Usuario
from plugins.asignacion.models import AgenteAsignacion
from plugins.asignacion.politicas import REGISTRO
from plugins.asignacion.schemas import AgenteOut, AgentePatch, PoliticaOut
from plugins.asignacion.service import en_turno, presentes
from plugins.asignacion.settings import AsignacionSettings
from plugins.tickets import api as tickets

routes = Routes(
    tag="asignacion",
    description="Automatic assignment of tickets to agents: capacity, shifts, policies.",
)

_BASE = "/api/soporte/asignacion"


def _ajustes(request: web.Request) -> AsignacionSettings:
    from core.plugin_settings import plugin_settings

    return plugin_settings(request.app, "asignacion", AsignacionSettings)


async def _agente(id: int) -> Usuario:
    """An active or inactive AGENTE/ADMIN; anyone else (a customer, unknown) is a 404."""
    usuario = await Usuario.get_or_none(id=id, rol__in=[Rol.AGENTE, Rol.ADMIN])
    if usuario is None:
        raise NotFound()
    return usuario


async def _salida(request: web.Request, usuario: Usuario) -> AgenteOut:
    ajustes = _ajustes(request)
    fila = await AgenteAsignacion.get_or_none(usuario_id=usuario.id)
    ahora = datetime.now(UTC)
    propia = fila.capacidad if fila else None
    efectiva = propia if propia is not None else (ajustes.capacity or None)
    from datetime import timedelta

    vistos = await presentes([usuario.id], ahora, timedelta(seconds=ajustes.presence_seconds))
    abiertos = await tickets.abiertos_por_agente([usuario.id])
    return AgenteOut(
        usuario_id=usuario.id,
        username=usuario.username,
        activo=fila.activo if fila else True,
        capacidad=propia,
        capacidad_efectiva=efectiva or None,
        horario=fila.horario if fila else None,
        en_turno=en_turno(fila.horario if fila else None, ahora),
        en_linea=usuario.id in vistos,
        abiertos=abiertos[usuario.id],
        asignados=fila.asignados if fila else 0,
    )


@routes.get(rf"{_BASE}/agentes/{{id:\d+}}/", auth=Rol.ADMIN)
async def detalle_agente(request: web.Request, id: int) -> AgenteOut:
    """An agent's assignment settings (capacity, shift, on/off) and state."""
    return await _salida(request, await _agente(id))


@routes.patch(rf"{_BASE}/agentes/{{id:\d+}}/", auth=Rol.ADMIN)
async def modificar_agente(request: web.Request, id: int, body: AgentePatch) -> AgenteOut:
    """Change an agent's capacity, shift or whether they are assigned automatically."""
    usuario = await _agente(id)
    datos = body.validar()
    fila, _ = await AgenteAsignacion.get_or_create(usuario_id=usuario.id)
    if datos:
        await AgenteAsignacion.filter(id=fila.id).update(**datos)
    return await _salida(request, usuario)


@routes.get(f"{_BASE}/politicas/", auth=Rol.AGENTE)
async def politicas(request: web.Request) -> list[PoliticaOut]:
    """Array of the registered assignment policies, their plugin, and which one is in use."""
    registro = request.app[REGISTRO]
    activa = _ajustes(request).policy
    return [
        PoliticaOut(
            nombre=p.nombre, descripcion=p.description, plugin=p.plugin, activa=p.nombre == activa
        )
        for p in (registro.politicas[n] for n in sorted(registro.politicas))
    ]
