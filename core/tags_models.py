"""The tag vocabulary (Tortoise app label ``core``): free tags shared by tickets and cases.

Tags live in core, beside teams, because two features carry them (``tickets`` and ``casos``,
neither of which requires the other) and search, bulk actions and exports filter on them.
Each feature links its objects through a many-to-many table of its own
(``tickets_ticket_etiqueta``, ``casos_caso_etiqueta``).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Etiqueta(Model):
    """One free tag: agents create them by using a new name, admins rename, merge, delete."""

    id = fields.IntField(primary_key=True)
    #: As shown (``Factura duplicada``), unique as compared by :attr:`clave`.
    nombre = fields.CharField(max_length=50)
    #: The comparison key: lower case, accents removed, spaces collapsed (``factura duplicada``).
    clave = fields.CharField(max_length=50, unique=True)
    #: A CSS colour for the chip (``#RRGGBB``), or empty for the default.
    color = fields.CharField(max_length=7, default="")
    fecha_creacion = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_etiqueta"

    def __str__(self) -> str:
        return self.nombre


__models__ = [Etiqueta]
