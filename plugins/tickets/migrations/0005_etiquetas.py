from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0008_etiquetas"), ("tickets", "0004_equipo_interna")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Ticket",
            name="etiquetas",
            field=fields.ManyToManyField(
                "core.Etiqueta",
                unique=True,
                description="Free tags (``core.Etiqueta``), read by the filter through ``(etiqueta_id, ticket_id)``.",
                db_constraint=True,
                through="tickets_ticket_etiqueta",
                forward_key="etiqueta_id",
                backward_key="ticket_id",
                related_name="tickets",
                on_delete=OnDelete.CASCADE,
            ),
        ),
    ]
