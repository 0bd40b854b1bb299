"""The change history table (Tortoise app label ``core``): one row per changed field.

Generic over what changed: ``entidad`` names the kind of object (``ticket``, ``caso``) and
``entidad_id`` its id, so that one table and one reader (:mod:`core.history`) serve every
feature; rows are written by :func:`core.history.record` in the transaction of the change.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from core.auth.models import Usuario


class Cambio(Model):
    """One field of one object changed: from ``anterior`` to ``nuevo``, by whom, from where."""

    id = fields.IntField(primary_key=True)
    entidad = fields.CharField(max_length=20, description="Kind of object: ticket, caso.")
    entidad_id = fields.IntField(description="The changed object's id.")
    campo = fields.CharField(max_length=50, description="Field name, or creado for creation.")
    # JSON values as the event carried them (enum values as strings, users as ids); NULL is
    # "no value" (an unassigned ticket).
    anterior: fields.JSONField[Any] = fields.JSONField(null=True)
    nuevo: fields.JSONField[Any] = fields.JSONField(null=True)
    # Users are deactivated, not deleted; SET_NULL keeps the history if one ever is.
    autor: fields.ForeignKeyNullableRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    canal = fields.CharField(max_length=10, description="API, CHAT, CORREO or SISTEMA.")
    publico = fields.BooleanField(default=False, description="Shown to the customer.")
    fecha = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_cambio"
        # The one read: an object's history in order (id is the insertion order).
        indexes = (Index(fields=["entidad", "entidad_id", "id"]),)

    def __str__(self) -> str:
        return f"{self.entidad} {self.entidad_id}: {self.campo} {self.anterior!r} → {self.nuevo!r}"


__models__ = [Cambio]
