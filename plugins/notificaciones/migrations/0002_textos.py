from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0010_idioma"), ("notificaciones", "0001_inicial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Notificacion",
            name="textos",
            field=fields.JSONField(
                null=True,
                description="Title and message as message ids with their values, rendered in the reader's language.",
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
    ]
