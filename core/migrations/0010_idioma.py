from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0009_claves")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Usuario",
            name="idioma",
            field=fields.CharField(
                null=True, description="es or en, or null to follow the browser.", max_length=5
            ),
        ),
    ]
