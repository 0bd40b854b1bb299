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

from core.auth.models import Equipo, Usuario
from core.tags_models import Etiqueta
from plugins.casos import etiquetas  # noqa: F401  (registers the labels of these enums)


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
    #: The agent in charge (an active AGENTE/ADMIN, with a team one of its members), or ``None``.
    agente_asignado: fields.ForeignKeyNullableRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="casos_asignados", null=True, on_delete=fields.SET_NULL
    )
    agente_asignado_id: int | None
    #: The team that follows the case, or ``None``.
    equipo: fields.ForeignKeyNullableRelation[Equipo] = fields.ForeignKeyField(
        "core.Equipo", related_name="casos", null=True, on_delete=fields.SET_NULL
    )
    equipo_id: int | None
    #: Ids of linked tickets (validated through ``plugins.tickets.api`` when tickets is on).
    tickets_relacionados: fields.JSONField[list[int]] = fields.JSONField(
        default=list, db_default="[]"
    )
    fecha_creacion = fields.DatetimeField(auto_now_add=True)
    fecha_actualizacion = fields.DatetimeField(auto_now=True)

    #: Free tags (``core.Etiqueta``), shared with tickets.
    etiquetas: fields.ManyToManyRelation[Etiqueta] = fields.ManyToManyField(
        "core.Etiqueta",
        related_name="casos",
        through="casos_caso_etiqueta",
        forward_key="etiqueta_id",
        backward_key="caso_id",
    )

    respuestas: fields.ReverseRelation[RespuestaCaso]
    adjuntos: fields.ReverseRelation[AdjuntoCaso]

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
            # "My cases" of an agent and a team's cases, newest first.
            Index(fields=["agente_asignado_id", "fecha_creacion"]),
            Index(fields=["equipo_id", "fecha_creacion"]),
        )

    def __str__(self) -> str:
        return f"{self.numero} {self.titulo}"


class RespuestaCaso(Model):
    """One message of a case's conversation: a reply, or an internal note (``interna``)."""

    id = fields.IntField(primary_key=True)
    caso: fields.ForeignKeyRelation[Caso] = fields.ForeignKeyField(
        "casos.Caso", related_name="respuestas", on_delete=fields.CASCADE
    )
    caso_id: int
    # Users are deactivated, not deleted: deleting one must not erase their answers silently.
    autor: fields.ForeignKeyRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="respuestas_caso", on_delete=fields.RESTRICT
    )
    autor_id: int
    mensaje = fields.TextField()
    #: An internal note: staff only, never shown to the customer (core.auth.guards decides).
    interna = fields.BooleanField(default=False)
    fecha_creacion = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "casos_respuesta"
        indexes = (Index(fields=["caso_id", "id"]),)


class AdjuntoCaso(Model):
    """A file of a case (``respuesta`` empty) or of one of its replies.

    Stored through :mod:`core.storage` like the tickets' uploads (random key, signed links);
    rows are created with their case in one transaction, so none is ever orphaned.
    """

    id = fields.IntField(primary_key=True)
    #: The storage key (random), never the client's file name.
    clave = fields.CharField(max_length=64, unique=True)
    #: The client's file name, sanitised, for display only.
    nombre = fields.CharField(max_length=255)
    tipo = fields.CharField(max_length=100)
    tamano = fields.BigIntField()
    subido_por: fields.ForeignKeyRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="adjuntos_caso", on_delete=fields.CASCADE
    )
    subido_por_id: int
    caso: fields.ForeignKeyRelation[Caso] = fields.ForeignKeyField(
        "casos.Caso", related_name="adjuntos", on_delete=fields.CASCADE
    )
    caso_id: int
    respuesta: fields.ForeignKeyNullableRelation[RespuestaCaso] = fields.ForeignKeyField(
        "casos.RespuestaCaso", related_name="adjuntos", null=True, on_delete=fields.CASCADE
    )
    respuesta_id: int | None
    fecha_creacion = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "casos_adjunto"
        # (subido_por, fecha_creacion): the upload quota sums one user's recent uploads.
        indexes = (
            Index(fields=["caso_id", "id"]),
            Index(fields=["subido_por_id", "fecha_creacion"]),
        )


__models__ = [Caso, RespuestaCaso, AdjuntoCaso]
