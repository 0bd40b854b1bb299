from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_claves"),
        ("escalamiento", "0001_inicial"),
        ("tickets", "0005_etiquetas"),
    ]

    initial = False

    operations = [
        ops.AddField(
            model_name="Regla",
            name="parametros",
            field=fields.JSONField(
                null=True,
                description="The values of the policy's own parameters (``None``: none stored, as before they existed).",
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
    ]
