"""Free tags shared by tickets and cases: their names, comparison keys and link tables.

A tag is named freely by an agent (``Factura duplicada``); two names that differ only in case,
accents or spacing are the same tag (:func:`clave`). Features link their objects to tags
through a table of their own (``tickets_ticket_etiqueta``, ``casos_caso_etiqueta``) and
change those links with :func:`fijar`, inside the transaction of the change, so that the
history entry, the search index and the links commit together.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from core.api.errors import BadRequest
from core.db import placeholders
from core.i18n import N_
from core.i18n import gettext as _
from core.tags_models import Etiqueta

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient

__all__ = [
    "MAX_ETIQUETAS",
    "MAX_LONGITUD",
    "Enlace",
    "clave",
    "de",
    "fijar",
    "limpiar",
    "nombres_de",
    "resolver",
    "validar",
]

#: Longest tag name (the column's size).
MAX_LONGITUD: Final = 50
#: Most tags one ticket or case may carry: a tag cloud per ticket helps nobody.
MAX_ETIQUETAS: Final = 20


def limpiar(nombre: str) -> str:
    """A tag name as stored: trimmed, inner whitespace collapsed to one space (NFC)."""
    return " ".join(unicodedata.normalize("NFC", nombre).split())


def clave(nombre: str) -> str:
    """The comparison key of a tag name: lower case, accents removed, spaces collapsed —
    ``"  Facturación  Duplicada"`` and ``"facturacion duplicada"`` are one tag."""
    sin_marcas = "".join(
        c for c in unicodedata.normalize("NFKD", limpiar(nombre)) if not unicodedata.combining(c)
    )
    return sin_marcas.casefold()


def validar(nombres: Iterable[str], campo: str = "etiquetas") -> list[str]:
    """Clean ``nombres`` for storage, dropping repeats (by :func:`clave`, first spelling wins).

    A 400 naming ``campo`` for an empty name, one over :data:`MAX_LONGITUD` characters, or more
    than :data:`MAX_ETIQUETAS` distinct tags."""
    limpios: dict[str, str] = {}
    errores: list[str] = []
    for nombre in nombres:
        limpio = limpiar(nombre)
        if not limpio:
            errores.append(N_("Una etiqueta no puede estar vacía."))
        elif len(limpio) > MAX_LONGITUD:
            errores.append(
                _("«{etiqueta}…» supera los {n} caracteres.").format(
                    etiqueta=limpio[:20], n=MAX_LONGITUD
                )
            )
        else:
            limpios.setdefault(clave(limpio), limpio)
    if len(limpios) > MAX_ETIQUETAS:
        errores.append(_("Como máximo {n} etiquetas.").format(n=MAX_ETIQUETAS))
    if errores:
        raise BadRequest("Datos inválidos.", errors={campo: errores})
    return list(limpios.values())


async def resolver(conn: BaseDBAsyncClient, nombres: Sequence[str]) -> list[Etiqueta]:
    """The tags named ``nombres`` (already :func:`validar`-ed), created when new, in order.

    ``INSERT … ON CONFLICT DO NOTHING`` then a read: two agents using a new name at once both
    get the one row (a get-or-create would fail the second on the unique key)."""
    if not nombres:
        return []
    claves = [clave(n) for n in nombres]
    tabla = Etiqueta._meta.db_table
    a, b = placeholders(conn, 2)
    # One statement for every name (a macro or a bulk change may add several at once).
    await conn.execute_many(
        f'INSERT INTO "{tabla}" (nombre, clave, color, fecha_creacion) '
        f"VALUES ({a}, {b}, '', CURRENT_TIMESTAMP) ON CONFLICT (clave) DO NOTHING",
        [[nombre, k] for nombre, k in zip(nombres, claves, strict=True)],
    )
    filas = await Etiqueta.filter(clave__in=claves).using_db(conn)
    por_clave = {e.clave: e for e in filas}
    return [por_clave[k] for k in claves]


@dataclass(frozen=True)
class Enlace:
    """A feature's link table: ``tabla`` with columns ``columna`` (the object) and
    ``etiqueta_id``."""

    tabla: str
    columna: str


async def de(conn: BaseDBAsyncClient, enlace: Enlace, objeto_id: int) -> list[Etiqueta]:
    """The tags of one object, ordered by key."""
    (marca,) = placeholders(conn, 1)
    _, filas = await conn.execute_query(
        f'SELECT etiqueta_id FROM "{enlace.tabla}" WHERE "{enlace.columna}" = {marca}',
        [objeto_id],
    )
    ids = [fila["etiqueta_id"] for fila in filas]
    if not ids:
        return []
    return await Etiqueta.filter(id__in=ids).using_db(conn).order_by("clave")


async def nombres_de(enlace: Enlace, ids: Sequence[int]) -> dict[int, list[str]]:
    """The tag names of each object of ``ids`` (sorted by key), in one query on the default
    connection: what a page of tickets or cases, or an export's batch, shows. Objects without
    tags are absent."""
    if not ids:
        return {}
    from tortoise.connection import connections

    conn = connections.get("default")
    _, filas = await conn.execute_query(
        sql_nombres(enlace, placeholders(conn, len(ids))), list(ids)
    )
    return agrupar_nombres((fila["objeto"], fila["nombre"]) for fila in filas)


def sql_nombres(enlace: Enlace, marcas: Sequence[str]) -> str:
    """The statement of :func:`nombres_de` for as many objects as ``marcas`` (one marker per
    id): rows ``(objeto, nombre)`` ordered by object and key — for reads that run their own
    statements (``core.db.leer``); :func:`agrupar_nombres` turns its rows into the dict."""
    return (
        f'SELECT l."{enlace.columna}" AS objeto, e.nombre AS nombre FROM "{enlace.tabla}" l '
        f'JOIN "{Etiqueta._meta.db_table}" e ON e.id = l.etiqueta_id '
        f'WHERE l."{enlace.columna}" IN ({", ".join(marcas)}) '
        f'ORDER BY l."{enlace.columna}", e.clave'
    )


def agrupar_nombres(filas: Iterable[tuple[Any, Any]]) -> dict[int, list[str]]:
    """``(objeto, nombre)`` rows of :func:`sql_nombres` as ``{objeto: [nombre, ...]}``."""
    resultado: dict[int, list[str]] = {}
    for objeto, nombre in filas:
        resultado.setdefault(int(objeto), []).append(str(nombre))
    return resultado


async def fijar(
    conn: BaseDBAsyncClient,
    enlace: Enlace,
    objeto_id: int,
    *,
    poner: Sequence[str] | None = None,
    agregar: Sequence[str] = (),
    quitar: Sequence[str] = (),
) -> tuple[list[str], list[str]] | None:
    """Change the tags of one object inside the caller's transaction (its row already locked).

    ``poner``: the whole new set (replaces); otherwise ``agregar`` then ``quitar`` (by
    :func:`clave`; removing a tag the object lacks is no error). Returns the names before and
    after (sorted by key) when they differ, for the history; ``None`` when nothing changed.
    A 400 when the result would exceed :data:`MAX_ETIQUETAS`."""
    actuales = await de(conn, enlace, objeto_id)
    antes = {e.clave: e for e in actuales}
    if poner is not None:
        deseados = await resolver(conn, validar(poner))
    else:
        quitar_claves = {clave(n) for n in quitar}
        nuevos = await resolver(conn, validar(agregar)) if agregar else []
        deseados = [e for e in [*actuales, *nuevos] if e.clave not in quitar_claves]
    despues = {e.clave: e for e in deseados}
    if despues.keys() == antes.keys():
        return None
    if len(despues) > MAX_ETIQUETAS:
        raise BadRequest(
            "Datos inválidos.", errors={"etiquetas": [f"Como máximo {MAX_ETIQUETAS} etiquetas."]}
        )
    obj, eti = placeholders(conn, 2)
    fuera = [e.id for k, e in antes.items() if k not in despues]
    dentro = [e.id for k, e in despues.items() if k not in antes]
    if fuera:
        await conn.execute_many(
            f'DELETE FROM "{enlace.tabla}" WHERE "{enlace.columna}" = {obj} '
            f"AND etiqueta_id = {eti}",
            [[objeto_id, i] for i in fuera],
        )
    if dentro:
        await conn.execute_many(
            f'INSERT INTO "{enlace.tabla}" ("{enlace.columna}", etiqueta_id) VALUES ({obj}, {eti})',
            [[objeto_id, i] for i in dentro],
        )
    return (
        [antes[k].nombre for k in sorted(antes)],
        [despues[k].nombre for k in sorted(despues)],
    )
