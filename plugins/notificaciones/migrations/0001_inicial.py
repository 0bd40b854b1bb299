from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("core", "0001_inicial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Notificacion",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "usuario",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="usuario_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="notificaciones",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("tipo", fields.CharField(max_length=32)),
                ("titulo", fields.CharField(max_length=200)),
                ("mensaje", fields.TextField(unique=False)),
                (
                    "url",
                    fields.CharField(
                        default="",
                        description="A path of the portal or the console (``/tickets/12/``), never an absolute URL.",
                        max_length=300,
                    ),
                ),
                (
                    "ticket_id",
                    fields.IntField(
                        null=True,
                        description="The ticket it is about, if any (a plain id: a notification outlives nothing it names).",
                    ),
                ),
                ("leida", fields.BooleanField(default=False)),
                ("en_app", fields.BooleanField(default=True)),
                ("correo", fields.BooleanField(default=False)),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "notificaciones_notificacion",
                "app": "notificaciones",
                "indexes": [
                    Index(fields=["usuario_id", "leida", "id"], name="notif_usuario_leida_id"),
                    Index(fields=["usuario_id", "id"], name="notif_usuario_id"),
                    Index(
                        fields=["ticket_id", "usuario_id", "correo", "leida", "fecha_creacion"],
                        name="notif_coalescer",
                    ),
                ],
                "pk_attr": "id",
                "table_description": "One event told to one recipient: a row per recipient and event.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Preferencia",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "usuario",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="usuario_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="preferencias_notificacion",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("tipo", fields.CharField(max_length=32)),
                ("app", fields.BooleanField()),
                ("email", fields.BooleanField()),
            ],
            options={
                "table": "notificaciones_preferencia",
                "app": "notificaciones",
                "unique_together": (("usuario", "tipo"),),
                "pk_attr": "id",
                "table_description": "A user's choice for one ``tipo`` (only the choices that differ from the defaults of",
            },
            bases=["Model"],
        ),
    ]
