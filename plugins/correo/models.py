"""The table of ``correo`` (Tortoise app label ``correo``): every raw message received.

A message is stored first, as received (``crudo``), in its own committed transaction — that is
what a transport acknowledges — and processed afterwards by :mod:`plugins.correo.procesamiento`,
which claims the row through the database (``reclamo``/``reclamado_hasta``, as the outbox does)
and records the outcome (``estado``, ``motivo``, ``ticket_id``, ``respuesta_id``) in the same
transaction as the ticket or reply it made.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Origen(StrEnum):
    """How a message came in."""

    SMTP = "SMTP"
    IMAP = "IMAP"
    API = "API"


class EstadoMensaje(StrEnum):
    """Where a received message stands."""

    #: Stored, waiting to be processed (or being processed under a claim).
    RECIBIDO = "RECIBIDO"
    #: Made into a ticket or a reply (``ticket_id``, ``respuesta_id``).
    PROCESADO = "PROCESADO"
    #: Deliberately made into nothing: an auto-reply, a loop, a refused sender (``motivo``).
    IGNORADO = "IGNORADO"
    #: Could not be processed (``motivo``): an admin may look at it and retry it.
    CUARENTENA = "CUARENTENA"


class Mensaje(Model):
    """One raw e-mail message received, and what became of it."""

    id = fields.IntField(primary_key=True)
    # Always set: the header's, or ``<sha256-of-the-raw-bytes@soporte>`` when it has none, so
    # that the unique index makes storing idempotent.
    message_id = fields.CharField(max_length=500, unique=True, description="Its Message-ID.")
    origen = fields.CharEnumField(Origen, max_length=8)
    crudo = fields.BinaryField(description="The raw message, exactly as received.")
    sobre_remitente = fields.CharField(
        max_length=500, null=True, description="The SMTP envelope's MAIL FROM, if any."
    )
    sobre_destinatarios: fields.JSONField[list[str]] = fields.JSONField(
        default=list, description="The SMTP envelope's RCPT TO addresses."
    )
    estado = fields.CharEnumField(EstadoMensaje, max_length=12, default=EstadoMensaje.RECIBIDO)
    motivo = fields.TextField(default="", description="Why it was ignored or quarantined.")
    # Filled by processing, for the admins' list (reading them there needs no parsing).
    remitente = fields.CharField(max_length=320, default="", description="From's address.")
    asunto = fields.CharField(max_length=500, default="", description="Its subject.")
    # Plain ids (a message outlives nothing it names, and plugins do not share foreign keys).
    ticket_id = fields.IntField(null=True, description="The ticket it opened or replied to.")
    respuesta_id = fields.IntField(null=True, description="The reply it made, if any.")
    intentos = fields.IntField(default=0, description="Processing attempts started so far.")
    # The claim of the process processing it: past ``reclamado_hasta`` another may take it.
    reclamo = fields.CharField(max_length=32, null=True)
    reclamado_hasta = fields.DatetimeField(null=True)
    fecha_recepcion = fields.DatetimeField(auto_now_add=True)
    fecha_proceso = fields.DatetimeField(null=True, description="When it was last processed.")

    class Meta:
        table = "correo_mensaje"
        table_description = "Every raw e-mail message received, and what became of it."
        indexes = (
            # The sweep's claim and the admins' filter: by state, oldest first.
            Index(fields=["estado", "id"], name="correo_mensaje_estado_id"),
            # Threading and notifications: the stored messages of a ticket.
            Index(fields=["ticket_id", "id"], name="correo_mensaje_ticket_id"),
        )

    def __str__(self) -> str:
        return f"mensaje {self.id} {self.message_id} ({self.estado})"


__models__ = [Mensaje]
