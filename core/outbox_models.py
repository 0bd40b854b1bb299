"""The outbox table (Tortoise app label ``core``): one row per delivery to make.

A row is written in the same transaction as the change that causes it (see
:func:`core.mail.queue_mail`), and delivered later by the worker of :mod:`core.outbox`, which
claims it through the database. Generic: ``canal`` names the delivery channel (``mail`` in the
core; webhooks and others declare theirs with the hook ``register_outbox_channels``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class EstadoEnvio(StrEnum):
    """Where a delivery stands."""

    #: Waiting for its (next) attempt at ``proximo_intento``.
    PENDIENTE = "PENDIENTE"
    #: Handed to its channel (for mail: accepted by the SMTP server).
    ENVIADO = "ENVIADO"
    #: No transport configured: written to the log instead (``make run`` with nothing installed).
    REGISTRADO = "REGISTRADO"
    #: Dead letter: refused for good, or out of attempts. An admin may retry it.
    FALLIDO = "FALLIDO"


class Envio(Model):
    """One delivery of the outbox (a mail, a webhook call…), with its attempts."""

    id = fields.IntField(primary_key=True)
    canal = fields.CharField(max_length=50, description="Delivery channel, e.g. mail.")
    destino = fields.CharField(max_length=500, default="", description="Recipient, for display.")
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField(
        description="What the channel needs to deliver it."
    )
    # Optional idempotency key: a second row with the same key is never written.
    clave = fields.CharField(max_length=200, null=True, unique=True)
    estado = fields.CharEnumField(EstadoEnvio, max_length=12, default=EstadoEnvio.PENDIENTE)
    intentos = fields.IntField(default=0, description="Attempts started so far.")
    proximo_intento = fields.DatetimeField(description="When the next attempt is due.")
    # The lease of the worker delivering it: past this instant another process may claim it.
    reclamado_hasta = fields.DatetimeField(null=True)
    # The claim's random token: only the claimant may record the attempt's outcome.
    reclamo = fields.CharField(max_length=32, null=True)
    ultimo_error = fields.TextField(default="")
    message_id = fields.CharField(max_length=300, default="", description="Mail's Message-ID.")
    fecha_creacion = fields.DatetimeField(auto_now_add=True)
    fecha_envio = fields.DatetimeField(null=True, description="When it was delivered or logged.")

    class Meta:
        table = "core_envio"
        # The worker's claim: due pending rows, oldest first.
        indexes = (Index(fields=["estado", "proximo_intento"]),)

    def __str__(self) -> str:
        return f"envio {self.id} {self.canal} → {self.destino} ({self.estado})"


__models__ = [Envio]
