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
from core.storage import base_url
from plugins.casos import service
from plugins.casos.schemas import CasoIn, CasoOut, CasoPatch, CasoQuery

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from core.auth.models import Usuario
    from core.plugins import PluginHost

routes = Routes(tag="casos")


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


async def _cargar(ids: Sequence[int]) -> list[CasoOut]:
    return [CasoOut.de(caso) for caso in await service.cargar(ids)]


@routes.post("/api/soporte/casos/", auth=TOKEN, status=201, errors=(429,))
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
    (creado,) = await _cargar([caso.id])
    location = f"{base_url(request)}/api/soporte/casos/{caso.id}/"
    return Result(creado, headers={"Location": location})


@routes.get("/api/soporte/casos/", auth=TOKEN)
async def listar(request: web.Request, query: CasoQuery) -> Page[CasoOut]:
    """Cases the caller may see (a customer: their own), newest first, filtered."""
    qs = service.casos_visibles(
        current_user(request),
        tipo_caso=query.tipo_caso,
        urgencia=query.urgencia,
        estado=query.estado,
    )
    return await paginate(request, qs, query, _cargar, CasoOut)


@routes.get("/api/soporte/casos/urgentes/", auth=Rol.AGENTE)
async def urgentes(request: web.Request) -> list[CasoOut]:
    """Array of open CRITICA then ALTA cases, oldest first within each (at most 100)."""
    return [CasoOut.de(caso) for caso in await service.casos_urgentes()]


@routes.get(r"/api/soporte/casos/{id:\d+}/", auth=TOKEN)
async def detalle(request: web.Request, id: int) -> CasoOut:
    """One case (its owner or an agent; anyone else gets a 404)."""
    return CasoOut.de(await service.obtener_caso(current_user(request), id))


@routes.patch(r"/api/soporte/casos/{id:\d+}/", auth=TOKEN, errors=(403, 409))
async def modificar(request: web.Request, id: int, body: CasoPatch) -> CasoOut:
    """Agents change ``estado`` (by the state machine; illegal moves are 409) and ``urgencia``."""
    usuario = current_user(request)
    # Visibility first, so a customer learns nothing about cases that are not theirs.
    caso = await service.obtener_caso(usuario, id)
    if not has_role(usuario, Rol.AGENTE):
        raise Forbidden("Solo un agente puede modificar un caso.")
    caso = await service.actualizar_caso(
        request.app[keys.EVENTS], usuario, caso, estado=body.estado, urgencia=body.urgencia
    )
    return CasoOut.de(caso)
