"""``correo``'s endpoints: the raw inbound endpoint and the admins' view of stored messages.

- ``POST /api/soporte/correo/entrante/``: a mail provider's inbound webhook posts one raw
  RFC 822 message (``Content-Type: message/rfc822``), authenticated by the integration token
  of :mod:`plugins.correo.credencial` — never a user's token. 202 once it is stored.
- ``GET /api/soporte/correo/mensajes/`` (``?estado=``), ``GET …/{id}/``,
  ``POST …/{id}/reprocesar/``: ADMIN only, as the outbox's deliveries (a message carries other
  people's addresses and text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from aiohttp import web

from core.api.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)
from core.api.inbound import refuse_encoded_body
from core.api.pagination import Page, paginate
from core.api.routing import INTEGRATION, Routes
from core.auth.claves import integration_key
from core.auth.models import Rol
from core.i18n import gettext as _
from plugins.correo.api import MensajeDemasiadoGrande, recibir
from plugins.correo.credencial import autorizado
from plugins.correo.models import Mensaje, Origen
from plugins.correo.schemas import (
    MAX_CRUDO_VISIBLE,
    MensajeDetalle,
    MensajeOut,
    MensajeQuery,
    RecibidoOut,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

routes = Routes(
    tag="correo",
    description="Inbound mail: the raw endpoint for providers, the stored messages (admins).",
)

ENTRANTE: Final = "/api/soporte/correo/entrante/"
#: The API-key scope that may post raw mail (instead of the endpoint's own token).
ALCANCE_ENTRANTE: Final = "correo:entrante"
MENSAJES: Final = "/api/soporte/correo/mensajes/"
DETALLE: Final = r"/api/soporte/correo/mensajes/{id:\d+}/"
#: The only body type of the inbound endpoint.
RFC822: Final = "message/rfc822"
_TROZO: Final = 64 * 1024
#: The list's columns: never the raw message (up to 25 MiB a row).
_LISTA: Final = tuple(MensajeOut.model_fields)


def _demasiado_grande(maximo: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        _("El mensaje supera el máximo de {n} bytes (max_bytes).").format(n=maximo)
    )


async def _leer(request: web.Request, maximo: int) -> bytes:
    """The body, streamed: a 413 as soon as it passes ``maximo`` bytes (or at once, when its
    ``Content-Length`` says so), never held whole beyond the limit."""
    if request.content_length is not None and request.content_length > maximo:
        raise _demasiado_grande(maximo)
    datos = bytearray()
    async for trozo in request.content.iter_chunked(_TROZO):
        datos += trozo
        if len(datos) > maximo:
            raise _demasiado_grande(maximo)
    return bytes(datos)


@routes.post(
    ENTRANTE,
    auth=INTEGRATION,
    status=202,
    json_body=False,
    raw_body="message/rfc822",
    errors=(413, 415),
    scope=ALCANCE_ENTRANTE,
)
async def entrante(request: web.Request) -> RecibidoOut:
    """Store one raw message (`message/rfc822`) for processing; 202 `{id, duplicado}`.

    `Authorization: Bearer <token>` with the token `soporte correo token` prints, or an API key
    with the scope `correo:entrante` (a user's token is refused: 401).
    """
    from plugins.correo.plugin import ajustes

    por_clave = await integration_key(request, ALCANCE_ENTRANTE) is not None
    if not por_clave and not autorizado(request.app, request.headers.get("Authorization")):
        raise Unauthorized("Credencial de correo entrante ausente o inválida.")
    refuse_encoded_body(request)
    if request.content_type != RFC822:
        raise UnsupportedMediaType(
            _("Se espera un mensaje {tipo} (un correo RFC 822 en crudo).").format(tipo=RFC822)
        )
    maximo = ajustes(request.app).max_bytes
    crudo = await _leer(request, maximo)
    try:
        recibido = await recibir(request.app, crudo, origen=Origen.API)
    except MensajeDemasiadoGrande as exc:  # (the read already stops there; kept for safety)
        raise _demasiado_grande(exc.maximo) from exc
    return RecibidoOut(id=recibido.id, duplicado=recibido.duplicado)


async def _cargar(ids: Sequence[int]) -> list[MensajeOut]:
    filas = {m.id: m for m in await Mensaje.filter(id__in=list(ids)).only(*_LISTA)}
    return [MensajeOut.model_validate(filas[i]) for i in ids if i in filas]


def _detalle(mensaje: Mensaje) -> MensajeDetalle:
    crudo = bytes(mensaje.crudo)
    out = MensajeDetalle.model_validate(mensaje)
    out.tamano = len(crudo)
    out.crudo = crudo[:MAX_CRUDO_VISIBLE].decode("utf-8", "replace")
    return out


@routes.get(MENSAJES, auth=Rol.ADMIN)
async def listar(request: web.Request, query: MensajeQuery) -> Page[MensajeOut]:
    """The received messages, newest first, by `estado` (the quarantine: `CUARENTENA`)."""
    qs = Mensaje.all()
    if query.estado is not None:
        qs = qs.filter(estado=query.estado)
    return await paginate(request, qs.order_by("-id"), query, _cargar, MensajeOut)


@routes.get(DETALLE, auth=Rol.ADMIN)
async def detalle(request: web.Request, id: int) -> MensajeDetalle:
    """One received message, with its envelope and raw text."""
    mensaje = await Mensaje.get_or_none(id=id)
    if mensaje is None:
        raise NotFound()
    return _detalle(mensaje)


@routes.post(rf"{DETALLE}reprocesar/", auth=Rol.ADMIN, errors=(409,))
async def reprocesar(request: web.Request, id: int) -> MensajeDetalle:
    """Process a quarantined or ignored message again (CUARENTENA/IGNORADO → RECIBIDO, then
    processed); a message still waiting is left as it is; 409 for a PROCESADO one."""
    from plugins.correo.procesamiento import NoReprocesable
    from plugins.correo.procesamiento import reprocesar as volver_a_procesar

    try:
        mensaje = await volver_a_procesar(request.app, id)
    except NoReprocesable as exc:
        raise Conflict("El mensaje ya se procesó: reprocesarlo podría duplicar su ticket.") from exc
    if mensaje is None:
        raise NotFound()
    return _detalle(mensaje)
