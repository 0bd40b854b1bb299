"""HTTP handlers of escalation: thin adapters to :mod:`plugins.escalamiento.service`."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web

from core.api import Page, Result, Routes, paginate
from core.auth.guards import current_user
from core.auth.models import Rol
from core.storage import base_url
from plugins.escalamiento import service
from plugins.escalamiento.politicas import REGISTRO
from plugins.escalamiento.schemas import (
    AlertaOut,
    MonitorOut,
    PoliticaOut,
    ReglaIn,
    ReglaOut,
    ReglaPatch,
    ReglaQuery,
    con_politicas,
    ticket_escalado,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from core.api.routing import Endpoint

routes = Routes(
    tag="escalamiento",
    description="Escalation rules, the escalation monitor and its alerts.",
)

_BASE = "/api/soporte/escalamiento"


async def _cargar(ids: Sequence[int]) -> list[ReglaOut]:
    reglas = {r.id: r for r in await service.Regla.filter(id__in=list(ids))}
    return [ReglaOut.de(reglas[i]) for i in ids if i in reglas]


@routes.post(f"{_BASE}/reglas/", auth=Rol.ADMIN, status=201, headers=("Location",))
async def crear_regla(request: web.Request, body: ReglaIn) -> Result[ReglaOut]:
    """Create an escalation rule (the guide's ``configurarEscalamiento``)."""
    regla = await service.crear_regla(body.a_datos(), request.app[REGISTRO])
    location = f"{base_url(request)}{_BASE}/reglas/{regla.id}/"
    return Result(ReglaOut.de(regla), headers={"Location": location})


@routes.get(f"{_BASE}/reglas/", auth=Rol.ADMIN)
async def listar_reglas(request: web.Request, query: ReglaQuery) -> Page[ReglaOut]:
    """Every rule, oldest first, optionally filtered by ``activa`` and ``politica``."""
    qs = service.Regla.all()
    if query.activa is not None:
        qs = qs.filter(activa=query.activa)
    if query.politica is not None:
        qs = qs.filter(politica=query.politica)
    return await paginate(request, qs.order_by("id"), query, _cargar, ReglaOut)


@routes.get(rf"{_BASE}/reglas/{{id:\d+}}/", auth=Rol.ADMIN)
async def detalle_regla(request: web.Request, id: int) -> ReglaOut:
    """One rule."""
    return ReglaOut.de(await service.obtener_regla(id))


@routes.patch(rf"{_BASE}/reglas/{{id:\d+}}/", auth=Rol.ADMIN)
async def modificar_regla(request: web.Request, id: int, body: ReglaPatch) -> ReglaOut:
    """Change some fields of a rule (validated as on creation)."""
    regla = await service.obtener_regla(id)
    cambios = body.a_datos(solo_enviados=True)
    return ReglaOut.de(await service.actualizar_regla(regla, cambios, request.app[REGISTRO]))


@routes.delete(rf"{_BASE}/reglas/{{id:\d+}}/", auth=Rol.ADMIN)
async def borrar_regla(request: web.Request, id: int) -> None:
    """Delete a rule; the escalations it caused stay in the history."""
    regla = await service.obtener_regla(id)
    await regla.delete()


@routes.get(f"{_BASE}/monitor/", auth=Rol.AGENTE)
async def monitor(request: web.Request) -> MonitorOut:
    """Escalated open tickets (highest level, then oldest escalation first; at most 100) and
    unread alerts (newest first; at most 50)."""
    ahora = datetime.now(UTC)
    filas = await service.tickets_escalados()
    alertas = await service.alertas_pendientes()
    return MonitorOut(
        tickets_escalados=[ticket_escalado(t, fecha, ahora) for t, fecha in filas],
        alertas=[AlertaOut.de(a) for a in alertas],
    )


@routes.post(rf"{_BASE}/alertas/{{id:\d+}}/leer/", auth=Rol.AGENTE)
async def leer_alerta(request: web.Request, id: int) -> AlertaOut:
    """Acknowledge an alert: it leaves the monitor (idempotent)."""
    return AlertaOut.de(await service.marcar_leida(id, current_user(request)))


@routes.get(f"{_BASE}/politicas/", auth=Rol.AGENTE)
async def politicas(request: web.Request) -> list[PoliticaOut]:
    """Array of the registered escalation policies, each with its plugin and parameters."""
    registro = request.app[REGISTRO]
    return [PoliticaOut.de(registro.politicas[n]) for n in sorted(registro.politicas)]


def endpoints(politicas: Sequence[str]) -> list[Endpoint]:
    """This plugin's endpoints for an app whose registered policies are ``politicas``.

    The rule bodies are rebuilt per app so that ``politica`` is checked (and documented as an
    enum) against the policies that app really has.
    """
    cuerpos = {
        crear_regla: con_politicas(ReglaIn, politicas),
        modificar_regla: con_politicas(ReglaPatch, politicas),
    }
    return [
        dataclasses.replace(e, body=cuerpos[e.handler]) if e.handler in cuerpos else e
        for e in routes.endpoints
    ]
