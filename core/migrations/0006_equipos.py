from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0005_cuentas")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Equipo",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("nombre", fields.CharField(unique=True, max_length=100)),
                ("descripcion", fields.TextField(default="", unique=False)),
                (
                    "categorias",
                    fields.JSONField(
                        default=list,
                        description="Ticket categories (``Categoria`` values of the tickets plugin) the team serves: a new",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("activo", fields.BooleanField(default=True)),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "miembros",
                    fields.ManyToManyField(
                        "core.Usuario",
                        unique=True,
                        db_constraint=True,
                        through="core_equipo_miembro",
                        forward_key="usuario_id",
                        backward_key="core_equipo_id",
                        related_name="equipos",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "core_equipo",
                "app": "core",
                "pk_attr": "id",
                "table_description": "A team of agents: who answers which categories (issue 17).",
            },
            bases=["Model"],
        ),
    ]
