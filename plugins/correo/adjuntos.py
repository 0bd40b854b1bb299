"""A message's attachments stored as uploads, under the same limits as the upload endpoints.

Each :class:`~plugins.correo.analisis.AdjuntoCorreo` (inline images included) is written to
the app's storage and handed to tickets as a :class:`core.storage.Upload`. Limits: a file above
``SOPORTE_MAX_UPLOAD_MB`` is dropped, and beyond ``SOPORTE_MAX_FILES`` files the rest are
dropped; the message is kept and its text says what was left out (the raw message, with every
part, stays in ``correo_mensaje`` for admins). The upload quotas per user and hour/day are not
applied: a mail's size is bounded by ``max_bytes`` and a sender's volume by ``sender_rate``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core.keys import SETTINGS, STORAGE
from core.storage import Upload, sanitize_filename

if TYPE_CHECKING:
    from aiohttp import web

    from plugins.correo.analisis import AdjuntoCorreo

#: The field name given to the uploads (tickets only shows it in errors).
CAMPO = "correo"


def _escribir(destino: Path, contenido: bytes) -> None:
    destino.parent.mkdir(parents=True, exist_ok=True)
    destino.write_bytes(contenido)


async def guardar(
    app: web.Application, adjuntos: Sequence[AdjuntoCorreo], escritos: list[str]
) -> tuple[list[Upload], list[str]]:
    """Store the attachments that fit the limits: ``(uploads, what was dropped and why)``.

    The storage key of every file written is appended to ``escritos`` as soon as it exists, so
    that the caller deletes them if the transaction that would attach them fails.
    """
    settings = app[SETTINGS]
    storage = app[STORAGE]
    subidas: list[Upload] = []
    descartes: list[str] = []
    for adjunto in adjuntos:
        nombre = sanitize_filename(adjunto.nombre)
        if len(adjunto.contenido) > settings.max_upload_bytes:
            descartes.append(f"{nombre} (supera {settings.max_upload_mb:g} MiB)")
            continue
        if len(subidas) >= settings.max_files:
            descartes.append(f"{nombre} (más de {settings.max_files} archivos)")
            continue
        clave = storage.new_key()
        escritos.append(clave)
        # Off the event loop: an attachment may be megabytes.
        await asyncio.to_thread(_escribir, storage.path(clave), adjunto.contenido)
        await storage.make_thumbnail(clave)
        tipo = (adjunto.tipo or "application/octet-stream")[:100]
        subidas.append(Upload(CAMPO, clave, nombre, tipo, len(adjunto.contenido)))
    return subidas, descartes


def borrar(app: web.Application, escritos: Sequence[str]) -> None:
    """Delete files :func:`guardar` wrote for a message whose processing did not commit."""
    storage = app[STORAGE]
    for clave in escritos:
        storage.delete(clave)
