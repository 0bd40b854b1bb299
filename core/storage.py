"""File storage for attachments, and signed, expiring download links.

Files are stored under a random name (never the client's); the client's name survives only as a
sanitised display name. A download link is ``{base}/api/descargas/{token}/`` where the token is
signed with the secret key and carries the stored key, display name and type, so the link works
from a plain ``<a href>`` on another origin (no ``Authorization`` header) and cannot be altered.
Downloads are served with ``Content-Disposition: attachment`` and ``nosniff``.

An image attachment (a real PNG, JPEG, GIF or WebP, whatever type the client declared) gets a
thumbnail when it is stored (:mod:`core.thumbnails`), kept beside it and deleted with it.
:meth:`Storage.links` signs, besides the download link, a link to the thumbnail and one that
shows the image in the browser (``inline``) — the same signed, expiring tokens, served by the
same endpoint: whoever may see the attachment's link may see its preview, nobody else.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Self
from urllib.parse import quote

from aiohttp import BodyPartReader
from aiohttp.http_exceptions import HttpProcessingError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel, Field

from core.api.errors import BadRequest, Forbidden, PayloadTooLarge, UnsupportedMediaType
from core.api.urls import base_url as base_url  # re-exported from its old home
from core.i18n import gettext as _
from core.keys import SETTINGS, STORAGE
from core.thumbnails import CONTENT_TYPE as THUMBNAIL_TYPE
from core.thumbnails import image_format, make_thumbnail

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from aiohttp import web

_CHUNK = 64 * 1024
_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}$")
# Types a browser may be told as-is; anything else is served as application/octet-stream.
_SAFE_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


#: What a signed link serves: the thumbnail (``m``), or the image itself shown inline (``i``);
#: absent, the file as a download.
Vista = Literal["m", "i"]


class Links(NamedTuple):
    """The signed links of one stored file: the download, and for an image its previews."""

    #: The download (``Content-Disposition: attachment``), for every file.
    url: str
    #: The thumbnail (WebP, at most 320 × 320), or ``None`` when the file is no image.
    miniatura: str | None
    #: The image itself, shown in the browser (``inline``), or ``None`` when it is no image.
    vista: str | None


class ArchivoOut(BaseModel):
    """A stored file as the API shows it (a plugin's attachment model extends it): ``url`` is
    the signed download link, ``miniatura`` and ``vista`` the previews of an image."""

    id: int
    nombre: str
    tipo: str
    tamano: int
    url: str
    miniatura: str | None = Field(
        None,
        description="For an image (a real PNG, JPEG, GIF or WebP, whatever type was declared): a "
        "signed, expiring link to its thumbnail (WebP, at most 320 × 320); null otherwise.",
    )
    vista: str | None = Field(
        None,
        description="For an image: a signed, expiring link that shows it in the browser "
        "(Content-Disposition: inline); null otherwise.",
    )

    @classmethod
    def de(cls, archivo: Any, enlaces: Links) -> Self:
        """From a stored file's row (``id``, ``nombre``, ``tipo``, ``tamano``) and its links."""
        return cls(
            id=archivo.id,
            nombre=archivo.nombre,
            tipo=archivo.tipo,
            tamano=archivo.tamano,
            url=enlaces.url,
            miniatura=enlaces.miniatura,
            vista=enlaces.vista,
        )


@dataclass(frozen=True)
class Upload:
    """A file received in a multipart request and already stored."""

    field: str
    key: str
    nombre: str
    tipo: str
    tamano: int


def sanitize_filename(name: str | None) -> str:
    """A display name safe to show and to put in a header: no path, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[<>:\"|?*]", "_", name).strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot and len(ext) < 10 else name[:200]
    return name or "archivo"


class Storage:
    """Attachments on the local disk under ``media_dir``."""

    def __init__(self, media_dir: Path, secret_key: str | Sequence[str], link_ttl: int) -> None:
        """``secret_key``: the links' key, or a list of keys, oldest first, that verify links —
        the last one also signs (the app passes :meth:`core.keyring.Keyring.verification_keys`
        for the download-link purpose, never the raw secret key)."""
        self.media_dir = media_dir
        self.link_ttl = link_ttl
        keys = [secret_key] if isinstance(secret_key, str) else list(secret_key)
        self._signer = URLSafeTimedSerializer(keys, salt="soporte.descarga")

    def path(self, key: str) -> Path:
        """Where the file of ``key`` lives; refuses anything but a key this class made."""
        if not _KEY.match(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.media_dir / key

    def new_key(self) -> str:
        """A fresh random key, spread over 256 folders."""
        token = secrets.token_hex(16)
        return f"{token[:2]}/{token}"

    async def save_part(self, part: BodyPartReader, limit: int) -> tuple[str, int]:
        """Stream one multipart file part to disk; 413 (and nothing kept) past ``limit`` bytes."""
        key = self.new_key()
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        try:
            with open(target, "wb") as out:  # noqa: ASYNC230 — 64 KiB local writes are cheap
                while chunk := await part.read_chunk(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise PayloadTooLarge(
                            _("El archivo «{nombre}» supera el máximo de {n} MiB.").format(
                                nombre=sanitize_filename(part.filename), n=limit // (1024 * 1024)
                            )
                        )
                    out.write(chunk)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return key, size

    def delete(self, key: str) -> None:
        """Remove a stored file and its thumbnail (missing is fine)."""
        self.path(key).unlink(missing_ok=True)
        self.thumbnail_path(key).unlink(missing_ok=True)

    def thumbnail_path(self, key: str) -> Path:
        """Where the thumbnail of ``key`` lives (beside the file; it may not exist)."""
        path = self.path(key)
        return path.with_name(f"{path.name}.min.webp")

    def has_thumbnail(self, key: str) -> bool:
        """Whether the file of ``key`` has a thumbnail (so it is a real image)."""
        return os.path.exists(self.thumbnail_path(key))

    async def make_thumbnail(self, key: str) -> bool:
        """Make the thumbnail of a stored file, once, if it is an image; whether it has one.

        Decoding runs in a thread, off the event loop. Safe to call concurrently: the first
        thumbnail written stays (see :mod:`core.thumbnails`).
        """
        return await asyncio.to_thread(make_thumbnail, self.path(key), self.thumbnail_path(key))

    def sign(self, key: str, nombre: str, tipo: str, vista: Vista | None = None) -> str:
        """A token for a link of ``key``: the download, or with ``vista`` a preview."""
        payload: dict[str, str] = {"k": key, "n": nombre, "t": tipo}
        if vista is not None:
            payload["v"] = vista
        return self._signer.dumps(payload)

    def url(self, base: str, key: str, nombre: str, tipo: str) -> str:
        """The absolute, signed, expiring download link of a stored file."""
        return f"{base}/api/descargas/{self.sign(key, nombre, tipo)}/"

    def links(self, base: str, key: str, nombre: str, tipo: str) -> Links:
        """The download link of a stored file and, when it has a thumbnail, its two previews."""
        url = self.url(base, key, nombre, tipo)
        if not self.has_thumbnail(key):
            return Links(url, None, None)
        return Links(
            url,
            f"{base}/api/descargas/{self.sign(key, nombre, tipo, 'm')}/",
            f"{base}/api/descargas/{self.sign(key, nombre, tipo, 'i')}/",
        )

    def verify(self, token: str) -> dict[str, Any]:
        """The payload of a link token; 403 when tampered with or expired."""
        try:
            data = self._signer.loads(token, max_age=self.link_ttl)
        except SignatureExpired as exc:
            raise Forbidden("El enlace de descarga ha caducado.") from exc
        except BadSignature as exc:
            raise Forbidden("El enlace de descarga no es válido.") from exc
        if not isinstance(data, dict) or not _KEY.match(str(data.get("k", ""))):
            raise Forbidden("El enlace de descarga no es válido.")
        return data

    def served(self, data: dict[str, Any]) -> tuple[Path, dict[str, str]]:
        """The file a verified link token serves, and its headers.

        A thumbnail link serves the thumbnail; an image link serves the file inline with the
        content type Pillow found in it (a file that is no image is a download, whatever was
        signed); a plain link is the download.
        """
        key, nombre, tipo = data["k"], str(data.get("n", "")), str(data.get("t", ""))
        vista = data.get("v")
        if vista == "m":
            stem = nombre.rsplit(".", 1)[0] or "miniatura"
            return self.thumbnail_path(key), download_headers(
                f"{stem}.webp", THUMBNAIL_TYPE, inline=True
            )
        path = self.path(key)
        if vista == "i" and (real := image_format(path)) is not None:
            return path, download_headers(nombre, real, inline=True)
        return path, download_headers(nombre, tipo)


async def _read_text_part(part: BodyPartReader, budget: int, limit_mb: float) -> bytes:
    """A text part's bytes, read in chunks against ``budget`` (what is left of the form's text
    allowance): a 413 as soon as it is spent, so no more than the budget is ever held."""
    value = bytearray()
    while chunk := await part.read_chunk(_CHUNK):
        if len(value) + len(chunk) > budget:
            raise PayloadTooLarge(
                _(
                    "El texto del formulario supera el máximo de {n} MiB (todos los campos juntos)."
                ).format(n=f"{limit_mb:g}")
            )
        value += chunk
    return bytes(value)


#: Encodings that leave a part's bytes as they are (RFC 7578 forbids any other in a form).
_PLAIN_ENCODINGS = ("", "identity", "binary", "7bit", "8bit")


def _refuse_encoded_part(part: BodyPartReader) -> None:
    """415 for a part with a ``Content-Encoding`` or ``Content-Transfer-Encoding``: decoding it
    (``part.read(decode=True)`` would) inflates it past any budget — a zip bomb inside a form;
    parts are read raw, so an encoded one is refused rather than stored still encoded."""
    for header in ("Content-Encoding", "Content-Transfer-Encoding"):
        encoding = part.headers.get(header, "").strip().lower()
        if encoding not in _PLAIN_ENCODINGS:
            raise UnsupportedMediaType(
                _("{cabecera} «{valor}» no soportado en una parte del formulario.").format(
                    cabecera=header, valor=encoding[:40]
                )
            )


async def read_multipart(request: web.Request) -> tuple[dict[str, list[str]], list[Upload]]:
    """Read a form: text fields by name, and every file part stored on disk.

    Limits from the settings (413 past any): ``max_form_parts`` parts, ``max_form_mb`` of text
    for all the fields together (streamed against that budget, never read whole first),
    ``max_upload_mb`` per file and ``max_files`` files. A part with a ``Content-Encoding`` is a
    415. If anything fails midway, the files already stored are removed.
    """
    settings = request.app[SETTINGS]
    storage = request.app[STORAGE]
    fields: dict[str, list[str]] = {}
    files: list[Upload] = []
    if request.content_type == "application/x-www-form-urlencoded":
        # Bounded by the application's client_max_size (1 MiB), as a JSON body.
        form = await request.post()
        for key in form:
            fields[key] = [str(v) for v in form.getall(key)]
        return fields, files
    budget = settings.max_form_bytes
    parts = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            parts += 1
            if parts > settings.max_form_parts:
                raise PayloadTooLarge(
                    _("Un formulario admite como máximo {n} partes.").format(
                        n=settings.max_form_parts
                    )
                )
            # A nested multipart (a MultipartReader) is no field: only body parts are read.
            if not isinstance(part, BodyPartReader) or part.name is None:
                raise BadRequest("Parte de formulario sin nombre.")
            _refuse_encoded_part(part)
            if part.filename is None:
                value = await _read_text_part(part, budget, settings.max_form_mb)
                budget -= len(value)
                fields.setdefault(part.name, []).append(value.decode("utf-8", "replace"))
                continue
            if len(files) >= settings.max_files:
                raise PayloadTooLarge(
                    _("Se admiten como máximo {n} archivos.").format(n=settings.max_files)
                )
            key, size = await storage.save_part(part, settings.max_upload_bytes)
            await storage.make_thumbnail(key)
            tipo = (part.headers.get("Content-Type") or "application/octet-stream")[:100]
            files.append(Upload(part.name, key, sanitize_filename(part.filename), tipo, size))
    except (ValueError, HttpProcessingError) as exc:
        # aiohttp's parser rejects a bad boundary, a truncated body or a control character in a
        # part's headers this way: the client's fault, so a 400 (never a 500).
        for upload in files:
            storage.delete(upload.key)
        raise BadRequest("Formulario multipart mal formado.") from exc
    except BaseException:
        for upload in files:
            storage.delete(upload.key)
        raise
    return fields, files


def download_headers(nombre: str, tipo: str, inline: bool = False) -> dict[str, str]:
    """Headers that force a download (or, for a checked image, show it: ``inline``) and stop
    the browser from guessing the type."""
    ascii_name = nombre.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    disposition = "inline" if inline else "attachment"
    return {
        "Content-Type": tipo if tipo in _SAFE_TYPES else "application/octet-stream",
        "Content-Disposition": (
            f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(nombre)}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }


def exists(storage: Storage, key: str) -> bool:
    """Whether the stored file of ``key`` is on disk."""
    return os.path.exists(storage.path(key))
