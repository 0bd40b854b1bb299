from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.outbox_models import EstadoEnvio
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("core", "0003_sin_login_fallido")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Envio",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "canal",
                    fields.CharField(description="Delivery channel, e.g. mail.", max_length=50),
                ),
                (
                    "destino",
                    fields.CharField(
                        default="", description="Recipient, for display.", max_length=500
                    ),
                ),
                (
                    "payload",
                    fields.JSONField(
                        description="What the channel needs to deliver it.",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("clave", fields.CharField(null=True, unique=True, max_length=200)),
                (
                    "estado",
                    fields.CharEnumField(
                        default=EstadoEnvio.PENDIENTE,
                        description="PENDIENTE: PENDIENTE\nENVIADO: ENVIADO\nREGISTRADO: REGISTRADO\nFALLIDO: FALLIDO",
                        enum_type=EstadoEnvio,
                        max_length=12,
                    ),
                ),
                ("intentos", fields.IntField(default=0, description="Attempts started so far.")),
                (
                    "proximo_intento",
                    fields.DatetimeField(
                        description="When the next attempt is due.",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "reclamado_hasta",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("reclamo", fields.CharField(null=True, max_length=32)),
                ("ultimo_error", fields.TextField(default="", unique=False)),
                (
                    "message_id",
                    fields.CharField(default="", description="Mail's Message-ID.", max_length=300),
                ),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "fecha_envio",
                    fields.DatetimeField(
                        null=True,
                        description="When it was delivered or logged.",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
            ],
            options={
                "table": "core_envio",
                "app": "core",
                "indexes": [Index(fields=["estado", "proximo_intento"])],
                "pk_attr": "id",
                "table_description": "One delivery of the outbox (a mail, a webhook call…), with its attempts.",
            },
            bases=["Model"],
        ),
    ]
