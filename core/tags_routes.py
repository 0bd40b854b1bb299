"""``/api/soporte/etiquetas/``: the tag vocabulary — agents read it, admins curate it.

Agents create tags simply by using a new name on a ticket or case (:mod:`core.tags`); this API
lists them (with how many tickets and cases carry each one, for the admin page and the
autocompletion of the console) and lets admins create, rename, recolour and delete them.
Names compare by :func:`core.tags.clave`: renaming onto another tag's key is a 409, as is
creating a name that exists. Deleting a tag unlinks it everywhere (the link tables' foreign
keys cascade); the history keeps the names it recorded.

Core does not know which features link tags: it counts through the many-to-many relations
registered on :class:`~core.tags_models.Etiqueta` (``tickets``, ``casos``), so a feature that is
not enabled simply counts 0.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator
from tortoise.connection import connections
from tortoise.exceptions import IntegrityError
from tortoise.fields.relational import ManyToManyFieldInstance
from tortoise.transactions import in_transaction

from core import tags
from core.api import PageQuery
from core.api.errors import BadRequest, Conflict, NotFound
from core.api.fields import Id, Timestamp
from core.api.pagination import Page, paginate
from core.api.routing import Routes
from core.auth.models import Rol
from core.db import placeholders
from core.i18n import N_
from core.i18n import gettext as _
from core.tags_models import Etiqueta

if TYPE_CHECKING:
    from collections.abc import Sequence

routes = Routes(tag="etiquetas")

BASE = "/api/soporte/etiquetas/"
DETALLE = r"/api/soporte/etiquetas/{id:\d+}/"
FUSIONAR = r"/api/soporte/etiquetas/{id:\d+}/fusionar/"
#: The usage counts the list reports, by the name of the relation on ``Etiqueta``.
USOS: Final = ("tickets", "casos")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def _color(value: Any) -> Any:
    """``#RRGGBB`` (stored lower-case) or empty (the default chip colour)."""
    if value is None:
        return value
    if not isinstance(value, str):
        raise ValueError("El color debe ser un texto #RRGGBB.")
    value = value.strip()
    if value and not _COLOR.match(value):
        raise ValueError("Color inválido: use #RRGGBB (por ejemplo #1a7f37).")
    return value.lower()


class EtiquetaOut(BaseModel):
    """A tag with its usage: how many tickets and cases carry it."""

    id: int
    nombre: str
    color: str = Field(description="`#RRGGBB`, or empty for the default colour.")
    tickets: int = Field(description="Tickets carrying it (0 when tickets is not enabled).")
    casos: int = Field(description="Cases carrying it (0 when casos is not enabled).")
    fecha_creacion: Timestamp


class EtiquetaIn(BaseModel):
    """``POST /api/soporte/etiquetas/`` (admins)."""

    model_config = ConfigDict(extra="forbid")

    nombre: str = Field(min_length=1, max_length=tags.MAX_LONGITUD)
    color: str = Field("", max_length=7, description="`#RRGGBB`, or empty.")

    _color = field_validator("color", mode="before")(_color)


class EtiquetaPatch(BaseModel):
    """``PATCH /api/soporte/etiquetas/{id}/`` (admins): rename and/or recolour."""

    model_config = ConfigDict(extra="forbid")

    nombre: str | None = Field(None, min_length=1, max_length=tags.MAX_LONGITUD)
    color: str | None = Field(None, max_length=7, description="`#RRGGBB`, or empty.")

    _color = field_validator("color", mode="before")(_color)


class FusionIn(BaseModel):
    """``POST /api/soporte/etiquetas/{id}/fusionar/`` (admins): the tag that stays."""

    model_config = ConfigDict(extra="forbid")

    en: Id = Field(description="The tag the links move to (this one is then deleted).")


class EtiquetasQuery(PageQuery):
    """Filters of the tag list."""

    q: str | None = Field(
        None,
        max_length=tags.MAX_LONGITUD,
        description="Tags whose key starts with this (case and accents ignored): autocompletion.",
    )


def _relaciones() -> list[ManyToManyFieldInstance[Any]]:
    """The many-to-many relations of the enabled features onto ``Etiqueta``."""
    campos = Etiqueta._meta.fields_map
    return [
        campo for nombre in USOS if isinstance(campo := campos.get(nombre), ManyToManyFieldInstance)
    ]


async def _usos(ids: Sequence[int]) -> dict[str, dict[int, int]]:
    """``{relation: {tag id: count}}`` for ``ids``: one grouped count per link table."""
    resultado: dict[str, dict[int, int]] = {nombre: {} for nombre in USOS}
    if not ids:
        return resultado
    conn = connections.get("default")
    marcas = ", ".join(placeholders(conn, len(ids)))
    for relacion in _relaciones():
        # The link table's own index on etiqueta_id serves this without touching the objects.
        _, filas = await conn.execute_query(
            f'SELECT etiqueta_id, COUNT(*) AS n FROM "{relacion.through}" '
            f"WHERE etiqueta_id IN ({marcas}) GROUP BY etiqueta_id",
            list(ids),
        )
        resultado[relacion.model_field_name] = {f["etiqueta_id"]: int(f["n"]) for f in filas}
    return resultado


async def cargar(ids: Sequence[int]) -> list[EtiquetaOut]:
    """The tags ``ids`` in that order with their usage counts (one query per link table)."""
    por_id = {e.id: e for e in await Etiqueta.filter(id__in=list(ids))}
    usos = await _usos(list(por_id))
    return [
        EtiquetaOut(
            id=e.id,
            nombre=e.nombre,
            color=e.color,
            tickets=usos["tickets"].get(e.id, 0),
            casos=usos["casos"].get(e.id, 0),
            fecha_creacion=e.fecha_creacion,
        )
        for i in ids
        if (e := por_id.get(i)) is not None
    ]


async def _etiqueta(id: int) -> Etiqueta:
    etiqueta = await Etiqueta.filter(id=id).first()
    if etiqueta is None:
        raise NotFound()
    return etiqueta


def _nombre(nombre: str) -> str:
    """``nombre`` cleaned and checked as tags are (400 naming ``nombre``)."""
    [limpio] = tags.validar([nombre], "nombre")
    return limpio


async def _libre(nombre: str, excepto: int | None = None) -> None:
    """A 409 when another tag has ``nombre``'s key."""
    otras = Etiqueta.filter(clave=tags.clave(nombre))
    if excepto is not None:
        otras = otras.exclude(id=excepto)
    if existente := await otras.first():
        raise Conflict(_("Ya existe la etiqueta «{nombre}».").format(nombre=existente.nombre))


@routes.get(BASE, auth=Rol.AGENTE)
async def listar_etiquetas(request: web.Request, query: EtiquetasQuery) -> Page[EtiquetaOut]:
    """Every tag by key with its usage counts (agents); `q` filters by key prefix."""
    qs = Etiqueta.all()
    if query.q and (prefijo := tags.clave(query.q)):
        qs = qs.filter(clave__startswith=prefijo)
    return await paginate(request, qs.order_by("clave", "id"), query, cargar, EtiquetaOut)


@routes.post(BASE, auth=Rol.ADMIN, status=201, errors=(409,))
async def crear_etiqueta(request: web.Request, body: EtiquetaIn) -> EtiquetaOut:
    """Create a tag (admins); a name that exists (by key) is a 409."""
    nombre = _nombre(body.nombre)
    await _libre(nombre)
    try:
        etiqueta = await Etiqueta.create(nombre=nombre, clave=tags.clave(nombre), color=body.color)
    except IntegrityError:  # created by someone else in between
        raise Conflict(_("Ya existe la etiqueta «{nombre}».").format(nombre=nombre)) from None
    [out] = await cargar([etiqueta.id])
    return out


@routes.patch(DETALLE, auth=Rol.ADMIN, errors=(409,))
async def actualizar_etiqueta(request: web.Request, id: int, body: EtiquetaPatch) -> EtiquetaOut:
    """Rename and/or recolour a tag (admins); a name another tag has (by key) is a 409.
    Every ticket and case carrying it shows the new name at once."""
    etiqueta = await _etiqueta(id)
    campos: dict[str, Any] = {}
    if body.nombre is not None:
        nombre = _nombre(body.nombre)
        await _libre(nombre, excepto=etiqueta.id)
        campos.update(nombre=nombre, clave=tags.clave(nombre))
    if body.color is not None:
        campos["color"] = body.color
    if campos:
        try:
            await Etiqueta.filter(id=etiqueta.id).update(**campos)
        except IntegrityError:
            raise Conflict(
                _("Ya existe la etiqueta «{nombre}».").format(nombre=campos["nombre"])
            ) from None
    [out] = await cargar([etiqueta.id])
    return out


@routes.delete(DETALLE, auth=Rol.ADMIN)
async def borrar_etiqueta(request: web.Request, id: int) -> None:
    """Delete a tag (admins): it leaves every ticket and case (the links cascade)."""
    etiqueta = await _etiqueta(id)
    await etiqueta.delete()


@routes.post(FUSIONAR, auth=Rol.ADMIN)
async def fusionar_etiqueta(request: web.Request, id: int, body: FusionIn) -> EtiquetaOut:
    """Merge a tag into another (admins): every ticket and case carrying it carries `en`
    instead (once), then it is deleted. The answer is `en` with its new counts."""
    origen = await _etiqueta(id)
    if body.en == origen.id:
        raise BadRequest(
            "Datos inválidos.", errors={"en": [N_("Una etiqueta no se fusiona consigo misma.")]}
        )
    destino = await Etiqueta.filter(id=body.en).first()
    if destino is None:
        raise BadRequest("Datos inválidos.", errors={"en": [f"No existe la etiqueta {body.en}."]})
    async with in_transaction() as conn:
        d, o, d2 = placeholders(conn, 3)  # in the order they appear in the statement
        for relacion in _relaciones():
            # Seen from Etiqueta, the backward key is etiqueta_id: the object is the forward one.
            tabla, columna = relacion.through, relacion.forward_key
            # Objects carrying both keep one link; the rest move; the origin's go with it.
            await conn.execute_query(
                f'INSERT INTO "{tabla}" ("{columna}", etiqueta_id) '
                f'SELECT "{columna}", {d} FROM "{tabla}" WHERE etiqueta_id = {o} AND '
                f'"{columna}" NOT IN (SELECT "{columna}" FROM "{tabla}" WHERE etiqueta_id = {d2})',
                [destino.id, origen.id, destino.id],
            )
        await origen.delete(using_db=conn)
    [out] = await cargar([destino.id])
    return out
