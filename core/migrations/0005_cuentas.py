from tortoise import migrations
from tortoise.migrations import operations as ops
from core.auth.models import PropositoToken
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0004_salida")]

    initial = False

    operations = [
        ops.CreateModel(
            name="TokenCuenta",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("key_hash", fields.CharField(unique=True, max_length=64)),
                (
                    "proposito",
                    fields.CharEnumField(
                        description="RESTABLECER: RESTABLECER\nVERIFICAR: VERIFICAR",
                        enum_type=PropositoToken,
                        max_length=12,
                    ),
                ),
                (
                    "usuario",
                    fields.ForeignKeyField(
                        "core.Usuario",
                        source_field="usuario_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="tokens_cuenta",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("email", fields.CharField(default="", max_length=254)),
                ("creado", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expira", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "core_token_cuenta",
                "app": "core",
                "pk_attr": "id",
                "table_description": "A single-use token mailed to a user: a password reset or an e-mail verification.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Usuario",
            name="email_verificado",
            field=fields.BooleanField(default=True, db_default=True),
        ),
    ]
