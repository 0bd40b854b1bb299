from tortoise import migrations
from tortoise.migrations import operations as ops
from plugins.tickets.models import Canal
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0005_cuentas"), ("tickets", "0003_indice_cuota")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="Respuesta",
            name="canal",
            field=fields.CharEnumField(
                default=Canal.TICKET,
                description="TICKET: TICKET\nCHAT: CHAT\nCORREO: CORREO",
                enum_type=Canal,
                max_length=8,
            ),
        ),
    ]
