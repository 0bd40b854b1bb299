"""FAQ entries and their helpful votes (Tortoise app label ``faq``).

The full-text index is not a model: it lives beside ``faq_faq`` (an FTS5 table on SQLite, a
generated ``tsvector`` column on PostgreSQL) and is managed by :mod:`plugins.faq.busqueda`.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.auth.models import Usuario


class FAQ(Model):
    """A frequently asked question with its answer, category and vote counts.

    ``valoraciones_positivas``/``valoraciones_negativas`` are denormalised counts of
    :class:`VotoFAQ`, changed only by ``service.valorar`` with atomic ``F()`` updates in the same
    transaction as the vote, so they never drift from the votes.
    """

    id = fields.IntField(primary_key=True)
    pregunta = fields.CharField(max_length=500)
    respuesta = fields.TextField()
    categoria = fields.CharField(max_length=100)
    activa = fields.BooleanField(default=True)
    orden = fields.IntField(default=0)
    valoraciones_positivas = fields.IntField(default=0)
    valoraciones_negativas = fields.IntField(default=0)
    fecha_creacion = fields.DatetimeField(auto_now_add=True)
    fecha_actualizacion = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "faq_faq"
        # The public list: active FAQs in display order, optionally of one category.
        indexes = (("activa", "orden", "id"), ("categoria", "activa", "orden", "id"))

    def __str__(self) -> str:
        return self.pregunta


class VotoFAQ(Model):
    """The verdict of one user on one FAQ (one vote per user and FAQ, held by the database).

    No semicolon in the first paragraph: it becomes the table comment, and tortoise's SQLite
    migration runner splits statements at semicolons.
    """

    id = fields.IntField(primary_key=True)
    faq: fields.ForeignKeyRelation[FAQ] = fields.ForeignKeyField(
        "faq.FAQ", related_name="votos", on_delete=fields.CASCADE
    )
    usuario: fields.ForeignKeyRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="votos_faq", on_delete=fields.CASCADE
    )
    es_util = fields.BooleanField()
    fecha = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "faq_voto"
        unique_together = (("faq", "usuario"),)


__models__ = [FAQ, VotoFAQ]
