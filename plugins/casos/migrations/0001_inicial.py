from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from plugins.casos.models import EstadoCaso, Impacto, TipoCaso, Urgencia
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("core", "0001_inicial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Caso",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "numero",
                    fields.CharField(
                        unique=True,
                        description="``CS-000123``, derived from the id inside the creating transaction (unique by the id).",
                        max_length=40,
                    ),
                ),
                (
                    "tipo_caso",
                    fields.CharEnumField(
                        description="RECLAMO: RECLAMO\nSUGERENCIA: SUGERENCIA\nCONSULTA: CONSULTA\nINCIDENTE: INCIDENTE",
                        enum_type=TipoCaso,
                        max_length=12,
                    ),
                ),
                (
                    "urgencia",
                    fields.CharEnumField(
                        description="CRITICA: CRITICA\nALTA: ALTA\nMEDIA: MEDIA\nBAJA: BAJA",
                        enum_type=Urgencia,
                        max_length=8,
                    ),
                ),
                ("titulo", fields.CharField(max_length=200)),
                ("descripcion", fields.TextField(unique=False)),
                (
                    "cliente_afectado",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="cliente_afectado_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="casos_afectado",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "reservas_relacionadas",
                    fields.JSONField(
                        default=list,
                        description="Booking ids of the host platform (validated through the ``validate_reserva`` hook).",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "impacto_estimado",
                    fields.CharEnumField(
                        default=Impacto.INDIVIDUAL,
                        description="INDIVIDUAL: INDIVIDUAL\nMULTIPLE: MULTIPLE\nMASIVO: MASIVO",
                        enum_type=Impacto,
                        max_length=12,
                    ),
                ),
                (
                    "estado",
                    fields.CharEnumField(
                        default=EstadoCaso.ABIERTO,
                        description="ABIERTO: ABIERTO\nEN_INVESTIGACION: EN_INVESTIGACION\nRESUELTO: RESUELTO\nCERRADO: CERRADO",
                        enum_type=EstadoCaso,
                        max_length=16,
                    ),
                ),
                (
                    "creado_por",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="creado_por_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="casos_creados",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("fecha_actualizacion", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "casos_caso",
                "app": "casos",
                "indexes": [
                    Index(fields=["cliente_afectado_id", "fecha_creacion"]),
                    Index(fields=["fecha_creacion"]),
                    Index(fields=["urgencia", "estado", "fecha_creacion"]),
                    Index(fields=["estado", "fecha_creacion"]),
                    Index(fields=["tipo_caso", "fecha_creacion"]),
                ],
                "pk_attr": "id",
                "table_description": "One support case.",
            },
            bases=["Model"],
        ),
    ]
