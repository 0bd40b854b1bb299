"""HTTP handlers of ``/api/soporte/webhooks/`` (admins only): thin adapters to the service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from core.api import Conflict, Page, PageQuery, Result, Routes, paginate
from core.auth.models import Rol
from core.storage import base_url
from plugins.webhooks import entregas, service
from plugins.webhooks.models import Entrega, Suscripcion
from plugins.webhooks.schemas import (
    EntregaOut,
    EntregaQuery,
    SecretoRotado,
    SuscripcionCreada,
    SuscripcionIn,
    SuscripcionOut,
    SuscripcionPatch,
    TipoEventoOut,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from plugins.webhooks.catalogo import TipoEvento
    from plugins.webhooks.settings import WebhooksSettings

routes = Routes(tag="webhooks")

_BASE = "/api/soporte/webhooks"

#: The app's event catalogue (``plugin.py`` fills it at build time).
CATALOGO: web.AppKey[dict[str, TipoEvento]] = web.AppKey("webhooks_catalogo")
#: The plugin's settings, read once at build time.
AJUSTES: web.AppKey[WebhooksSettings] = web.AppKey("webhooks_ajustes")


def _tipos(request: web.Request) -> list[str]:
    catalogo: dict[str, TipoEvento] = request.app[CATALOGO]
    return list(catalogo)


async def _suscripciones(ids: Sequence[int]) -> list[SuscripcionOut]:
    filas = {s.id: s for s in await Suscripcion.filter(id__in=list(ids))}
    return [SuscripcionOut.de(filas[i]) for i in ids if i in filas]


async def _entregas(ids: Sequence[int]) -> list[EntregaOut]:
    filas = {e.id: e for e in await Entrega.filter(id__in=list(ids))}
    return [EntregaOut.de(filas[i]) for i in ids if i in filas]


@routes.post(f"{_BASE}/", auth=Rol.ADMIN, status=201, headers=("Location", "Cache-Control"))
async def crear(request: web.Request, body: SuscripcionIn) -> Result[SuscripcionCreada]:
    """Subscribe a URL to event types; the answer carries the signing secret, shown once."""
    ajustes = request.app[AJUSTES]
    suscripcion = await service.crear(
        {
            "url": await service.validar_url(body.url, ajustes),
            "eventos": service.validar_eventos(body.eventos, _tipos(request)),
            "activa": body.activa,
            "descripcion": body.descripcion,
        }
    )
    salida = SuscripcionCreada(
        **SuscripcionOut.de(suscripcion).model_dump(), secreto=suscripcion.secreto
    )
    location = f"{base_url(request)}{_BASE}/{suscripcion.id}/"
    # no-store: neither a cache nor core.idempotency keeps the signing secret (not replayed).
    return Result(salida, headers={"Location": location, "Cache-Control": "no-store"})


@routes.get(f"{_BASE}/", auth=Rol.ADMIN)
async def listar(request: web.Request, query: PageQuery) -> Page[SuscripcionOut]:
    """Every subscription, oldest first (without secrets)."""
    qs = Suscripcion.all().order_by("id")
    return await paginate(request, qs, query, _suscripciones, SuscripcionOut)


@routes.get(f"{_BASE}/eventos/", auth=Rol.ADMIN)
async def eventos(request: web.Request) -> list[TipoEventoOut]:
    """Array of the event types of the enabled plugins, which a subscription may name."""
    return [TipoEventoOut.de(t) for t in request.app[CATALOGO].values()]


@routes.get(rf"{_BASE}/{{id:\d+}}/", auth=Rol.ADMIN)
async def detalle(request: web.Request, id: int) -> SuscripcionOut:
    """One subscription (without its secret)."""
    return SuscripcionOut.de(await service.obtener(id))


@routes.patch(rf"{_BASE}/{{id:\d+}}/", auth=Rol.ADMIN)
async def modificar(request: web.Request, id: int, body: SuscripcionPatch) -> SuscripcionOut:
    """Change the URL, event types, description or ``activa`` (validated as on creation)."""
    suscripcion = await service.obtener(id)
    datos = body.model_dump(exclude_unset=True)
    for campo in [c for c, v in datos.items() if v is None]:
        del datos[campo]  # (null means "not sent": every field of a subscription is required)
    if "url" in datos:
        datos["url"] = await service.validar_url(datos["url"], request.app[AJUSTES])
    if "eventos" in datos:
        datos["eventos"] = service.validar_eventos(datos["eventos"], _tipos(request))
    return SuscripcionOut.de(await service.actualizar(suscripcion, datos))


@routes.delete(rf"{_BASE}/{{id:\d+}}/", auth=Rol.ADMIN)
async def borrar(request: web.Request, id: int) -> None:
    """Delete a subscription and its delivery log (pending deliveries are dropped)."""
    await (await service.obtener(id)).delete()


@routes.post(rf"{_BASE}/{{id:\d+}}/rotar-secreto/", auth=Rol.ADMIN, headers=("Cache-Control",))
async def rotar_secreto(request: web.Request, id: int) -> Result[SecretoRotado]:
    """A new signing secret, shown once; the previous one still signs (a second ``v1=``)
    for ``SOPORTE_WEBHOOKS_GRACIA_ROTACION_HORAS``."""
    secreto, hasta = await service.rotar(await service.obtener(id), request.app[AJUSTES])
    salida = SecretoRotado(secreto=secreto, anterior_valido_hasta=hasta)
    return Result(salida, headers={"Cache-Control": "no-store"})


@routes.get(rf"{_BASE}/{{id:\d+}}/entregas/", auth=Rol.ADMIN)
async def listar_entregas(request: web.Request, id: int, query: EntregaQuery) -> Page[EntregaOut]:
    """The subscription's delivery log, newest first: status code, duration, attempts, and
    excerpts of the latest request and answer."""
    suscripcion = await service.obtener(id)
    qs = Entrega.filter(suscripcion_id=suscripcion.id)
    if query.estado is not None:
        qs = qs.filter(estado=query.estado)
    return await paginate(request, qs.order_by("-id"), query, _entregas, EntregaOut)


@routes.post(rf"{_BASE}/entregas/{{id:\d+}}/reenviar/", auth=Rol.ADMIN, errors=(409,))
async def reenviar(request: web.Request, id: int) -> EntregaOut:
    """Send a delivery again (same body and ``Soporte-Entrega``); a 409 while its
    subscription is switched off."""
    entrega = await service.obtener_entrega(id)
    suscripcion = await service.obtener(entrega.suscripcion_id)
    if not suscripcion.activa:
        raise Conflict("La suscripción está desactivada: actívala antes de reenviar.")
    return EntregaOut.de(await entregas.reenviar(entrega))
