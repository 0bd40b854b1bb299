from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0008_etiquetas")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ClaveApi",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("nombre", fields.CharField(max_length=100)),
                (
                    "prefijo",
                    fields.CharField(
                        description="The first characters of the secret.", max_length=16
                    ),
                ),
                ("key_hash", fields.CharField(unique=True, max_length=64)),
                (
                    "alcances",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("expira", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "creada_por",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="creada_por_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="claves_api",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("ultimo_uso", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("ultima_ip", fields.CharField(default="", max_length=64)),
                ("revocada", fields.BooleanField(default=False)),
                (
                    "fecha_revocacion",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "core_clave_api",
                "app": "core",
                "pk_attr": "id",
                "table_description": "An API key (``sk_…``) an admin created for an integration.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Idempotencia",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "principal",
                    fields.CharField(description="u:<user id> or k:<key id>", max_length=40),
                ),
                ("clave", fields.CharField(max_length=255)),
                (
                    "huella",
                    fields.CharField(
                        description="SHA-256 of method, path and body.", max_length=64
                    ),
                ),
                ("terminada", fields.BooleanField(default=False)),
                ("estado_http", fields.IntField(default=0)),
                (
                    "cabeceras",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("cuerpo", fields.BinaryField(null=True)),
                ("creada", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expira", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "core_idempotencia",
                "app": "core",
                "unique_together": (("principal", "clave"),),
                "pk_attr": "id",
                "table_description": "One ``Idempotency-Key`` of one principal: claimed before the handler runs, then the",
            },
            bases=["Model"],
        ),
    ]
