from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("core", "0006_equipos")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Cambio",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "entidad",
                    fields.CharField(description="Kind of object: ticket, caso.", max_length=20),
                ),
                ("entidad_id", fields.IntField(description="The changed object's id.")),
                (
                    "campo",
                    fields.CharField(
                        description="Field name, or creado for creation.", max_length=50
                    ),
                ),
                (
                    "anterior",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "nuevo",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "autor",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="autor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "canal",
                    fields.CharField(description="API, CHAT, CORREO or SISTEMA.", max_length=10),
                ),
                (
                    "publico",
                    fields.BooleanField(default=False, description="Shown to the customer."),
                ),
                ("fecha", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "core_cambio",
                "app": "core",
                "indexes": [Index(fields=["entidad", "entidad_id", "id"])],
                "pk_attr": "id",
                "table_description": "One field of one object changed: from ``anterior`` to ``nuevo``, by whom, from where.",
            },
            bases=["Model"],
        ),
    ]
