"""Tickets, their replies, attachments and ratings (Tortoise app label ``tickets``).

Every list the contract names is served by an index: a customer's own tickets
(``cliente, fecha_creacion``), the agents' filters (``estado``/``categoria``/``prioridad``/
``agente_asignado``/``nivel_escalamiento`` each with ``fecha_creacion``), the escalation clock
(``estado, esperando_desde``), open escalated tickets (``estado, nivel_escalamiento``), a
ticket's replies in order (``ticket, id``) and its attachments. Counts and dashboard totals
come from :mod:`plugins.tickets.agregados`, kept by triggers.

Model docstrings and ``#:`` comments become SQL comments, and tortoise's SQLite migration runner
splits statements on semicolons: keep semicolons out of them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from plugins.tickets import etiquetas  # noqa: F401  (registers the labels of these enums)

if TYPE_CHECKING:
    from core.auth.models import Equipo, Usuario
    from core.tags_models import Etiqueta


class Estado(StrEnum):
    """Where a ticket stands (the allowed moves: :mod:`plugins.tickets.service`)."""

    ABIERTO = "ABIERTO"
    EN_PROGRESO = "EN_PROGRESO"
    RESUELTO = "RESUELTO"
    CERRADO = "CERRADO"


class Prioridad(StrEnum):
    """How urgent a ticket is (default ``MEDIA``)."""

    ALTA = "ALTA"
    MEDIA = "MEDIA"
    BAJA = "BAJA"


class Categoria(StrEnum):
    """What a ticket is about."""

    TECNICO = "TECNICO"
    RESERVAS = "RESERVAS"
    PAGOS = "PAGOS"
    GENERAL = "GENERAL"


class Canal(StrEnum):
    """Where a reply was written: ``/responder/`` (TICKET), the WebSocket chat (CHAT), or an
    e-mail to the ticket's thread (CORREO, the ``correo`` plugin).

    The column is a ``VARCHAR(8)`` with no constraint on its values: a new value needs no
    migration. (The one ``makemigrations`` proposes only rewrites the column's description, and
    on SQLite it rebuilds ``tickets_respuesta`` without its index: do not generate it.)
    """

    TICKET = "TICKET"
    CHAT = "CHAT"
    CORREO = "CORREO"


class Ticket(Model):
    """A customer's support request."""

    id = fields.IntField(primary_key=True)
    #: ``TK-000123``, derived from the id inside the creating transaction (unique everywhere).
    numero = fields.CharField(max_length=40, unique=True)
    asunto = fields.CharField(max_length=200)
    descripcion = fields.TextField()
    categoria = fields.CharEnumField(Categoria, max_length=12)
    prioridad = fields.CharEnumField(Prioridad, max_length=8, default=Prioridad.MEDIA)
    estado = fields.CharEnumField(Estado, max_length=12, default=Estado.ABIERTO)
    cliente: fields.ForeignKeyRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="tickets", on_delete=fields.CASCADE
    )
    agente_asignado: fields.ForeignKeyNullableRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="tickets_asignados", null=True, on_delete=fields.SET_NULL
    )
    #: The team that serves the ticket (routed by category on creation), or ``None``.
    equipo: fields.ForeignKeyNullableRelation[Equipo] = fields.ForeignKeyField(
        "core.Equipo", related_name="tickets", null=True, on_delete=fields.SET_NULL
    )
    # The FK id columns tortoise sets on every instance; annotated for type checkers only (a
    # bare annotation is no field: the schema does not change).
    cliente_id: int
    agente_asignado_id: int | None
    equipo_id: int | None
    #: A booking id of the host platform (validated by the ``validate_reserva`` hook, if any).
    reserva_relacionada = fields.BigIntField(null=True)
    nivel_escalamiento = fields.IntField(default=0)
    #: When an agent first answered (``None`` until then).
    primera_respuesta_agente = fields.DatetimeField(null=True)
    #: Seconds from creation to the first agent answer, kept so that averages are a plain AVG.
    segundos_primera_respuesta = fields.IntField(null=True)
    #: Since when the customer waits for an agent's answer (the escalation clock), or ``None``.
    esperando_desde = fields.DatetimeField(null=True)
    fecha_creacion = fields.DatetimeField(auto_now_add=True, db_index=True)
    fecha_actualizacion = fields.DatetimeField(auto_now=True, db_index=True)

    #: Free tags (``core.Etiqueta``), read by the filter through ``(etiqueta_id, ticket_id)``.
    etiquetas: fields.ManyToManyRelation[Etiqueta] = fields.ManyToManyField(
        "core.Etiqueta",
        related_name="tickets",
        through="tickets_ticket_etiqueta",
        forward_key="etiqueta_id",
        backward_key="ticket_id",
    )

    respuestas: fields.ReverseRelation[Respuesta]
    adjuntos: fields.ReverseRelation[Adjunto]

    class Meta:
        table = "tickets_ticket"
        indexes = (
            ("cliente_id", "fecha_creacion"),
            ("estado", "fecha_creacion"),
            ("categoria", "fecha_creacion"),
            ("prioridad", "fecha_creacion"),
            ("agente_asignado_id", "fecha_creacion"),
            ("nivel_escalamiento", "fecha_creacion"),
            ("estado", "esperando_desde"),
            # Open escalated tickets (dashboard count, escalation monitor) without reading rows.
            ("estado", "nivel_escalamiento"),
            # The queue filtered by team, newest first.
            ("equipo_id", "fecha_creacion"),
        )

    def __str__(self) -> str:
        return f"{self.numero} {self.asunto}"


class Respuesta(Model):
    """One message in a ticket's conversation, from ``/responder/`` or the chat."""

    id = fields.IntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "tickets.Ticket", related_name="respuestas", on_delete=fields.CASCADE
    )
    # The FK's id column, which tortoise sets on every instance; annotated for type checkers
    # only (a bare annotation is no field: the schema does not change).
    ticket_id: int
    # Users are deactivated, not deleted: deleting one must not erase their answers silently.
    autor: fields.ForeignKeyRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="respuestas", on_delete=fields.RESTRICT
    )
    mensaje = fields.TextField()
    canal = fields.CharEnumField(Canal, max_length=8, default=Canal.TICKET)
    #: An internal note: agents only, never shown or sent to the customer (the rule lives in
    #: core.auth.guards), and it does not stop the escalation clock.
    interna = fields.BooleanField(default=False, db_default=False)
    fecha_creacion = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tickets_respuesta"
        indexes = (("ticket_id", "id"),)


class Adjunto(Model):
    """A stored file: unattached right after upload, then bound to a ticket or a reply.

    A reply's attachment has both ``ticket`` and ``respuesta`` set, the ticket's own ones have
    ``respuesta`` empty.
    """

    id = fields.IntField(primary_key=True)
    #: The storage key (random), never the client's file name.
    clave = fields.CharField(max_length=64, unique=True)
    #: The client's file name, sanitised, for display only.
    nombre = fields.CharField(max_length=255)
    tipo = fields.CharField(max_length=100)
    tamano = fields.BigIntField()
    subido_por: fields.ForeignKeyRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="adjuntos", on_delete=fields.CASCADE
    )
    ticket: fields.ForeignKeyNullableRelation[Ticket] = fields.ForeignKeyField(
        "tickets.Ticket", related_name="adjuntos", null=True, on_delete=fields.CASCADE
    )
    respuesta: fields.ForeignKeyNullableRelation[Respuesta] = fields.ForeignKeyField(
        "tickets.Respuesta", related_name="adjuntos", null=True, on_delete=fields.CASCADE
    )
    # The FK id columns tortoise sets on every instance; annotated for type checkers only (a
    # bare annotation is no field: the schema does not change).
    ticket_id: int | None
    respuesta_id: int | None
    fecha_creacion = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tickets_adjunto"
        # (subido_por, fecha_creacion): the upload quota sums one user's recent uploads.
        indexes = (
            ("ticket_id", "id"),
            ("respuesta_id",),
            ("subido_por_id",),
            ("subido_por_id", "fecha_creacion"),
        )


class Valoracion(Model):
    """The customer's rating of a resolved ticket, one per ticket (a new one replaces it)."""

    id = fields.IntField(primary_key=True)
    ticket: fields.OneToOneRelation[Ticket] = fields.OneToOneField(
        "tickets.Ticket", related_name="valoracion", on_delete=fields.CASCADE
    )
    # The FK's id column, which tortoise sets on every instance; annotated for type checkers
    # only (a bare annotation is no field: the schema does not change).
    ticket_id: int
    puntuacion = fields.SmallIntField(db_index=True)
    comentario = fields.TextField(default="")
    fecha_creacion = fields.DatetimeField(auto_now_add=True)
    fecha_actualizacion = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tickets_valoracion"


__models__ = [Ticket, Respuesta, Adjunto, Valoracion]
