"""The tables of ``webhooks`` (Tortoise app label ``webhooks``): subscriptions and deliveries.

A delivery (:class:`Entrega`) is written in the transaction of the event that causes it, with
an outbox row (``core_envio``, channel ``webhooks``) that carries only its id: the outbox gives
durability, claiming and leases; this table keeps what a receiver and an admin care about (the
exact body, the order key, every attempt's outcome).
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class EstadoEntrega(StrEnum):
    """Where a delivery stands."""

    #: Not delivered yet (first attempt or retries to come).
    PENDIENTE = "PENDIENTE"
    #: The receiver answered 2xx.
    ENTREGADA = "ENTREGADA"
    #: Dead letter: refused for good, out of retries, or its subscription switched off.
    FALLIDA = "FALLIDA"


class Suscripcion(Model):
    """An admin's subscription: which events go to which URL, signed with which secret."""

    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=2000)
    #: Event type names (``ticket_creado``…), or ``["*"]`` for every event.
    eventos: fields.JSONField[list[str]] = fields.JSONField(default=list)
    activa = fields.BooleanField(default=True)
    descripcion = fields.CharField(max_length=500, default="")
    secreto = fields.CharField(max_length=200)
    #: The secret before the last rotation, still signing until ``anterior_hasta``.
    secreto_anterior = fields.CharField(max_length=200, default="")
    anterior_hasta = fields.DatetimeField(null=True)
    #: Since when every attempt has failed (``None``: the last one succeeded).
    fallando_desde = fields.DatetimeField(null=True)
    #: Why it was switched off by the system (empty: on, or switched off by an admin).
    motivo_desactivacion = fields.CharField(max_length=500, default="")
    fecha_creacion = fields.DatetimeField(auto_now_add=True)
    fecha_actualizacion = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhooks_suscripcion"

    def __str__(self) -> str:
        return f"webhook {self.id} → {self.url}"


class Entrega(Model):
    """One event to one subscription, with the outcome of its latest attempt."""

    id = fields.IntField(primary_key=True)
    suscripcion: fields.ForeignKeyRelation[Suscripcion] = fields.ForeignKeyField(
        "webhooks.Suscripcion", related_name="entregas", on_delete=fields.CASCADE
    )
    suscripcion_id: int
    #: The ``Soporte-Entrega`` header: the same on every attempt and redelivery.
    clave = fields.CharField(max_length=32, unique=True)
    tipo = fields.CharField(max_length=100)
    #: Deliveries with the same key (``ticket:12``) go out one after another, in ``id`` order.
    clave_orden = fields.CharField(max_length=100, null=True)
    #: The exact JSON body sent on every attempt.
    cuerpo = fields.TextField()
    estado = fields.CharEnumField(EstadoEntrega, max_length=12, default=EstadoEntrega.PENDIENTE)
    intentos = fields.IntField(default=0)
    #: The idempotency key (``core_envio.clave``) of the outbox row of the latest (re)delivery.
    envio_clave = fields.CharField(max_length=200, default="")
    codigo = fields.IntField(null=True, description="HTTP status of the latest attempt.")
    duracion_ms = fields.IntField(null=True)
    peticion = fields.TextField(default="", description="Excerpt of the latest request.")
    respuesta = fields.TextField(default="", description="Excerpt of the latest answer.")
    error = fields.TextField(default="")
    fecha_creacion = fields.DatetimeField(auto_now_add=True)
    fecha_intento = fields.DatetimeField(null=True)
    fecha_entrega = fields.DatetimeField(null=True)

    class Meta:
        table = "webhooks_entrega"
        # The order check: earlier pending deliveries of one subscription and key.
        indexes = (Index(fields=["suscripcion_id", "clave_orden", "estado", "id"]),)

    def __str__(self) -> str:
        return f"entrega {self.id} {self.tipo} ({self.estado})"


__models__ = [Suscripcion, Entrega]
