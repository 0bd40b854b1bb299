"""Support cases (Tortoise app label ``casos``).

A case is broader than a ticket: a complaint, suggestion, question or incident, possibly
affecting many customers and several bookings, followed by the support team. The customer it is
about (``cliente_afectado``) is its owner for visibility; a customer's own cases always name
them, so ownership also covers every case a customer created.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from core.auth.models import Usuario


class TipoCaso(StrEnum):
    """What kind of case it is."""

    RECLAMO = "RECLAMO"
    SUGERENCIA = "SUGERENCIA"
    CONSULTA = "CONSULTA"
    INCIDENTE = "INCIDENTE"


class Urgencia(StrEnum):
    """How urgent the case is, most urgent first."""

    CRITICA = "CRITICA"
    ALTA = "ALTA"
    MEDIA = "MEDIA"
    BAJA = "BAJA"


class Impacto(StrEnum):
    """How many customers the case affects."""

    INDIVIDUAL = "INDIVIDUAL"
    MULTIPLE = "MULTIPLE"
    MASIVO = "MASIVO"


class EstadoCaso(StrEnum):
    """Where the case is in its life (moves are checked in :mod:`plugins.casos.service`)."""

    ABIERTO = "ABIERTO"
    EN_INVESTIGACION = "EN_INVESTIGACION"
    RESUELTO = "RESUELTO"
    CERRADO = "CERRADO"


class Caso(Model):
    """One support case."""

    id = fields.IntField(primary_key=True)
    #: ``CS-000123``, derived from the id inside the creating transaction (unique by the id).
    numero = fields.CharField(max_length=40, unique=True)
    tipo_caso = fields.CharEnumField(TipoCaso, max_length=12)
    urgencia = fields.CharEnumField(Urgencia, max_length=8)
    titulo = fields.CharField(max_length=200)
    descripcion = fields.TextField()
    # Users are deactivated rather than deleted; should one be deleted, the case stays.
    cliente_afectado: fields.ForeignKeyNullableRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="casos_afectado", null=True, on_delete=fields.SET_NULL
    )
    cliente_afectado_id: int | None
    #: Booking ids of the host platform (validated through the ``validate_reserva`` hook).
    reservas_relacionadas: fields.JSONField[list[int]] = fields.JSONField(default=list)
    impacto_estimado = fields.CharEnumField(Impacto, max_length=12, default=Impacto.INDIVIDUAL)
    estado = fields.CharEnumField(EstadoCaso, max_length=16, default=EstadoCaso.ABIERTO)
    creado_por: fields.ForeignKeyRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="casos_creados", on_delete=fields.RESTRICT
    )
    fecha_creacion = fields.DatetimeField(auto_now_add=True)
    fecha_actualizacion = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "casos_caso"
        # One index per list: a customer's cases and each agent filter, newest first; the
        # urgent list and the dashboard count read (urgencia, estado) and order by date.
        indexes = (
            Index(fields=["cliente_afectado_id", "fecha_creacion"]),
            Index(fields=["fecha_creacion"]),
            Index(fields=["urgencia", "estado", "fecha_creacion"]),
            Index(fields=["estado", "fecha_creacion"]),
            Index(fields=["tipo_caso", "fecha_creacion"]),
        )

    def __str__(self) -> str:
        return f"{self.numero} {self.titulo}"


__models__ = [Caso]
