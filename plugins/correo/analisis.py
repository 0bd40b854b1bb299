"""Reading one raw e-mail into the fields the correo pipeline needs.

Pure functions: no database, no application. :func:`analizar` takes the raw bytes of an RFC 822
message and returns an :class:`Analizado`. It raises :class:`MensajeIlegible` when the bytes are
not a message at all (empty, no headers, binary garbage), and nothing else on any input: the
pipeline quarantines with that reason and must never stop on one bad message. Anything that
*can* be read of a damaged message (unknown charset, broken encoded words, missing boundary,
truncated part, bad base64) is recovered, each piece on its own, so one bad header or part
never costs the rest.

The stdlib ``email`` package parses (``policy=email.policy.default``, from bytes, once);
header *values* are then read from the raw header lines (:meth:`Message.raw_items`) and
decoded here, because the modern policy's header objects raise or substitute ``\\ufffd`` on
some real-world input (8-bit bytes in a Subject, an unknown charset in an encoded word) where
a tolerant decoder recovers the text. Body text: :mod:`plugins.correo.html_texto` turns an
HTML-only body into text; :mod:`plugins.correo.citas` strips quoted history and signatures.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.policy
import email.utils
import functools
import hashlib
import mimetypes
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message

from core.storage import sanitize_filename
from plugins.correo.citas import texto_nuevo as _texto_nuevo
from plugins.correo.html_texto import html_a_texto

__all__ = ["AdjuntoCorreo", "Analizado", "MensajeIlegible", "analizar"]


@dataclass(frozen=True, slots=True)
class AdjuntoCorreo:
    """One attachment (or inline image) of a message."""

    nombre: str  # cleaned with core.storage.sanitize_filename, never empty
    tipo: str  # content type, e.g. "image/png"
    contenido: bytes
    en_linea: bool  # an inline part (Content-Disposition inline, or with a Content-ID)
    content_id: str | None  # the Content-ID without its angle brackets ("cid:" links use it)


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
    texto: str  # the whole body as plain text (text/plain, else HTML → text via nh3)
    texto_nuevo: str  # texto without quoted history and signature (falls back to texto)
    adjuntos: tuple[AdjuntoCorreo, ...]
    automatico: str | None  # why it is machine-sent, None if a person wrote it
    autenticacion: Mapping[str, str]  # topmost Authentication-Results: {"spf": "pass", ...}
    fecha: datetime | None  # Date header, timezone-aware


class MensajeIlegible(Exception):
    """The bytes are not a message that can be read at all (quarantine with this reason)."""


# -- text decoding ------------------------------------------------------------------------

#: Control characters no text field keeps (PostgreSQL refuses NUL in text outright), lone
#: surrogates (not encodable) and stray byte-order marks (invisible, they break matching).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufeff]")
#: Declared charsets read as another: WHATWG's rule (mail clients label windows-1252 text
#: iso-8859-1 all the time; the two differ only in 0x80-0x9F, unused in real latin-1).
_ALIAS = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "unknown-8bit": "utf-8",
    "x-unknown": "utf-8",
    "iso-8859-8-i": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}


@functools.lru_cache(maxsize=256)
def _codec(charset: str | None) -> str:
    """The Python codec for a declared charset; utf-8 when unknown or not a text encoding."""
    nombre = (charset or "").strip().strip("\"'").lower()
    nombre = _ALIAS.get(nombre, nombre)
    if not nombre:
        return "utf-8"
    try:
        info = codecs.lookup(nombre)
    except (LookupError, ValueError):
        return "utf-8"
    # bytes.decode refuses non-text codecs (base64, zlib…); the *_escape codecs would turn
    # backslashes in a body into other characters.
    if not getattr(info, "_is_text_encoding", True) or "escape" in info.name:
        return "utf-8"
    return info.name


def _bytes_a_texto(datos: bytes, charset: str | None) -> str:
    """Decode ``datos`` in the declared charset; never fails (replacement characters)."""
    codec = _codec(charset)
    try:
        texto = datos.decode(codec)
    except UnicodeDecodeError:
        # Text labelled utf-8 that is not is nearly always windows-1252.
        texto = datos.decode("cp1252" if codec == "utf-8" else codec, "replace")
    except Exception:
        texto = datos.decode("utf-8", "replace")
    return _CONTROL.sub("", texto.replace("\r\n", "\n").replace("\r", "\n"))


def _sin_8bit(valor: str) -> str:
    """A raw header value with its undecoded 8-bit bytes (surrogate escapes) read as text."""
    try:
        valor.encode("ascii")
        return valor
    except UnicodeEncodeError:
        pass
    datos = valor.encode("utf-8", "surrogateescape")
    return _bytes_a_texto(datos, "utf-8")


_PALABRA = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_ENTRE_PALABRAS = re.compile(r"(\?=)[ \t\r\n]+(?==\?[^?\s*]+(?:\*[^?\s]*)?\?[bBqQ]\?[^?\s]*\?=)")


def _palabra(m: re.Match[str]) -> str:
    charset, codificacion, texto = m.groups()
    try:
        if codificacion in "bB":
            datos = base64.b64decode(texto + "=" * (-len(texto) % 4), validate=False)
        else:
            datos = binascii.a2b_qp(texto.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return m.group(0)
    return _bytes_a_texto(datos, charset)


def _decodificar(valor: str) -> str:
    """A header value as text: 8-bit bytes and RFC 2047 encoded words decoded, tolerantly
    (unknown charset → utf-8 with replacement; a broken word stays as written)."""
    texto = _sin_8bit(valor)
    if "=?" in texto:
        # Whitespace between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
        texto = _PALABRA.sub(_palabra, _ENTRE_PALABRAS.sub(r"\1", texto))
    return _CONTROL.sub("", texto)


def _una_linea(texto: str) -> str:
    return " ".join(texto.split())


# -- headers ------------------------------------------------------------------------------


def _cabeceras(msg: Message) -> dict[str, list[str]]:
    """Raw header values by lower-cased name, in order (topmost first)."""
    todas: dict[str, list[str]] = {}
    for nombre, valor in msg.raw_items():
        todas.setdefault(nombre.strip().lower(), []).append(str(valor))
    return todas


_ID = re.compile(r"<([^<>\s]{1,500})>")
_ID_SUELTO = re.compile(r"[^<>\s,;()\"]+@[^<>\s,;()\"]+")


def _ids(valores: Iterable[str]) -> tuple[str, ...]:
    """Message ids of In-Reply-To/References-like headers: ``<...>`` each, in order, unique.

    Ids without angle brackets (some clients) are accepted when they look like
    ``left@right``; comments, quoted names and other garbage between ids are ignored."""
    vistos: dict[str, None] = {}
    for valor in valores:
        valor = _sin_8bit(valor)
        encontrados = _ID.findall(valor)
        if not encontrados:
            encontrados = _ID_SUELTO.findall(valor)
        for mid in encontrados:
            vistos.setdefault(f"<{mid}>", None)
    return tuple(vistos)


def _direcciones(valores: Iterable[str]) -> list[tuple[str, str]]:
    """(decoded display name, lower-cased address) of address headers; invalid ones dropped."""
    crudos = [_sin_8bit(v) for v in valores]
    if not crudos:
        return []
    try:
        pares = email.utils.getaddresses(crudos)
    except Exception:
        pares = []
    resultado = []
    for nombre, direccion in pares:
        direccion = direccion.strip().lower()
        if "@" not in direccion or any(c.isspace() for c in direccion):
            continue
        resultado.append((_una_linea(_decodificar(nombre)), _CONTROL.sub("", direccion)))
    if not resultado:
        # getaddresses refuses the whole header on some garbage; the first thing that looks
        # like an address is still the sender.
        for crudo in crudos:
            m = _ID.search(crudo) or _ID_SUELTO.search(crudo)
            if m and "@" in m.group(0):
                resultado.append(("", m.group(0).strip("<>").lower()))
                break
    return resultado


def _fecha(valores: list[str]) -> datetime | None:
    if not valores:
        return None
    try:
        fecha = email.utils.parsedate_to_datetime(_sin_8bit(valores[0]).strip())
    except Exception:
        return None
    # "-0000" (RFC 5322: UTC, the sender's zone unknown) parses as a naive datetime.
    return fecha if fecha.tzinfo is not None else fecha.replace(tzinfo=UTC)


_RESULTADO = re.compile(r"^\s*([a-z0-9][a-z0-9_-]*)\s*=\s*([a-z0-9_-]+)", re.IGNORECASE)
_COMENTARIO = re.compile(r"\([^()]*\)")
_METODOS = ("spf", "dkim", "dmarc")


def _autenticacion(valores: list[str]) -> dict[str, str]:
    """spf/dkim/dmarc results of the topmost Authentication-Results header (RFC 8601): the
    one our own receiving server added; the first result per method counts."""
    if not valores:
        return {}
    valor = _sin_8bit(valores[0])
    for _ in range(3):  # comments, also nested a few levels
        valor = _COMENTARIO.sub(" ", valor)
    resultado: dict[str, str] = {}
    for parte in valor.split(";")[1:]:  # the first element is the authserv-id
        m = _RESULTADO.match(parte)
        if m:
            metodo = m.group(1).lower()
            if metodo in _METODOS:
                resultado.setdefault(metodo, m.group(2).lower())
    return resultado


#: Local parts of senders that are systems, never a person (compared without "-", "_", ".").
_SISTEMAS = ("mailerdaemon", "postmaster", "noreply", "donotreply", "dontreply", "bounce")


def _es_sistema(direccion: str) -> bool:
    local = direccion.rpartition("@")[0].split("+", 1)[0]
    local = local.replace("-", "").replace("_", "").replace(".", "")
    return local.startswith(_SISTEMAS)


def _valor(cabeceras: dict[str, list[str]], nombre: str) -> str:
    valores = cabeceras.get(nombre)
    return _una_linea(_sin_8bit(valores[0])).lower() if valores else ""


def _automatico(cabeceras: dict[str, list[str]], tipo: str, remitente: str) -> str | None:
    """Why the message is machine-sent (a loop signal), or None when a person wrote it.

    Mailing lists (``List-Id``) count as "precedence": a list message is not a person writing
    to support. ``List-Unsubscribe`` alone does not: people writing through a CRM's mail tool
    send it too, and their messages are real requests."""
    if tipo == "multipart/report":  # DSN (bounce), MDN (read receipt)
        return "informe-entrega"
    enviado = _valor(cabeceras, "auto-submitted")
    if enviado and enviado.split(";", 1)[0].strip() != "no":
        return "auto-submitted"
    if _valor(cabeceras, "precedence") in ("bulk", "junk", "list", "auto_reply"):
        return "precedence"
    if "list-id" in cabeceras:
        return "precedence"
    if any(n in cabeceras for n in ("x-autoreply", "x-autorespond", "x-autoresponder")):
        return "x-autoreply"
    if "x-ms-exchange-inbox-rules-loop" in cabeceras:
        return "x-autoreply"
    suprimir = {
        v.strip() for v in _valor(cabeceras, "x-auto-response-suppress").split(",") if v.strip()
    }
    if suprimir & {"all", "oof", "autoreply"}:
        return "x-autoreply"
    if remitente and _es_sistema(remitente):
        return "remitente-sistema"
    retorno = cabeceras.get("return-path")
    if retorno and _una_linea(_sin_8bit(retorno[0])) in ("<>", ""):
        return "remitente-sistema"
    return None


# -- body and attachments -----------------------------------------------------------------

#: Nesting deeper than this is not a real client's: the rest of the tree is ignored.
_PROFUNDIDAD = 30
_EXTENSIONES = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "application/octet-stream": ".bin",
}
_NOMBRES = {
    "text/calendar": "invitacion",
    "message/rfc822": "mensaje",
    "message/delivery-status": "informe-entrega",
    "message/disposition-notification": "acuse",
    "text/rfc822-headers": "cabeceras",
}


@functools.lru_cache(maxsize=128)
def _extension(tipo: str) -> str:
    return _EXTENSIONES.get(tipo) or mimetypes.guess_extension(tipo, strict=False) or ".bin"


def _tipo(parte: Message) -> str:
    try:
        return parte.get_content_type()
    except Exception:
        return "application/octet-stream"


def _contenido(parte: Message) -> bytes:
    """The decoded payload of a leaf part (base64/qp/uu; damaged encodings as far as they go)."""
    try:
        datos = parte.get_payload(decode=True)
    except Exception:
        datos = None
    if isinstance(datos, bytes):
        return datos
    try:
        crudo = parte.get_payload()
    except Exception:
        return b""
    if isinstance(crudo, str):
        return crudo.encode("utf-8", "surrogateescape")
    return b""


def _mensaje_adjunto(parte: Message) -> bytes:
    """The bytes of a message/* part's content (an attached message, a DSN's status)."""
    try:
        cuerpo = parte.get_payload()
    except Exception:
        return b""
    if isinstance(cuerpo, str):
        return cuerpo.encode("utf-8", "surrogateescape")
    bloques = []
    for sub in cuerpo if isinstance(cuerpo, list) else ():
        if not isinstance(sub, Message):
            continue
        try:
            bloques.append(sub.as_bytes(policy=email.policy.default))
        except Exception:
            try:
                bloques.append(sub.as_bytes(policy=email.policy.compat32))
            except Exception:
                continue
    return b"".join(bloques)


def _parametro(parte: Message, nombre: str, cabecera: str) -> str | None:
    try:
        valor = parte.get_param(nombre, header=cabecera)
    except Exception:
        return None
    if valor is None:
        return None
    try:
        texto = email.utils.collapse_rfc2231_value(valor)
    except Exception:
        texto = str(valor)
    return _decodificar(texto)


def _nombre_archivo(parte: Message) -> str | None:
    """The part's filename (RFC 2231 and the non-standard RFC 2047 forms both decoded)."""
    nombre = _parametro(parte, "filename", "content-disposition")
    if not nombre:
        nombre = _parametro(parte, "name", "content-type")
    return nombre or None


def _disposicion(parte: Message) -> str | None:
    try:
        return parte.get_content_disposition()
    except Exception:
        return None


def _texto_calendario(ics: str) -> str:
    """A readable summary of an iCalendar invite (summary, when, where, description)."""
    campos = {"SUMMARY": "", "DTSTART": "", "LOCATION": "", "DESCRIPTION": ""}
    desplegado = re.sub(r"\n[ \t]", "", ics)  # RFC 5545 line folding
    for linea in desplegado.split("\n"):
        clave, _, valor = linea.partition(":")
        clave = clave.split(";", 1)[0].strip().upper()
        if clave in campos and not campos[clave]:
            valor = valor.strip().replace("\\n", "\n").replace("\\N", "\n")
            campos[clave] = re.sub(r"\\([,;\\])", r"\1", valor)
    etiquetas = {"SUMMARY": "", "DTSTART": "Cuándo: ", "LOCATION": "Dónde: ", "DESCRIPTION": ""}
    return "\n".join(etiquetas[c] + v for c, v in campos.items() if v).strip()


class _Lector:
    """One walk over the MIME tree: the body text and the attachments, each part once."""

    def __init__(self) -> None:
        self.adjuntos: list[AdjuntoCorreo] = []
        self._vistos: set[tuple[str | None, str, bytes]] = set()
        self.calendario = ""

    def _adjuntar(self, parte: Message, tipo: str, contenido: bytes) -> None:
        disposicion = _disposicion(parte)
        try:
            cid_crudo = parte.get_all("content-id")
        except Exception:
            cid_crudo = None
        cid = None
        if cid_crudo:
            cid = _una_linea(_sin_8bit(str(cid_crudo[0]))).strip("<> ") or None
        nombre = _nombre_archivo(parte)
        if tipo in ("message/rfc822", "message/global") and not nombre:
            nombre = _asunto_adjunto(contenido)
        limpio = sanitize_filename(nombre) if nombre else ""
        if not nombre or (limpio == "archivo" and nombre.strip() != "archivo"):
            base = "imagen" if tipo.startswith("image/") else _NOMBRES.get(tipo, "adjunto")
            limpio = sanitize_filename(base + _extension(tipo))
        elif tipo in ("message/rfc822", "message/global") and not limpio.lower().endswith(".eml"):
            limpio = sanitize_filename(limpio + ".eml")
        elif tipo == "text/calendar" and "." not in limpio:
            limpio = sanitize_filename(limpio + ".ics")
        # The same part reachable twice (both halves of an alternative) is one attachment.
        clave = (cid, limpio, hashlib.blake2b(contenido, digest_size=16).digest())
        if clave in self._vistos:
            return
        self._vistos.add(clave)
        self.adjuntos.append(
            AdjuntoCorreo(
                nombre=limpio,
                tipo=tipo,
                contenido=contenido,
                en_linea=disposicion == "inline" or (cid is not None and disposicion is None),
                content_id=cid,
            )
        )

    def parte(self, parte: Message, profundidad: int = 0) -> tuple[str, bool]:
        """Walk ``parte``: returns (its body text, whether that text came from text/plain);
        attachments are collected on the way."""
        if profundidad > _PROFUNDIDAD:
            return "", False
        tipo = _tipo(parte)
        principal = tipo.partition("/")[0]
        if principal == "message":
            # An attached message (or a DSN's machine-readable status): never our body.
            self._adjuntar(parte, tipo, _mensaje_adjunto(parte))
            return "", False
        if parte.is_multipart():
            hijos = [h for h in parte.get_payload() if isinstance(h, Message)]
            if tipo == "multipart/alternative":
                return self._alternativa(hijos, profundidad)
            textos = []
            de_plano = False
            for hijo in hijos:
                texto, plano = self.parte(hijo, profundidad + 1)
                if texto:
                    textos.append(texto)
                    de_plano = de_plano or plano
            return "\n\n".join(textos), de_plano
        contenido = _contenido(parte)
        disposicion = _disposicion(parte)
        nombre = _nombre_archivo(parte)
        # A multipart whose boundary is missing arrives here as one leaf: read it as text.
        es_texto = tipo in ("text/plain", "text/html") or principal == "multipart"
        if es_texto and disposicion != "attachment" and not nombre:
            try:
                charset = parte.get_content_charset()
            except Exception:
                charset = None
            texto = _bytes_a_texto(contenido, charset)
            if tipo == "text/html":
                return html_a_texto(texto), False
            return texto.strip("\n"), True
        if tipo == "text/calendar" and not self.calendario:
            try:
                charset = parte.get_content_charset()
            except Exception:
                charset = None
            self.calendario = _texto_calendario(_bytes_a_texto(contenido, charset))
        self._adjuntar(parte, tipo, contenido)
        return "", False

    def _alternativa(self, hijos: list[Message], profundidad: int) -> tuple[str, bool]:
        """multipart/alternative: the text/plain version, else the first that has text (HTML);
        every version is still walked for its attachments (a calendar, inline images)."""
        elegido: tuple[str, bool] = ("", False)
        for hijo in hijos:
            texto, plano = self.parte(hijo, profundidad + 1)
            if texto and (not elegido[0] or (plano and not elegido[1])):
                elegido = (texto, plano)
        return elegido


def _asunto_adjunto(contenido: bytes) -> str:
    """The subject of an attached message, for its file name (``mensaje.eml`` without one)."""
    cabecera = contenido[:8192].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    m = re.search(rb"(?im)^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)", cabecera)
    asunto = _una_linea(_decodificar(m.group(1).decode("ascii", "surrogateescape"))) if m else ""
    return (asunto[:80].strip() or "mensaje") + ".eml"


# -- the entry point ----------------------------------------------------------------------

#: At least one of these makes the bytes a message (a parser accepts "a: b" of anything).
_CABECERAS_MENSAJE = {
    "from", "sender", "reply-to", "to", "cc", "subject", "message-id", "date", "in-reply-to",
    "references", "mime-version", "received", "return-path", "delivered-to", "content-type",
}  # fmt: skip


def _analizar(crudo: bytes) -> Analizado:
    if not crudo or not crudo.strip():
        raise MensajeIlegible("mensaje vacío")
    try:
        msg = email.message_from_bytes(crudo, policy=email.policy.default)
        cabeceras = _cabeceras(msg)
    except Exception as exc:
        raise MensajeIlegible(f"no se puede leer el mensaje ({type(exc).__name__})") from None
    if not _CABECERAS_MENSAJE & cabeceras.keys():
        raise MensajeIlegible("no tiene cabeceras de correo")

    remitentes = _direcciones(cabeceras.get("from", ()))
    nombre, remitente = remitentes[0] if remitentes else ("", "")
    destinatarios = tuple(
        dict.fromkeys(
            direccion
            for campo in ("to", "cc", "delivered-to", "x-original-to")
            for _, direccion in _direcciones(cabeceras.get(campo, ()))
        )
    )
    asunto = cabeceras.get("subject")
    tipo = _tipo(msg)

    lector = _Lector()
    try:
        texto, _ = lector.parte(msg)
    except RecursionError:
        texto = ""
    texto = texto.strip() or lector.calendario
    mid = _ids(cabeceras.get("message-id", ())[:1])
    return Analizado(
        message_id=mid[0] if mid else None,
        in_reply_to=_ids(cabeceras.get("in-reply-to", ())),
        references=_ids(cabeceras.get("references", ())),
        remitente=remitente,
        remitente_nombre=nombre,
        destinatarios=destinatarios,
        asunto=_una_linea(_decodificar(asunto[0])) if asunto else "",
        texto=texto,
        texto_nuevo=_texto_nuevo(texto) if texto else "",
        adjuntos=tuple(lector.adjuntos),
        automatico=_automatico(cabeceras, tipo, remitente),
        autenticacion=_autenticacion(cabeceras.get("authentication-results", [])),
        fecha=_fecha(cabeceras.get("date", [])),
    )


def analizar(crudo: bytes) -> Analizado:
    """Parse ``crudo`` (the raw bytes of one message) into an :class:`Analizado`.

    Raises :class:`MensajeIlegible` when nothing usable is there, and nothing else: each
    piece is read tolerantly, and an unexpected failure (a bug here or in the stdlib parser on
    hostile input) becomes ``MensajeIlegible`` too, so the message is quarantined with the
    reason instead of stopping the pipeline."""
    try:
        return _analizar(crudo)
    except MensajeIlegible:
        raise
    except Exception as exc:
        raise MensajeIlegible(f"error al leer el mensaje ({type(exc).__name__}: {exc})") from None
