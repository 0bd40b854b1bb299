from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0007_historial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Etiqueta",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "nombre",
                    fields.CharField(
                        description="As shown (``Factura duplicada``), unique as compared by :attr:`clave`.",
                        max_length=50,
                    ),
                ),
                (
                    "clave",
                    fields.CharField(
                        unique=True,
                        description="The comparison key: lower case, accents removed, spaces collapsed (``factura duplicada``).",
                        max_length=50,
                    ),
                ),
                (
                    "color",
                    fields.CharField(
                        default="",
                        description="A CSS colour for the chip (``#RRGGBB``), or empty for the default.",
                        max_length=7,
                    ),
                ),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "core_etiqueta",
                "app": "core",
                "pk_attr": "id",
                "table_description": "One free tag: agents create them by using a new name, admins rename, merge, delete.",
            },
            bases=["Model"],
        ),
    ]
