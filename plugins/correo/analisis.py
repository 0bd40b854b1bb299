"""Reading one raw e-mail into the fields the correo pipeline needs.

Pure functions: no database, no application. :func:`analizar` takes the raw bytes of an RFC 822
message and returns an :class:`Analizado`; it raises :class:`MensajeIlegible` when the bytes are
not a message at all, and nothing else on any input (the pipeline quarantines with that reason
and must never stop on one bad message).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage, Message

__all__ = ["AdjuntoCorreo", "Analizado", "MensajeIlegible", "analizar"]


@dataclass(frozen=True, slots=True)
class AdjuntoCorreo:
    """One attachment (or inline image) of a message."""

    nombre: str  # cleaned with core.storage.sanitize_filename, never empty
    tipo: str  # content type, e.g. "image/png"
    contenido: bytes
    en_linea: bool  # an inline part (Content-Disposition inline, or with a Content-ID)
    content_id: str | None


@dataclass(frozen=True, slots=True)
class Analizado:
    """What the pipeline needs of one message."""

    message_id: str | None  # "<...>" as in the header, None when missing/invalid
    in_reply_to: tuple[str, ...]  # message ids, "<...>" each
    references: tuple[str, ...]
    remitente: str  # From's address, lower-cased ("" if none)
    remitente_nombre: str  # From's display name, decoded ("" if none)
    destinatarios: tuple[str, ...]  # To + Cc + Delivered-To + X-Original-To, lower-cased
    asunto: str  # decoded, one line, stripped ("" if none)
    texto: str  # the whole body as plain text
    texto_nuevo: str  # texto without quoted history and signature (falls back to texto)
    adjuntos: tuple[AdjuntoCorreo, ...]
    automatico: str | None  # why it is machine-sent, None if a person wrote it
    autenticacion: Mapping[str, str]  # topmost Authentication-Results: {"spf": "pass", ...}
    fecha: datetime | None  # Date header, timezone-aware


class MensajeIlegible(Exception):
    """The bytes are not a message that can be read at all (quarantine with this reason)."""


_MSGID = re.compile(r"<[^<>\s]+>")


def _ids(valor: str | None) -> tuple[str, ...]:
    return tuple(_MSGID.findall(valor or ""))


def _cabecera(msg: Message, nombre: str) -> str:
    try:
        valor = msg.get(nombre)
    except Exception:
        return ""
    return " ".join(str(valor or "").split())


def _direcciones(msg: Message, *nombres: str) -> list[tuple[str, str]]:
    valores: list[str] = []
    for nombre in nombres:
        try:
            valores.extend(str(v) for v in msg.get_all(nombre) or ())
        except Exception:
            continue
    return [(n, a.strip().lower()) for n, a in email.utils.getaddresses(valores) if "@" in a]


def _texto_plano(msg: EmailMessage) -> str:
    try:
        parte = msg.get_body(preferencelist=("plain",))
        if parte is None:
            return ""
        contenido = parte.get_content()
        return contenido if isinstance(contenido, str) else ""
    except Exception:
        return ""


def analizar(crudo: bytes) -> Analizado:
    """Parse ``crudo`` (the raw bytes of one message) into an :class:`Analizado`.

    Raises :class:`MensajeIlegible` when nothing usable is there, nothing else."""
    if not crudo or not crudo.strip():
        raise MensajeIlegible("mensaje vacío")
    try:
        msg = email.message_from_bytes(crudo, policy=email.policy.default)
    except Exception as exc:
        raise MensajeIlegible(f"no se puede leer el mensaje: {exc}") from None
    if not isinstance(msg, EmailMessage) or not msg.keys():
        raise MensajeIlegible("el mensaje no tiene cabeceras")
    remitentes = _direcciones(msg, "From")
    nombre, direccion = remitentes[0] if remitentes else ("", "")
    texto = _texto_plano(msg).strip()
    fecha: datetime | None
    try:
        fecha = email.utils.parsedate_to_datetime(_cabecera(msg, "Date"))
        if fecha.tzinfo is None:
            fecha = None
    except Exception:
        fecha = None
    mid = _ids(_cabecera(msg, "Message-ID"))
    return Analizado(
        message_id=mid[0] if mid else None,
        in_reply_to=_ids(_cabecera(msg, "In-Reply-To")),
        references=_ids(_cabecera(msg, "References")),
        remitente=direccion,
        remitente_nombre=nombre,
        destinatarios=tuple(
            dict.fromkeys(
                a for _, a in _direcciones(msg, "To", "Cc", "Delivered-To", "X-Original-To")
            )
        ),
        asunto=_cabecera(msg, "Subject"),
        texto=texto,
        texto_nuevo=texto,
        adjuntos=(),
        automatico=None,
        autenticacion={},
        fecha=fecha,
    )
