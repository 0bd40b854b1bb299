from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("core", "0006_equipos"), ("tickets", "0003_indice_cuota")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Respuesta",
            name="interna",
            field=fields.BooleanField(
                default=False,
                description="An internal note: agents only, never shown or sent to the customer (the rule lives in",
                db_default=False,
            ),
        ),
        ops.AddField(
            model_name="Ticket",
            name="equipo",
            field=fields.ForeignKeyField(
                "core.Equipo",
                source_field="equipo_id",
                null=True,
                description="The team that serves the ticket (routed by category on creation), or ``None``.",
                db_constraint=True,
                to_field="id",
                related_name="tickets",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddIndex(
            model_name="Ticket",
            index=Index(fields=["equipo_id", "fecha_creacion"]),
        ),
    ]
