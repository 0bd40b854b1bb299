"""Tortoise models of an ad-hoc plugin, for the ``register_models`` hook's test."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Nota(Model):
    """A note written by a core user."""

    id = fields.IntField(primary_key=True)
    texto = fields.CharField(max_length=200)
    autor = fields.ForeignKeyField("core.Usuario", related_name="notas_prueba")

    class Meta:
        table = "notas_nota"


__models__ = [Nota]
