"""The safety checks of one analysed message, before anything is made of it (issue 16, item 4).

In order: machine-sent mail (auto-replies, bounces, lists: ``Analizado.automatico``), our own
Message-IDs coming back (a loop through another system), our own addresses as the sender,
``require_authentication`` (SPF/DKIM/DMARC in ``Authentication-Results``), and the per-sender
rate limit ``sender_rate`` (core rate limits: shared through Redis when configured). Duplicate
Message-IDs never get here: storing already made them one row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING

from core.keys import SETTINGS
from core.ratelimit import allow, describe, parse_rate
from core.reply_address import from_parts, parse_reply_address, parse_thread_root
from plugins.correo.models import EstadoMensaje

if TYPE_CHECKING:
    from aiohttp import web

    from plugins.correo.analisis import Analizado
    from plugins.correo.settings import CorreoSettings

#: The name of the per-sender limit in the rate-limit storage.
LIMITE_REMITENTE = "correo_remitente"
#: The results of ``Authentication-Results`` that are checked.
METODOS = ("spf", "dkim", "dmarc")


@dataclass(frozen=True, slots=True)
class Rechazo:
    """Why a message makes nothing: IGNORADO (deliberately) or CUARENTENA (for an admin)."""

    estado: EstadoMensaje
    motivo: str


def direccion_soporte(app: web.Application, propios: CorreoSettings) -> str:
    """The support address: ``address``, else ``SOPORTE_MAIL_FROM``'s, lower-cased."""
    return (parseaddr(propios.address)[1] or parseaddr(app[SETTINGS].mail_from)[1]).lower()


def es_message_id_propio(app: web.Application, message_id: str | None) -> bool:
    """Whether ``message_id`` is one soporte makes: a thread root, or a
    :func:`core.mail.new_message_id` (``<32 hex digits@the mail domain>``)."""
    if not message_id:
        return False
    if parse_thread_root(app, message_id) is not None:
        return True
    dominio = re.escape(from_parts(app)[1])
    return re.fullmatch(rf"<[0-9a-f]{{32}}@{dominio}>", message_id, re.IGNORECASE) is not None


def es_remitente_propio(app: web.Application, propios: CorreoSettings, remitente: str) -> bool:
    """Whether the sender is one of our own addresses (the support address, the From of our
    mails, a signed reply address): mail from ourselves is a loop."""
    propias = {direccion_soporte(app, propios), parseaddr(app[SETTINGS].mail_from)[1].lower()}
    return remitente in propias or parse_reply_address(app, remitente) is not None


def fallo_autenticacion(autenticacion: Mapping[str, str]) -> str | None:
    """Why the ``Authentication-Results`` do not authenticate the sender (a ``fail`` of SPF,
    DKIM or DMARC, or no ``pass`` of any), or ``None`` when they do."""
    resultados = {m.lower(): str(v).lower() for m, v in autenticacion.items()}
    resultados = {m: v for m, v in resultados.items() if m in METODOS}
    fallidos = [f"{m}={v}" for m, v in sorted(resultados.items()) if v in ("fail", "permerror")]
    if fallidos:
        return "autenticación: " + ", ".join(fallidos)
    if "pass" not in resultados.values():
        return "autenticación: ningún resultado pass de SPF, DKIM o DMARC"
    return None


async def revisar(
    app: web.Application, propios: CorreoSettings, analizado: Analizado
) -> Rechazo | None:
    """Why the message must make nothing, or ``None`` when it may go on. The rate limit is
    counted last, only for messages that passed every other check."""
    if analizado.automatico is not None:
        return Rechazo(EstadoMensaje.IGNORADO, f"automático: {analizado.automatico}")
    if es_message_id_propio(app, analizado.message_id):
        return Rechazo(EstadoMensaje.IGNORADO, "bucle: el Message-ID es de un correo nuestro")
    if not analizado.remitente:
        return Rechazo(EstadoMensaje.CUARENTENA, "sin remitente (From)")
    if es_remitente_propio(app, propios, analizado.remitente):
        return Rechazo(EstadoMensaje.IGNORADO, "bucle: el remitente es una dirección nuestra")
    if propios.require_authentication:
        motivo = fallo_autenticacion(analizado.autenticacion)
        if motivo is not None:
            return Rechazo(EstadoMensaje.CUARENTENA, motivo)
    if not await allow(app, LIMITE_REMITENTE, analizado.remitente, rate=propios.sender_rate):
        item = parse_rate(propios.sender_rate)
        limite = describe(item) if item is not None else propios.sender_rate
        return Rechazo(EstadoMensaje.IGNORADO, f"límite de mensajes por remitente ({limite})")
    return None
