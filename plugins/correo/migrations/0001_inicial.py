from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from plugins.correo.models import EstadoMensaje, Origen
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Mensaje",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "message_id",
                    fields.CharField(unique=True, description="Its Message-ID.", max_length=500),
                ),
                (
                    "origen",
                    fields.CharEnumField(
                        description="SMTP: SMTP\nIMAP: IMAP\nAPI: API",
                        enum_type=Origen,
                        max_length=8,
                    ),
                ),
                ("crudo", fields.BinaryField(description="The raw message, exactly as received.")),
                (
                    "sobre_remitente",
                    fields.CharField(
                        null=True,
                        description="The SMTP envelope's MAIL FROM, if any.",
                        max_length=500,
                    ),
                ),
                (
                    "sobre_destinatarios",
                    fields.JSONField(
                        default=list,
                        description="The SMTP envelope's RCPT TO addresses.",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "estado",
                    fields.CharEnumField(
                        default=EstadoMensaje.RECIBIDO,
                        description="RECIBIDO: RECIBIDO\nPROCESADO: PROCESADO\nIGNORADO: IGNORADO\nCUARENTENA: CUARENTENA",
                        enum_type=EstadoMensaje,
                        max_length=12,
                    ),
                ),
                (
                    "motivo",
                    fields.TextField(
                        default="", description="Why it was ignored or quarantined.", unique=False
                    ),
                ),
                (
                    "remitente",
                    fields.CharField(default="", description="From's address.", max_length=320),
                ),
                (
                    "asunto",
                    fields.CharField(default="", description="Its subject.", max_length=500),
                ),
                (
                    "ticket_id",
                    fields.IntField(null=True, description="The ticket it opened or replied to."),
                ),
                (
                    "respuesta_id",
                    fields.IntField(null=True, description="The reply it made, if any."),
                ),
                (
                    "intentos",
                    fields.IntField(default=0, description="Processing attempts started so far."),
                ),
                ("reclamo", fields.CharField(null=True, max_length=32)),
                (
                    "reclamado_hasta",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("fecha_recepcion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "fecha_proceso",
                    fields.DatetimeField(
                        null=True,
                        description="When it was last processed.",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
            ],
            options={
                "table": "correo_mensaje",
                "app": "correo",
                "indexes": [
                    Index(fields=["estado", "id"], name="correo_mensaje_estado_id"),
                    Index(fields=["ticket_id", "id"], name="correo_mensaje_ticket_id"),
                ],
                "pk_attr": "id",
                "table_description": "Every raw e-mail message received, and what became of it.",
            },
            bases=["Model"],
        ),
    ]
