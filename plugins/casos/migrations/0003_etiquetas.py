from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("casos", "0002_conversacion"), ("core", "0008_etiquetas")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Caso",
            name="etiquetas",
            field=fields.ManyToManyField(
                "core.Etiqueta",
                unique=True,
                description="Free tags (``core.Etiqueta``), shared with tickets.",
                db_constraint=True,
                through="casos_caso_etiqueta",
                forward_key="etiqueta_id",
                backward_key="caso_id",
                related_name="casos",
                on_delete=OnDelete.CASCADE,
            ),
        ),
    ]
