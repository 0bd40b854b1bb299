from tortoise import migrations
from tortoise.migrations import operations as ops
from plugins.tickets.models import Canal, Categoria, Estado, Prioridad
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("core", "0001_inicial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Ticket",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "numero",
                    fields.CharField(
                        unique=True,
                        description="``TK-000123``, derived from the id inside the creating transaction (unique everywhere).",
                        max_length=40,
                    ),
                ),
                ("asunto", fields.CharField(max_length=200)),
                ("descripcion", fields.TextField(unique=False)),
                (
                    "categoria",
                    fields.CharEnumField(
                        description="TECNICO: TECNICO\nRESERVAS: RESERVAS\nPAGOS: PAGOS\nGENERAL: GENERAL",
                        enum_type=Categoria,
                        max_length=12,
                    ),
                ),
                (
                    "prioridad",
                    fields.CharEnumField(
                        default=Prioridad.MEDIA,
                        description="ALTA: ALTA\nMEDIA: MEDIA\nBAJA: BAJA",
                        enum_type=Prioridad,
                        max_length=8,
                    ),
                ),
                (
                    "estado",
                    fields.CharEnumField(
                        default=Estado.ABIERTO,
                        description="ABIERTO: ABIERTO\nEN_PROGRESO: EN_PROGRESO\nRESUELTO: RESUELTO\nCERRADO: CERRADO",
                        enum_type=Estado,
                        max_length=12,
                    ),
                ),
                (
                    "cliente",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="cliente_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="tickets",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "agente_asignado",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="agente_asignado_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="tickets_asignados",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "reserva_relacionada",
                    fields.BigIntField(
                        null=True,
                        description="A booking id of the host platform (validated by the ``validate_reserva`` hook, if any).",
                    ),
                ),
                ("nivel_escalamiento", fields.IntField(default=0)),
                (
                    "primera_respuesta_agente",
                    fields.DatetimeField(
                        null=True,
                        description="When an agent first answered (``None`` until then).",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "segundos_primera_respuesta",
                    fields.IntField(
                        null=True,
                        description="Seconds from creation to the first agent answer, kept so that averages are a plain AVG.",
                    ),
                ),
                (
                    "esperando_desde",
                    fields.DatetimeField(
                        null=True,
                        description="Since when the customer waits for an agent's answer (the escalation clock), or ``None``.",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "fecha_creacion",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
                ),
                (
                    "fecha_actualizacion",
                    fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False),
                ),
            ],
            options={
                "table": "tickets_ticket",
                "app": "tickets",
                "indexes": [
                    Index(fields=["cliente_id", "fecha_creacion"]),
                    Index(fields=["estado", "fecha_creacion"]),
                    Index(fields=["categoria", "fecha_creacion"]),
                    Index(fields=["prioridad", "fecha_creacion"]),
                    Index(fields=["agente_asignado_id", "fecha_creacion"]),
                    Index(fields=["nivel_escalamiento", "fecha_creacion"]),
                    Index(fields=["estado", "esperando_desde"]),
                ],
                "pk_attr": "id",
                "table_description": "A customer's support request.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Respuesta",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "ticket",
                    fields.ForeignKeyField(
                        "tickets.Ticket",
                        source_field="ticket_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="respuestas",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "autor",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="autor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="respuestas",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("mensaje", fields.TextField(unique=False)),
                (
                    "canal",
                    fields.CharEnumField(
                        default=Canal.TICKET,
                        description="TICKET: TICKET\nCHAT: CHAT",
                        enum_type=Canal,
                        max_length=8,
                    ),
                ),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "tickets_respuesta",
                "app": "tickets",
                "indexes": [Index(fields=["ticket_id", "id"])],
                "pk_attr": "id",
                "table_description": "One message in a ticket's conversation, from ``/responder/`` or the chat.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Adjunto",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "clave",
                    fields.CharField(
                        unique=True,
                        description="The storage key (random), never the client's file name.",
                        max_length=64,
                    ),
                ),
                (
                    "nombre",
                    fields.CharField(
                        description="The client's file name, sanitised, for display only.",
                        max_length=255,
                    ),
                ),
                ("tipo", fields.CharField(max_length=100)),
                ("tamano", fields.BigIntField()),
                (
                    "subido_por",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="subido_por_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="adjuntos",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "ticket",
                    fields.ForeignKeyField(
                        "tickets.Ticket",
                        source_field="ticket_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="adjuntos",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "respuesta",
                    fields.ForeignKeyField(
                        "tickets.Respuesta",
                        source_field="respuesta_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="adjuntos",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "tickets_adjunto",
                "app": "tickets",
                "indexes": [
                    Index(fields=["ticket_id", "id"]),
                    Index(fields=["respuesta_id"]),
                    Index(fields=["subido_por_id"]),
                ],
                "pk_attr": "id",
                "table_description": "A stored file: unattached right after upload, then bound to a ticket or a reply.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Valoracion",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "ticket",
                    fields.OneToOneField(
                        "tickets.Ticket",
                        source_field="ticket_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="valoracion",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("puntuacion", fields.SmallIntField(db_index=True)),
                ("comentario", fields.TextField(default="", unique=False)),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("fecha_actualizacion", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "tickets_valoracion",
                "app": "tickets",
                "pk_attr": "id",
                "table_description": "The customer's rating of a resolved ticket, one per ticket (a new one replaces it).",
            },
            bases=["Model"],
        ),
    ]
