"""Managing subscriptions: validation, secrets, rotation (the routes are thin adapters)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.api import BadRequest, NotFound
from core.i18n import gettext as _
from plugins.webhooks.catalogo import TODOS
from plugins.webhooks.models import Entrega, Suscripcion
from plugins.webhooks.red import DestinoNoPermitido, comprobar_url

if TYPE_CHECKING:
    from collections.abc import Iterable

    from plugins.webhooks.settings import WebhooksSettings

#: Prefix of every secret (recognisable in a leaked config, like ``sk_`` for API keys).
PREFIJO_SECRETO = "whsec_"


def nuevo_secreto() -> str:
    """A fresh signing secret: 32 random bytes, URL-safe."""
    return PREFIJO_SECRETO + secrets.token_urlsafe(32)


def validar_eventos(eventos: list[str], tipos: Iterable[str]) -> list[str]:
    """``eventos`` deduplicated, each a known type or ``*``; a 400 naming the unknown ones."""
    conocidos = set(tipos)
    limpios = list(dict.fromkeys(e.strip() for e in eventos))
    desconocidos = [e for e in limpios if e != TODOS and e not in conocidos]
    if desconocidos:
        raise BadRequest(
            _("Tipos de evento desconocidos: {tipos}").format(tipos=", ".join(desconocidos)),
            errors={"eventos": [_("Desconocido: {tipo}").format(tipo=e) for e in desconocidos]},
        )
    return [TODOS] if TODOS in limpios else limpios


async def validar_url(url: str, ajustes: WebhooksSettings) -> str:
    """``url`` stripped, if http(s) and allowed by the SSRF guard; a 400 otherwise."""
    url = url.strip()
    try:
        await comprobar_url(url, ajustes.permitir_privadas)
    except DestinoNoPermitido as exc:
        raise BadRequest(str(exc), errors={"url": [str(exc)]}) from exc
    return url


async def obtener(id: int) -> Suscripcion:
    """Subscription ``id``, or a 404."""
    suscripcion = await Suscripcion.get_or_none(id=id)
    if suscripcion is None:
        raise NotFound("Suscripción no encontrada.")
    return suscripcion


async def obtener_entrega(id: int) -> Entrega:
    """Delivery ``id``, or a 404."""
    entrega = await Entrega.get_or_none(id=id)
    if entrega is None:
        raise NotFound("Entrega no encontrada.")
    return entrega


async def crear(datos: dict[str, Any]) -> Suscripcion:
    """Store a validated subscription with a fresh secret."""
    return await Suscripcion.create(secreto=nuevo_secreto(), **datos)


async def actualizar(suscripcion: Suscripcion, datos: dict[str, Any]) -> Suscripcion:
    """Apply validated changes; switching it on again forgets the failure record."""
    if datos.get("activa") and not suscripcion.activa:
        datos = {**datos, "fallando_desde": None, "motivo_desactivacion": ""}
    suscripcion.update_from_dict(datos)
    await suscripcion.save()
    return suscripcion


async def rotar(suscripcion: Suscripcion, ajustes: WebhooksSettings) -> tuple[str, datetime | None]:
    """A new secret; the current one keeps signing for the grace period (none with 0 h)."""
    ahora = datetime.now(UTC)
    gracia = timedelta(hours=ajustes.gracia_rotacion_horas)
    nuevo = nuevo_secreto()
    hasta = ahora + gracia if gracia > timedelta(0) else None
    suscripcion.secreto_anterior = suscripcion.secreto if hasta is not None else ""
    suscripcion.anterior_hasta = hasta
    suscripcion.secreto = nuevo
    await suscripcion.save(update_fields=["secreto", "secreto_anterior", "anterior_hasta"])
    return nuevo, hasta
