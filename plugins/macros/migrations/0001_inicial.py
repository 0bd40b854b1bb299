from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from plugins.macros.models import Ambito
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0006_equipos")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Macro",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("nombre", fields.CharField(max_length=100)),
                ("descripcion", fields.CharField(default="", max_length=500)),
                ("mensaje", fields.TextField(unique=False)),
                ("interna", fields.BooleanField(default=False)),
                (
                    "acciones",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "ambito",
                    fields.CharEnumField(
                        description="PERSONAL: PERSONAL\nEQUIPO: EQUIPO\nGLOBAL: GLOBAL",
                        enum_type=Ambito,
                        max_length=10,
                    ),
                ),
                (
                    "propietario",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="propietario_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="macros",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "equipo",
                    fields.ForeignKeyField(
                        "core.Equipo",
                        source_field="equipo_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="macros",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("alcance", fields.CharField(db_index=True, max_length=40)),
                ("activa", fields.BooleanField(default=True)),
                ("usos", fields.IntField(default=0)),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("fecha_actualizacion", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "macros_macro",
                "app": "macros",
                "unique_together": (("alcance", "nombre"),),
                "pk_attr": "id",
                "table_description": "A canned reply (a template) and the field changes applied with it.",
            },
            bases=["Model"],
        ),
    ]
