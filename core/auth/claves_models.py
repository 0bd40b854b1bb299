"""API keys for integrations and the idempotency records of creating requests (Tortoise app
label ``core``)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.auth.models import Usuario


class ClaveApi(Model):
    """An API key (``sk_…``) an admin created for an integration.

    Only a keyed hash of the secret is stored (HMAC-SHA256 under the ``api-keys`` purpose key of
    :mod:`core.keyring`), plus a short prefix to recognise it in lists. The key acts as the
    admin who created it, narrowed to its scopes (:mod:`core.auth.claves`).
    """

    id = fields.IntField(primary_key=True)
    nombre = fields.CharField(max_length=100)
    prefijo = fields.CharField(max_length=16, description="The first characters of the secret.")
    key_hash = fields.CharField(max_length=64, unique=True)
    alcances: fields.JSONField[list[str]] = fields.JSONField(default=list)
    expira = fields.DatetimeField(null=True)
    creada_por: fields.ForeignKeyRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="claves_api", on_delete=fields.CASCADE
    )
    creada_por_id: int
    fecha_creacion = fields.DatetimeField(auto_now_add=True)
    ultimo_uso = fields.DatetimeField(null=True)
    ultima_ip = fields.CharField(max_length=64, default="")
    revocada = fields.BooleanField(default=False)
    fecha_revocacion = fields.DatetimeField(null=True)

    class Meta:
        table = "core_clave_api"


class Idempotencia(Model):
    """One ``Idempotency-Key`` of one principal: claimed before the handler runs, then the
    answer it gave (replayed to every retry until ``expira``)."""

    id = fields.IntField(primary_key=True)
    principal = fields.CharField(max_length=40, description="u:<user id> or k:<key id>")
    clave = fields.CharField(max_length=255)
    huella = fields.CharField(max_length=64, description="SHA-256 of method, path and body.")
    terminada = fields.BooleanField(default=False)
    estado_http = fields.IntField(default=0)
    cabeceras: fields.JSONField[dict[str, str]] = fields.JSONField(default=dict)
    cuerpo = fields.BinaryField(null=True)
    creada = fields.DatetimeField(auto_now_add=True)
    expira = fields.DatetimeField(db_index=True)

    class Meta:
        table = "core_idempotencia"
        unique_together = (("principal", "clave"),)


__models__ = [ClaveApi, Idempotencia]
