"""Macros: named canned replies of an agent, a team or everybody (Tortoise app label ``macros``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from core.auth.models import Equipo, Usuario
from plugins.macros import etiquetas  # noqa: F401  (registers the labels of these enums)


class Ambito(StrEnum):
    """Who a macro belongs to: one agent, one team, or every agent."""

    PERSONAL = "PERSONAL"
    EQUIPO = "EQUIPO"
    GLOBAL = "GLOBAL"


class Macro(Model):
    """A canned reply (a template) and the field changes applied with it.

    ``alcance`` is the scope's key (``PERSONAL:<user id>``, ``EQUIPO:<team id>``, ``GLOBAL``),
    kept by the service from ``ambito``, ``propietario`` and ``equipo``: the database holds the
    rule that a name is unique within its scope, so two agents creating the same name at once
    cannot both succeed. ``usos`` only moves through an atomic ``F()`` update.
    """

    id = fields.IntField(primary_key=True)
    nombre = fields.CharField(max_length=100)
    descripcion = fields.CharField(max_length=500, default="")
    mensaje = fields.TextField()
    interna = fields.BooleanField(default=False)
    acciones: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    ambito = fields.CharEnumField(Ambito, max_length=10)
    propietario: fields.ForeignKeyNullableRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="macros", null=True, on_delete=fields.CASCADE
    )
    equipo: fields.ForeignKeyNullableRelation[Equipo] = fields.ForeignKeyField(
        "core.Equipo", related_name="macros", null=True, on_delete=fields.CASCADE
    )
    alcance = fields.CharField(max_length=40, db_index=True)
    activa = fields.BooleanField(default=True)
    usos = fields.IntField(default=0)
    fecha_creacion = fields.DatetimeField(auto_now_add=True)
    fecha_actualizacion = fields.DatetimeField(auto_now=True)

    propietario_id: int | None
    equipo_id: int | None

    class Meta:
        table = "macros_macro"
        unique_together = (("alcance", "nombre"),)

    def __str__(self) -> str:
        return self.nombre


__models__ = [Macro]
