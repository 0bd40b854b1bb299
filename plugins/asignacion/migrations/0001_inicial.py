from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_inicial"),
        ("core", "0002_esqueleto_username"),
        ("core", "0003_sin_login_fallido"),
        ("core", "0004_salida"),
        ("core", "0005_cuentas"),
        ("core", "0006_equipos"),
    ]

    initial = True

    operations = [
        ops.CreateModel(
            name="AgenteAsignacion",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "usuario",
                    fields.OneToOneField(
                        "core.Usuario",
                        source_field="usuario_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "capacidad",
                    fields.IntField(
                        null=True,
                        description="Most open tickets assigned automatically (``None``: the ``capacity`` setting).",
                    ),
                ),
                (
                    "horario",
                    fields.JSONField(
                        null=True,
                        description="The shift (:class:`plugins.asignacion.turnos.Turno` stored form), ``None`` for always.",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "activo",
                    fields.BooleanField(
                        default=True, description="``False``: never assigned automatically."
                    ),
                ),
                ("ultima_asignacion", fields.BigIntField(default=0)),
                ("asignados", fields.BigIntField(default=0)),
                ("fecha_actualizacion", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "asignacion_agente",
                "app": "asignacion",
                "pk_attr": "id",
                "table_description": "Assignment settings and round-robin state of one agent (created on first need).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Contador",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("valor", fields.BigIntField(default=0)),
            ],
            options={
                "table": "asignacion_contador",
                "app": "asignacion",
                "pk_attr": "id",
                "table_description": "The turn counter (one row): incremented, under its row lock, by every assignment.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Presencia",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "usuario",
                    fields.OneToOneField(
                        "core.Usuario",
                        source_field="usuario_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("visto", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "asignacion_presencia",
                "app": "asignacion",
                "pk_attr": "id",
                "table_description": "An agent seen with an open socket, and when last (the heartbeat).",
            },
            bases=["Model"],
        ),
    ]
