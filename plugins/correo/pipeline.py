"""What one stored message becomes: analizar → safety → threading → a ticket or a reply.

Runs inside the transaction :mod:`plugins.correo.procesamiento` opened for the message, and
returns a :class:`Resultado` that it records on the row in that same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from plugins.correo.analisis import MensajeIlegible, analizar
from plugins.correo.models import EstadoMensaje

if TYPE_CHECKING:
    from aiohttp import web

    from plugins.correo.models import Mensaje


@dataclass(frozen=True, slots=True)
class Resultado:
    """The outcome of processing one message."""

    estado: EstadoMensaje
    motivo: str = ""
    remitente: str = ""
    asunto: str = ""
    ticket_id: int | None = None
    respuesta_id: int | None = None


async def procesar(app: web.Application, mensaje: Mensaje) -> Resultado:
    """Process one stored message; raising quarantines it (with the error as reason)."""
    try:
        analizado = analizar(bytes(mensaje.crudo))
    except MensajeIlegible as exc:
        return Resultado(EstadoMensaje.CUARENTENA, f"ilegible: {exc}")
    de, asunto = analizado.remitente, analizado.asunto
    if analizado.automatico is not None:
        motivo = f"automático: {analizado.automatico}"
        return Resultado(EstadoMensaje.IGNORADO, motivo, remitente=de, asunto=asunto)
    # (Threading and the ticket or reply: the next commits of this branch.)
    motivo = "sin procesar: canal en construcción"
    return Resultado(EstadoMensaje.CUARENTENA, motivo, remitente=de, asunto=asunto)
