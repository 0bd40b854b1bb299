from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from plugins.escalamiento.models import NivelAlerta
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("core", "0001_inicial"), ("tickets", "0001_inicial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Regla",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("nombre", fields.CharField(default="", max_length=200)),
                ("politica", fields.CharField(default="tiempo_respuesta", max_length=100)),
                (
                    "tiempo_respuesta_maximo",
                    fields.FloatField(
                        description="Hours (may be fractional) a ticket may wait per level."
                    ),
                ),
                (
                    "prioridades_escalamiento",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "categorias",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "niveles_escalamiento",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("notificaciones_automaticas", fields.BooleanField(default=False)),
                ("activa", fields.BooleanField(default=True, db_index=True)),
                (
                    "horario",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("fecha_actualizacion", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "escalamiento_regla",
                "app": "escalamiento",
                "pk_attr": "id",
                "table_description": "An escalation rule: which tickets, how long they may wait, how many levels, which policy.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Escalamiento",
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
                        related_name="escalamientos",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "regla",
                    fields.ForeignKeyField(
                        "escalamiento.Regla",
                        source_field="regla_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="escalamientos",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("politica", fields.CharField(max_length=100)),
                ("nivel", fields.SmallIntField()),
                (
                    "periodo",
                    fields.DatetimeField(
                        description="Start of the clock this level belongs to (the policy's period, e.g. ``esperando_desde``).",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("fecha", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "escalamiento_escalamiento",
                "app": "escalamiento",
                "unique_together": (("ticket", "periodo", "nivel"),),
                "pk_attr": "id",
                "table_description": "One level reached by one ticket within one clock period, never repeated nor deleted.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Alerta",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "nivel",
                    fields.CharEnumField(
                        description="INFO: info\nADVERTENCIA: advertencia\nCRITICA: critica",
                        enum_type=NivelAlerta,
                        max_length=12,
                    ),
                ),
                ("mensaje", fields.CharField(max_length=500)),
                ("timestamp", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "ticket",
                    fields.ForeignKeyField(
                        "tickets.Ticket",
                        source_field="ticket_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="alertas",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "escalamiento",
                    fields.ForeignKeyField(
                        "escalamiento.Escalamiento",
                        source_field="escalamiento_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="alertas",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("leida", fields.BooleanField(default=False)),
                (
                    "leida_por",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="leida_por_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="alertas_leidas",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "fecha_lectura",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "escalamiento_alerta",
                "app": "escalamiento",
                "indexes": [Index(fields=["leida", "timestamp"])],
                "pk_attr": "id",
                "table_description": "A notice for agents (the monitor shows the unread ones).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="EstadoEscalamiento",
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
                        related_name="estado_escalamiento",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("nivel", fields.SmallIntField()),
                ("fecha", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "escalamiento",
                    fields.ForeignKeyField(
                        "escalamiento.Escalamiento",
                        source_field="escalamiento_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
            ],
            options={
                "table": "escalamiento_estado",
                "app": "escalamiento",
                "pk_attr": "id",
                "table_description": "A ticket's latest escalation (one row per ticket ever escalated).",
            },
            bases=["Model"],
        ),
    ]
