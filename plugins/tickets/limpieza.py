"""The orphan-upload sweep: uploads attached to nothing past an age are deleted, rows then files.

An upload (``POST /adjuntos/``) that no ticket or reply ever claims would otherwise be kept
forever. Every process may run the sweep at the same time: each batch is one
``DELETE … RETURNING`` that re-checks "attached to nothing" on the row itself, so

- a row is deleted (and its file removed) by exactly one process — a second ``DELETE`` of the
  same row finds it gone (PostgreSQL waits for the first to commit, SQLite runs one writer);
- an attach is ``UPDATE … WHERE ticket_id IS NULL`` (:func:`plugins.tickets.service.
  _vincular_adjuntos`): if it wins, the ``DELETE``'s condition no longer holds and the row stays;
  if the ``DELETE`` wins, the attach updates fewer rows than asked and answers the usual 400;
- files are removed only after the statement committed (it runs outside any transaction), so
  a rolled-back deletion never leaves a row without its file.

Batches are bounded (:data:`LOTE`) so one pass never holds SQLite's write lock for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, cast

from tortoise.connection import connections

from core.db import placeholders
from plugins.tickets.models import Adjunto

if TYPE_CHECKING:
    from core.storage import Storage

__all__ = ["LOTE", "barrer", "borrar", "bucle", "candidatos"]

log = logging.getLogger("soporte.tickets")

#: Rows deleted per statement: a pass deletes any number, a batch at a time.
LOTE: Final = 200


async def candidatos(limite: datetime, lote: int) -> list[int]:
    """Ids of up to ``lote`` uploads attached to nothing and created before ``limite``."""
    return cast(
        "list[int]",
        await Adjunto.filter(ticket_id=None, respuesta_id=None, fecha_creacion__lt=limite)
        .order_by("id")
        .limit(lote)
        .values_list("id", flat=True),
    )


async def borrar(ids: list[int]) -> list[str]:
    """Delete the rows of ``ids`` still attached to nothing; the storage keys deleted.

    One autocommitted statement: when it returns, the deletion is durable. The condition is
    repeated on the row, so an attach that committed since :func:`candidatos` wins.
    """
    if not ids:
        return []
    conn = connections.get("default")
    marcas = ", ".join(placeholders(conn, len(ids)))
    filas = await conn.execute_query_dict(
        f'DELETE FROM "{Adjunto._meta.db_table}" WHERE id IN ({marcas}) '
        "AND ticket_id IS NULL AND respuesta_id IS NULL RETURNING clave",
        ids,
    )
    return [fila["clave"] for fila in filas]


async def barrer(storage: Storage, antiguedad: timedelta, *, lote: int = LOTE) -> int:
    """One pass: delete every upload attached to nothing older than ``antiguedad``.

    Returns how many were deleted; logs a summary line when that is not zero.
    """
    limite = datetime.now(UTC) - antiguedad
    total = 0
    while True:
        ids = await candidatos(limite, lote)
        claves = await borrar(ids)
        for clave in claves:
            # The rows are gone for good (autocommit): only now may their files go. A file
            # that cannot be removed is logged, never a reason to stop the pass.
            try:
                storage.delete(clave)
            except (OSError, ValueError):
                log.warning("orphan sweep: could not remove the file of key %r", clave)
        total += len(claves)
        if len(ids) < lote:
            break
    if total:
        log.info("orphan sweep: %d unattached upload(s) older than %s deleted", total, antiguedad)
    return total


async def bucle(
    storage: Storage, antiguedad: timedelta, intervalo: float, parar: asyncio.Event
) -> None:
    """Sweep every ``intervalo`` seconds until ``parar`` is set; a failed pass is logged."""
    while not parar.is_set():
        try:
            await barrer(storage, antiguedad)
        except Exception:
            # A database hiccup must not end the sweep for the life of the process.
            log.exception("orphan sweep pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(parar.wait(), timeout=intervalo)
