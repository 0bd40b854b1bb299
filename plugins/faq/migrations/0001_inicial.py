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
            name="FAQ",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("pregunta", fields.CharField(max_length=500)),
                ("respuesta", fields.TextField(unique=False)),
                ("categoria", fields.CharField(max_length=100)),
                ("activa", fields.BooleanField(default=True)),
                ("orden", fields.IntField(default=0)),
                ("valoraciones_positivas", fields.IntField(default=0)),
                ("valoraciones_negativas", fields.IntField(default=0)),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("fecha_actualizacion", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "faq_faq",
                "app": "faq",
                "indexes": [
                    Index(fields=["activa", "orden", "id"]),
                    Index(fields=["categoria", "activa", "orden", "id"]),
                ],
                "pk_attr": "id",
                "table_description": "A frequently asked question with its answer, category and vote counts.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="VotoFAQ",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "faq",
                    fields.ForeignKeyField(
                        "faq.FAQ",
                        source_field="faq_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="votos",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "usuario",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="usuario_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="votos_faq",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("es_util", fields.BooleanField()),
                ("fecha", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "faq_voto",
                "app": "faq",
                "unique_together": (("faq", "usuario"),),
                "pk_attr": "id",
                "table_description": "The verdict of one user on one FAQ (one vote per user and FAQ, held by the database).",
            },
            bases=["Model"],
        ),
    ]
