"""The history endpoints' shared part: the response model and the page of an object's history.

Every feature that serves a history (``GET /api/soporte/tickets/{id}/historial/``,
``GET /api/soporte/casos/{id}/historial/``) checks that the caller may see the object (a 404
otherwise) and then returns :func:`history_page`: agents get every entry, anyone else (the
customer) the public timeline (:func:`core.auth.guards.public_change`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from core.api.fields import Timestamp
from core.api.pagination import Page, PageQuery, paginate
from core.history import CambioVista, Canal, cambios, cargar

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aiohttp import web

    from core.auth.models import Usuario


class HistoryQuery(PageQuery):
    """Pagination of a history, oldest first (a timeline reads top to bottom)."""

    size: int = Field(50, ge=1, le=100, description="Entries per page (max 100).")


class AutorCambio(BaseModel):
    """Who made a change: ``{id, nombre}``."""

    id: int
    nombre: str


class CambioOut(BaseModel):
    """One history entry: ``campo`` went from ``anterior`` to ``nuevo``.

    ``campo`` ``creado`` is the object's creation. Values are as stored: enum values as
    strings, people and teams as ids, with their names in ``anterior_nombre``/``nuevo_nombre``.
    ``autor`` is ``null`` for the system's own changes (``canal`` ``SISTEMA``).
    """

    id: int
    campo: str
    anterior: Any = Field(description="The value before (JSON; null: none).")
    nuevo: Any = Field(description="The value after (JSON; null: none).")
    anterior_nombre: str | None = Field(description="Name of the user or team ``anterior`` is.")
    nuevo_nombre: str | None = Field(description="Name of the user or team ``nuevo`` is.")
    autor: AutorCambio | None
    canal: Canal
    publico: bool = Field(description="Whether the customer's timeline shows it.")
    fecha: Timestamp

    @classmethod
    def de(cls, vista: CambioVista) -> CambioOut:
        """The response model of a loaded entry."""
        autor = None
        if vista.autor_id is not None:
            autor = AutorCambio(id=vista.autor_id, nombre=vista.autor_nombre or "")
        return cls(
            id=vista.id,
            campo=vista.campo,
            anterior=vista.anterior,
            nuevo=vista.nuevo,
            anterior_nombre=vista.anterior_nombre,
            nuevo_nombre=vista.nuevo_nombre,
            autor=autor,
            canal=Canal(vista.canal),
            publico=vista.publico,
            fecha=vista.fecha,
        )


async def _cargar(ids: Sequence[int]) -> list[CambioOut]:
    return [CambioOut.de(v) for v in await cargar(ids)]


async def history_page(
    request: web.Request, usuario: Usuario, entidad: str, entidad_id: int, query: PageQuery
) -> Page[CambioOut]:
    """A page of the history of ``entidad`` ``entidad_id``, oldest first, as ``usuario`` may
    see it (the caller has already checked that they may see the object)."""
    qs = cambios(entidad, entidad_id, solo_publico=not usuario.es_agente)
    return await paginate(request, qs, query, _cargar, CambioOut)
