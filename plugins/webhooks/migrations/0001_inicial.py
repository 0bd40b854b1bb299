from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from plugins.webhooks.models import EstadoEntrega
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Suscripcion",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("url", fields.CharField(max_length=2000)),
                (
                    "eventos",
                    fields.JSONField(
                        default=list,
                        description='Event type names (``ticket_creado``…), or ``["*"]`` for every event.',
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("activa", fields.BooleanField(default=True)),
                ("descripcion", fields.CharField(default="", max_length=500)),
                ("secreto", fields.CharField(max_length=200)),
                (
                    "secreto_anterior",
                    fields.CharField(
                        default="",
                        description="The secret before the last rotation, still signing until ``anterior_hasta``.",
                        max_length=200,
                    ),
                ),
                (
                    "anterior_hasta",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "fallando_desde",
                    fields.DatetimeField(
                        null=True,
                        description="Since when every attempt has failed (``None``: the last one succeeded).",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "motivo_desactivacion",
                    fields.CharField(
                        default="",
                        description="Why it was switched off by the system (empty: on, or switched off by an admin).",
                        max_length=500,
                    ),
                ),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("fecha_actualizacion", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "webhooks_suscripcion",
                "app": "webhooks",
                "pk_attr": "id",
                "table_description": "An admin's subscription: which events go to which URL, signed with which secret.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Entrega",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "suscripcion",
                    fields.ForeignKeyField(
                        "webhooks.Suscripcion",
                        source_field="suscripcion_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="entregas",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "clave",
                    fields.CharField(
                        unique=True,
                        description="The ``Soporte-Entrega`` header: the same on every attempt and redelivery.",
                        max_length=32,
                    ),
                ),
                ("tipo", fields.CharField(max_length=100)),
                (
                    "clave_orden",
                    fields.CharField(
                        null=True,
                        description="Deliveries with the same key (``ticket:12``) go out one after another, in ``id`` order.",
                        max_length=100,
                    ),
                ),
                (
                    "cuerpo",
                    fields.TextField(
                        description="The exact JSON body sent on every attempt.", unique=False
                    ),
                ),
                (
                    "estado",
                    fields.CharEnumField(
                        default=EstadoEntrega.PENDIENTE,
                        description="PENDIENTE: PENDIENTE\nENTREGADA: ENTREGADA\nFALLIDA: FALLIDA",
                        enum_type=EstadoEntrega,
                        max_length=12,
                    ),
                ),
                ("intentos", fields.IntField(default=0)),
                (
                    "envio_clave",
                    fields.CharField(
                        default="",
                        description="The idempotency key (``core_envio.clave``) of the outbox row of the latest (re)delivery.",
                        max_length=200,
                    ),
                ),
                (
                    "codigo",
                    fields.IntField(null=True, description="HTTP status of the latest attempt."),
                ),
                ("duracion_ms", fields.IntField(null=True)),
                (
                    "peticion",
                    fields.TextField(
                        default="", description="Excerpt of the latest request.", unique=False
                    ),
                ),
                (
                    "respuesta",
                    fields.TextField(
                        default="", description="Excerpt of the latest answer.", unique=False
                    ),
                ),
                ("error", fields.TextField(default="", unique=False)),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "fecha_intento",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "fecha_entrega",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "webhooks_entrega",
                "app": "webhooks",
                "indexes": [Index(fields=["suscripcion_id", "clave_orden", "estado", "id"])],
                "pk_attr": "id",
                "table_description": "One event to one subscription, with the outcome of its latest attempt.",
            },
            bases=["Model"],
        ),
    ]
