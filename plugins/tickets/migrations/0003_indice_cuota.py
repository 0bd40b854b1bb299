from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("core", "0001_inicial"), ("tickets", "0002_indice_escalados")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Adjunto",
            index=Index(fields=["subido_por_id", "fecha_creacion"]),
        ),
    ]
