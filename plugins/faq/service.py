"""The FAQ's rules, free of HTTP: listing and search, categories, admin changes, votes.

Routes, the demo loader, the benchmark and tests call these functions directly. Every write of a
FAQ's text goes through here, in one transaction with the search index (see
:mod:`plugins.faq.busqueda`), so the index never disagrees with the table.

Votes: one per user and FAQ, held by the database (``unique_together``), never by process
memory. :func:`valorar` changes a vote with a conditional ``UPDATE`` (only a vote of the other
kind flips) or inserts it with ``INSERT … ON CONFLICT DO NOTHING``, and moves the counts with
``F()`` expressions in the same transaction — so a repeated vote changes nothing, a changed vote
moves one count from one side to the other, and concurrent requests (several processes on
PostgreSQL included) can neither double-count nor lose a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from tortoise.connection import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from core.api.errors import NotFound
from plugins.faq.busqueda import Filtros, marcador, motor, terminos
from plugins.faq.models import FAQ, VotoFAQ

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tortoise.backends.base.client import BaseDBAsyncClient

#: Fields an admin may set.
CAMPOS = ("pregunta", "respuesta", "categoria", "activa", "orden")


def _conexion() -> BaseDBAsyncClient:
    """The FAQ app's connection in the current context (the transaction's, inside one)."""
    return connections.get(FAQ._meta.default_connection or "default")


async def preparar_busqueda() -> None:
    """Create the search index if it is missing and repair it if it is out of step.

    Idempotent; run at start-up and before demo data is loaded.
    """
    await motor(_conexion()).preparar()


async def reconstruir_indice() -> None:
    """Rebuild the whole search index from the FAQ table (after bulk loads)."""
    async with in_transaction() as conn:
        await motor(conn).reconstruir()


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Consulta:
    """A list request: text, category, whether only active FAQs count, and the page window."""

    q: str | None = None
    categoria: str | None = None
    solo_activas: bool = True
    offset: int = 0
    limit: int = 10


async def buscar(consulta: Consulta) -> tuple[int, list[int]]:
    """``(count, ids of the page)``.

    With search terms in ``q``: FAQs matching every term (case- and accent-insensitive, as
    prefixes), best match first. Without: in ``orden``, then ``id``. Blank ``q`` = no filter.
    """
    filtros = Filtros(consulta.categoria, consulta.solo_activas)
    buscados = terminos(consulta.q)
    if buscados:
        return await motor(_conexion()).buscar(buscados, filtros, consulta.offset, consulta.limit)
    qs = FAQ.all()
    if filtros.solo_activas:
        qs = qs.filter(activa=True)
    if filtros.categoria is not None:
        qs = qs.filter(categoria=filtros.categoria)
    total = await qs.count()
    if consulta.offset >= total:
        return total, []
    ids = await (
        qs.order_by("orden", "id")
        .offset(consulta.offset)
        .limit(consulta.limit)
        .values_list("id", flat=True)
    )
    # tortoise types every values_list() as tuples; flat=True returns the bare ids.
    return total, [int(i) for i in cast("list[int]", ids)]


async def cargar(ids: Sequence[int]) -> list[FAQ]:
    """The FAQs of ``ids``, in that order (one query)."""
    if not ids:
        return []
    por_id = {faq.id: faq for faq in await FAQ.filter(id__in=list(ids))}
    return [por_id[i] for i in ids if i in por_id]


async def obtener(faq_id: int, *, solo_activas: bool = True) -> FAQ:
    """One FAQ; a 404 if it does not exist or is inactive and ``solo_activas``."""
    qs = FAQ.filter(id=faq_id)
    if solo_activas:
        qs = qs.filter(activa=True)
    faq = await qs.first()
    if faq is None:
        raise NotFound("No existe esa pregunta frecuente.")
    return faq


async def categorias() -> list[tuple[str, int]]:
    """Every category with active FAQs and how many, alphabetically."""
    filas = (
        await FAQ.filter(activa=True)
        .annotate(total=Count("id"))
        .group_by("categoria")
        .order_by("categoria")
        .values("categoria", "total")
    )
    return [(f["categoria"], int(f["total"])) for f in filas]


# --- admin changes ---------------------------------------------------------------------------


async def crear(
    pregunta: str, respuesta: str, categoria: str, *, activa: bool = True, orden: int = 0
) -> FAQ:
    """Create a FAQ and index it, in one transaction."""
    async with in_transaction() as conn:
        faq = await FAQ.create(
            pregunta=pregunta,
            respuesta=respuesta,
            categoria=categoria,
            activa=activa,
            orden=orden,
            using_db=conn,
        )
        await motor(conn).indexar(faq)
    return faq


async def actualizar(faq_id: int, cambios: dict[str, Any]) -> FAQ:
    """Change some fields of a FAQ (a 404 if unknown); reindex it when indexed fields change.

    Only the changed columns are written, so a vote counted meanwhile is never overwritten.
    """
    cambios = {k: v for k, v in cambios.items() if k in CAMPOS}
    async with in_transaction() as conn:
        faq = await FAQ.filter(id=faq_id).using_db(conn).first()
        if faq is None:
            raise NotFound("No existe esa pregunta frecuente.")
        if not cambios:
            return faq
        faq.update_from_dict(cambios)
        faq.fecha_actualizacion = datetime.now(UTC)
        await faq.save(update_fields=[*cambios, "fecha_actualizacion"], using_db=conn)
        # Everything the index holds: the text and the list's filters.
        if cambios.keys() & {"pregunta", "respuesta", "categoria", "activa"}:
            await motor(conn).indexar(faq)
    return await FAQ.get(id=faq_id)


async def eliminar(faq_id: int) -> None:
    """Delete a FAQ, its votes (cascade) and its index entry; a 404 if unknown."""
    async with in_transaction() as conn:
        borradas = await FAQ.filter(id=faq_id).using_db(conn).delete()
        if not borradas:
            raise NotFound("No existe esa pregunta frecuente.")
        await motor(conn).quitar(faq_id)


# --- votes -----------------------------------------------------------------------------------


def _contar(es_util: bool, cambio: int) -> dict[str, Any]:
    campo = "valoraciones_positivas" if es_util else "valoraciones_negativas"
    return {campo: F(campo) + cambio}


async def _cambiar_voto(
    conn: BaseDBAsyncClient, faq_id: int, usuario_id: int, es_util: bool
) -> bool:
    """Flip an existing vote of the other kind; move one count across. Whether it flipped."""
    cambiados = (
        await VotoFAQ.filter(faq_id=faq_id, usuario_id=usuario_id, es_util=not es_util)
        .using_db(conn)
        .update(es_util=es_util, fecha=datetime.now(UTC))
    )
    if cambiados:
        await (
            FAQ.filter(id=faq_id)
            .using_db(conn)
            .update(**_contar(es_util, +1), **_contar(not es_util, -1))
        )
    return bool(cambiados)


async def _insertar_voto(
    conn: BaseDBAsyncClient, faq_id: int, usuario_id: int, es_util: bool
) -> bool:
    """Insert the user's first vote unless one exists; count it. Whether it was inserted."""
    ph = [marcador(conn, n) for n in range(1, 5)]
    fecha = VotoFAQ._meta.fields_map["fecha"].to_db_value(datetime.now(UTC), VotoFAQ)
    filas = await conn.execute_query_dict(
        f"INSERT INTO {VotoFAQ._meta.db_table} (faq_id, usuario_id, es_util, fecha) "
        f"VALUES ({', '.join(ph)}) ON CONFLICT (faq_id, usuario_id) DO NOTHING RETURNING id",
        [faq_id, usuario_id, es_util, fecha],
    )
    if filas:
        await FAQ.filter(id=faq_id).using_db(conn).update(**_contar(es_util, +1))
    return bool(filas)


async def valorar(faq_id: int, usuario_id: int, es_util: bool, *, solo_activas: bool = True) -> FAQ:
    """Record ``usuario_id``'s vote on a FAQ and return the FAQ with fresh counts.

    First vote: counted. Same vote again: nothing changes. The other vote: the count moves from
    one side to the other. A 404 if the FAQ does not exist (or is inactive and
    ``solo_activas``).
    """
    try:
        async with in_transaction() as conn:
            qs = FAQ.filter(id=faq_id).using_db(conn)
            if solo_activas:
                qs = qs.filter(activa=True)
            if not await qs.exists():
                raise NotFound("No existe esa pregunta frecuente.")
            # Two rounds: on PostgreSQL a concurrent request of the same user may insert the
            # other kind of vote between our UPDATE and INSERT; the second UPDATE then sees it.
            for _ronda in range(2):
                if await _cambiar_voto(conn, faq_id, usuario_id, es_util):
                    break
                if await _insertar_voto(conn, faq_id, usuario_id, es_util):
                    break
    except IntegrityError as exc:  # the FAQ (or the user) was deleted meanwhile
        raise NotFound("No existe esa pregunta frecuente.") from exc
    return await FAQ.get(id=faq_id)


async def voto_de(faq_id: int, usuario_id: int) -> bool | None:
    """The user's current vote on a FAQ (``None``: has not voted)."""
    voto = await VotoFAQ.filter(faq_id=faq_id, usuario_id=usuario_id).first()
    return None if voto is None else voto.es_util
