"""The request and response models of ``correo``'s endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.api.pagination import PageQuery
from plugins.correo.models import EstadoMensaje, Origen

#: The raw message shown in a detail: at most this many bytes of it (decoded for display).
MAX_CRUDO_VISIBLE = 100_000


class RecibidoOut(BaseModel):
    """What ``POST /api/soporte/correo/entrante/`` stored."""

    id: int = Field(description="The stored message's id.")
    duplicado: bool = Field(
        description="A message with the same Message-ID was already stored: nothing new was."
    )


class MensajeQuery(PageQuery):
    """Filters of the list (newest first)."""

    estado: EstadoMensaje | None = Field(None, description="Only messages in this state.")


class MensajeOut(BaseModel):
    """One received message and what became of it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: str = Field(description="Its Message-ID (`<sha256@soporte>` if it had none).")
    origen: Origen
    remitente: str = Field(description="From's address (empty until processed).")
    asunto: str = Field(description="Its subject (empty until processed).")
    estado: EstadoMensaje
    motivo: str = Field(description="Why it was ignored or quarantined.")
    ticket_id: int | None = Field(description="The ticket it opened or replied to.")
    respuesta_id: int | None = Field(description="The reply it made, if any.")
    intentos: int = Field(description="Processing attempts since it was (re)queued.")
    fecha_recepcion: datetime
    fecha_proceso: datetime | None


class MensajeDetalle(MensajeOut):
    """One received message with its envelope and raw text."""

    sobre_remitente: str | None = Field(description="The SMTP envelope's MAIL FROM.")
    sobre_destinatarios: list[str] = Field(description="The SMTP envelope's RCPT TO.")
    tamano: int = Field(0, description="Size of the raw message, in bytes.")
    crudo: str = Field(
        "",
        description=f"The raw message as text (undecodable bytes replaced), its first "
        f"{MAX_CRUDO_VISIBLE} bytes.",
    )
