from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("casos", "0001_inicial"), ("core", "0006_equipos")]

    initial = False

    operations = [
        ops.CreateModel(
            name="RespuestaCaso",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "caso",
                    fields.ForeignKeyField(
                        "casos.Caso",
                        source_field="caso_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="respuestas",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "autor",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="autor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="respuestas_caso",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("mensaje", fields.TextField(unique=False)),
                (
                    "interna",
                    fields.BooleanField(
                        default=False,
                        description="An internal note: staff only, never shown to the customer (core.auth.guards decides).",
                    ),
                ),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "casos_respuesta",
                "app": "casos",
                "indexes": [Index(fields=["caso_id", "id"])],
                "pk_attr": "id",
                "table_description": "One message of a case's conversation: a reply, or an internal note (``interna``).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AdjuntoCaso",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "clave",
                    fields.CharField(
                        unique=True,
                        description="The storage key (random), never the client's file name.",
                        max_length=64,
                    ),
                ),
                (
                    "nombre",
                    fields.CharField(
                        description="The client's file name, sanitised, for display only.",
                        max_length=255,
                    ),
                ),
                ("tipo", fields.CharField(max_length=100)),
                ("tamano", fields.BigIntField()),
                (
                    "subido_por",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="subido_por_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="adjuntos_caso",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "caso",
                    fields.ForeignKeyField(
                        "casos.Caso",
                        source_field="caso_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="adjuntos",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "respuesta",
                    fields.ForeignKeyField(
                        "casos.RespuestaCaso",
                        source_field="respuesta_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="adjuntos",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "casos_adjunto",
                "app": "casos",
                "indexes": [
                    Index(fields=["caso_id", "id"]),
                    Index(fields=["subido_por_id", "fecha_creacion"]),
                ],
                "pk_attr": "id",
                "table_description": "A file of a case (``respuesta`` empty) or of one of its replies.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Caso",
            name="agente_asignado",
            field=fields.ForeignKeyField(
                "core.Usuario",
                source_field="agente_asignado_id",
                null=True,
                description="The agent in charge (an active AGENTE/ADMIN, with a team one of its members), or ``None``.",
                db_constraint=True,
                to_field="id",
                related_name="casos_asignados",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddField(
            model_name="Caso",
            name="equipo",
            field=fields.ForeignKeyField(
                "core.Equipo",
                source_field="equipo_id",
                null=True,
                description="The team that follows the case, or ``None``.",
                db_constraint=True,
                to_field="id",
                related_name="casos",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddField(
            model_name="Caso",
            name="tickets_relacionados",
            field=fields.JSONField(
                default=list,
                db_default="[]",
                description="Ids of linked tickets (validated through ``plugins.tickets.api`` when tickets is on).",
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
        ops.AddIndex(
            model_name="Caso",
            index=Index(fields=["agente_asignado_id", "fecha_creacion"]),
        ),
        ops.AddIndex(
            model_name="Caso",
            index=Index(fields=["equipo_id", "fecha_creacion"]),
        ),
    ]
