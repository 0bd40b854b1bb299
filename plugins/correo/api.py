"""The public face of ``correo``: what the transports (SMTP receiver, IMAP reader, the raw
endpoint) and other plugins call.

A transport hands each raw message to :func:`recibir`, which stores it durably and returns;
only then may the transport acknowledge it (SMTP ``250``, an IMAP move or flag, the endpoint's
``202``). Processing — analysis, safety checks, threading, the ticket or reply — happens
afterwards in this process (:mod:`plugins.correo.procesamiento`), and a sweep at start-up and
every minute finds any stored message still unprocessed, so a crash after :func:`recibir`
returned loses nothing.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from core.db import placeholders
from plugins.correo.models import Mensaje, Origen

if TYPE_CHECKING:
    from aiohttp import web

__all__ = [
    "MensajeDemasiadoGrande",
    "Origen",
    "Recibido",
    "clave_mensaje",
    "procesar_pendientes",
    "recibir",
]

#: The longest Message-ID stored as is (the column's length); a longer one is stored hashed.
MAX_MESSAGE_ID: Final = 500
_MSGID = re.compile(rb"<[^<>\s]+>")


@dataclass(frozen=True, slots=True)
class Recibido:
    """What :func:`recibir` stored: the row's ``id``; ``duplicado`` when a message with the
    same Message-ID was already stored (then nothing new was stored)."""

    id: int
    duplicado: bool


class MensajeDemasiadoGrande(Exception):
    """The raw message is above ``max_bytes`` (SMTP answers 552, the endpoint 413)."""

    def __init__(self, tamano: int, maximo: int) -> None:
        super().__init__(f"El mensaje ocupa {tamano} bytes; el máximo es {maximo} bytes.")
        self.tamano, self.maximo = tamano, maximo


def _sintetico(datos: bytes) -> str:
    return f"<{hashlib.sha256(datos).hexdigest()}@soporte>"


def clave_mensaje(crudo: bytes) -> str:
    """The Message-ID a raw message is stored under: its header's first ``<…>`` id, or
    ``<sha256-of-the-raw-bytes@soporte>`` when it has none (so the same bytes twice are one
    row); an id longer than the column, hashed the same way.

    Reads the header block only, with the bytes parser (any charset, never raises on
    garbage): storing must not depend on a message being well formed.
    """
    # The header block ends at the first empty line, whichever line ending it uses.
    fines = [i for i in (crudo.find(b"\r\n\r\n"), crudo.find(b"\n\n")) if i >= 0]
    cabeceras = crudo[: min(fines)] if fines else crudo
    try:
        parsed = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(cabeceras)
        valor = parsed.get("Message-ID")
        texto = str(valor).encode("utf-8", "surrogateescape") if valor is not None else b""
    except Exception:  # a header block no parser makes sense of: no id, not an error
        texto = b""
    encontrado = _MSGID.search(texto)
    if encontrado is None:
        return _sintetico(crudo)
    try:
        message_id = encontrado.group(0).decode("ascii")
    except UnicodeDecodeError:
        return _sintetico(encontrado.group(0))
    if len(message_id) > MAX_MESSAGE_ID:
        return _sintetico(encontrado.group(0))
    return message_id


#: The columns :func:`recibir` writes, in its statement's order.
_COLUMNS = (
    "message_id",
    "origen",
    "crudo",
    "sobre_remitente",
    "sobre_destinatarios",
    "estado",
    "motivo",
    "remitente",
    "asunto",
    "intentos",
    "fecha_recepcion",
)


async def recibir(
    app: web.Application,
    crudo: bytes,
    *,
    origen: Origen,
    sobre_remitente: str | None = None,
    sobre_destinatarios: Sequence[str] = (),
) -> Recibido:
    """Store the raw message durably — committed when this returns, so a transport may then
    acknowledge it (SMTP 250, IMAP move/flag) — and schedule its processing in this process
    (a task after the return; a sweep at start-up and every minute processes any row still
    unprocessed, so a SIGKILL after the return loses nothing). Idempotent: the same
    Message-ID twice stores one row (``duplicado=True``). Never raises for a message that
    cannot be parsed (that is a quarantine, later); raises MensajeDemasiadoGrande.

    One ``INSERT … ON CONFLICT ("message_id") DO NOTHING RETURNING`` on its own connection,
    outside any caller's transaction (autocommit): nothing else is written with it.
    """
    from datetime import UTC, datetime

    from plugins.correo.plugin import ajustes
    from plugins.correo.procesamiento import programar

    maximo = ajustes(app).max_bytes
    if len(crudo) > maximo:
        raise MensajeDemasiadoGrande(len(crudo), maximo)
    message_id = clave_mensaje(crudo)
    conn = Mensaje._meta.db
    fields_map = Mensaje._meta.fields_map
    values = [
        message_id,
        Origen(origen).value,
        crudo,
        (sobre_remitente or "")[:500] or None,
        fields_map["sobre_destinatarios"].to_db_value(
            [str(d)[:500] for d in sobre_destinatarios], Mensaje
        ),
        "RECIBIDO",
        "",
        "",
        "",
        0,
        fields_map["fecha_recepcion"].to_db_value(datetime.now(UTC), Mensaje),
    ]
    marks = ", ".join(placeholders(conn, len(_COLUMNS)))
    names = ", ".join(f'"{c}"' for c in _COLUMNS)
    sql = (
        f'INSERT INTO "{Mensaje._meta.db_table}" ({names}) VALUES ({marks}) '
        'ON CONFLICT ("message_id") DO NOTHING RETURNING "id"'
    )
    rows = await conn.execute_query_dict(sql, values)
    if not rows:
        existente = await Mensaje.get(message_id=message_id).only("id")
        return Recibido(id=existente.id, duplicado=True)
    programar(app)
    return Recibido(id=int(rows[0]["id"]), duplicado=False)


async def procesar_pendientes(app: web.Application) -> int:
    """Process every stored, unprocessed message now (claimed in the database, so two
    processes never process one twice); returns how many. For tests, the CLI and the sweep.

    Returns once this process is done with every message it holds — those its background loop
    claimed meanwhile included — so that the stored messages are then processed, except any
    another process is still working on."""
    from plugins.correo.procesamiento import procesador

    proc = procesador(app)
    hechos = await proc.procesar_pendientes()
    await proc.quieto()
    return hechos
