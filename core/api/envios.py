"""``/api/soporte/envios/``: the outbox for admins — deliveries, dead letters, a retry.

ADMIN only: a delivery carries other people's addresses and mail text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from core.api.errors import Conflict, NotFound
from core.api.pagination import Page, PageQuery, paginate
from core.api.routing import Routes
from core.auth.models import Rol
from core.keys import OUTBOX
from core.outbox_models import Envio, EstadoEnvio

if TYPE_CHECKING:
    from collections.abc import Sequence

routes = Routes(
    tag="envios",
    description="The outbox (admins): deliveries, dead letters, a retry.",
)

BASE = "/api/soporte/envios/"
DETALLE = r"/api/soporte/envios/{id:\d+}/"


class EnvioQuery(PageQuery):
    """Filters of the list (newest first)."""

    estado: EstadoEnvio | None = Field(None, description="Only deliveries in this state.")
    canal: str | None = Field(None, max_length=50, description="Only this channel (`mail`…).")


class EnvioOut(BaseModel):
    """One delivery of the outbox."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    canal: str
    destino: str = Field(description="Recipient(s), for display.")
    estado: EstadoEnvio
    intentos: int = Field(description="Attempts started so far.")
    proximo_intento: datetime = Field(description="When the next attempt is due (PENDIENTE).")
    ultimo_error: str = Field(description="The last attempt's error; empty after a success.")
    message_id: str = Field(description="The mail's Message-ID (mail channel).")
    asunto: str | None = Field(None, description="The mail's subject (mail channel).")
    fecha_creacion: datetime
    fecha_envio: datetime | None = Field(description="When it was delivered or logged.")

    @classmethod
    def de(cls, envio: Envio) -> EnvioOut:
        """The list item of ``envio``."""
        out = cls.model_validate(envio)
        subject = envio.payload.get("subject") if isinstance(envio.payload, dict) else None
        out.asunto = subject if isinstance(subject, str) else None
        return out


class EnvioDetalle(EnvioOut):
    """One delivery with what its channel delivers (for mail: recipients, subject, text…)."""

    payload: dict[str, Any]

    @classmethod
    def de(cls, envio: Envio) -> EnvioDetalle:
        """The detail of ``envio``."""
        out = cls.model_validate(envio)
        subject = envio.payload.get("subject")
        out.asunto = subject if isinstance(subject, str) else None
        return out


async def _cargar(ids: Sequence[int]) -> list[EnvioOut]:
    envios = {e.id: e for e in await Envio.filter(id__in=list(ids))}
    return [EnvioOut.de(envios[i]) for i in ids if i in envios]


@routes.get(BASE, auth=Rol.ADMIN)
async def listar(request: web.Request, query: EnvioQuery) -> Page[EnvioOut]:
    """The outbox's deliveries, newest first, by ``estado`` and ``canal``."""
    qs = Envio.all()
    if query.estado is not None:
        qs = qs.filter(estado=query.estado)
    if query.canal is not None:
        qs = qs.filter(canal=query.canal)
    return await paginate(request, qs.order_by("-id"), query, _cargar, EnvioOut)


@routes.get(DETALLE, auth=Rol.ADMIN)
async def detalle(request: web.Request, id: int) -> EnvioDetalle:
    """One delivery, with its payload."""
    envio = await Envio.get_or_none(id=id)
    if envio is None:
        raise NotFound()
    return EnvioDetalle.de(envio)


@routes.post(rf"{DETALLE}reintentar/", auth=Rol.ADMIN, errors=(409,))
async def reintentar(request: web.Request, id: int) -> EnvioDetalle:
    """Send a dead letter again: FALLIDO → PENDIENTE now, with a fresh count of attempts
    (409 for a delivery that is not FALLIDO)."""
    if not await Envio.exists(id=id):
        raise NotFound()
    changed = await Envio.filter(id=id, estado=EstadoEnvio.FALLIDO).update(
        estado=EstadoEnvio.PENDIENTE,
        intentos=0,
        proximo_intento=datetime.now(UTC),
        reclamo=None,
        reclamado_hasta=None,
    )
    if not changed:
        raise Conflict("Solo se puede reintentar un envío en estado FALLIDO.")
    request.app[OUTBOX].wake()
    return EnvioDetalle.de(await Envio.get(id=id))
