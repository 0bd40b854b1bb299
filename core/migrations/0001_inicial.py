from tortoise import migrations
from tortoise.migrations import operations as ops
from core.auth.models import Rol
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="LoginFallido",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("clave", fields.CharField(max_length=300)),
                ("fecha", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "core_login_fallido",
                "app": "core",
                "indexes": [Index(fields=["clave", "fecha"])],
                "pk_attr": "id",
                "table_description": "One failed login, kept for throttling in the database so that every process agrees.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Usuario",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("username", fields.CharField(unique=True, max_length=150)),
                ("password_hash", fields.CharField(max_length=255)),
                ("nombre", fields.CharField(default="", max_length=200)),
                ("email", fields.CharField(default="", max_length=254)),
                (
                    "rol",
                    fields.CharEnumField(
                        default=Rol.CLIENTE,
                        db_index=True,
                        description="CLIENTE: CLIENTE\nAGENTE: AGENTE\nADMIN: ADMIN",
                        enum_type=Rol,
                        max_length=10,
                    ),
                ),
                ("activo", fields.BooleanField(default=True)),
                ("fecha_creacion", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "core_usuario",
                "app": "core",
                "pk_attr": "id",
                "table_description": "A person who logs in: a customer, an agent or an admin.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Token",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("key_hash", fields.CharField(unique=True, max_length=64)),
                (
                    "usuario",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="usuario_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("creado", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expira", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "core_token",
                "app": "core",
                "pk_attr": "id",
                "table_description": "An API token. Only the SHA-256 of the random secret is stored.",
            },
            bases=["Model"],
        ),
    ]
