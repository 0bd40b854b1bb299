"""Helpers of the reliability suite: the counters behind every "nothing stored" assertion
(database rows, files on disk) and hand-written multipart bodies."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import keys

if TYPE_CHECKING:
    from core.testing import SoporteClient


def archivos(media: Path) -> list[Path]:
    """Every file stored under ``media`` (none if the folder does not exist yet)."""
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def media_de(soporte: SoporteClient) -> Path:
    """The media folder of a test app."""
    return Path(soporte.app[keys.SETTINGS].media_dir)


async def filas(*modelos: Any) -> dict[str, int]:
    """Row counts of ``modelos``, by name (compare before and after a refused request)."""
    return {m.__name__: await m.all().count() for m in modelos}


def multipart(partes: list[tuple[str, str | None, bytes, str | None]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body written byte by byte (no client library escapes or
    refuses anything): parts of ``(field, filename or None, data, content type or None)``.
    Returns the body and its ``Content-Type``."""
    boundary = f"limite{uuid.uuid4().hex}"
    out = bytearray()
    for campo, nombre, datos, tipo in partes:
        out += f"--{boundary}\r\n".encode()
        disposicion = f'form-data; name="{campo}"'
        if nombre is not None:
            disposicion += nombre if nombre.startswith("; filename") else f'; filename="{nombre}"'
        out += f"Content-Disposition: {disposicion}\r\n".encode("utf-8", "surrogateescape")
        if tipo:
            out += f"Content-Type: {tipo}\r\n".encode()
        out += b"\r\n" + datos + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


async def todas_las_filas(soporte: SoporteClient) -> dict[str, int]:
    """Row counts of every table of every enabled plugin (and the core's)."""
    cuentas: dict[str, int] = {}
    for label, modelos in soporte.app[keys.DB].ctx.apps.items():
        for nombre, modelo in modelos.items():
            cuentas[f"{label}.{nombre}"] = await modelo.all().count()
    return cuentas
