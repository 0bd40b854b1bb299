"""Thumbnails of image attachments: made once, when the file is uploaded, beside it.

The declared content type is never trusted: the file is opened with Pillow, and only a real
PNG, JPEG, GIF or WebP image of sane dimensions gets a thumbnail. Pillow reads just the header
to tell the format and the size, so anything else (a PDF, a script renamed ``.png``, a
truncated file) costs almost nothing and simply gets none. A decompression bomb — a small file
that claims an enormous canvas — is refused from its header, before any pixel is decoded.

The thumbnail is written to a temporary file and then hard-linked into place: linking fails
when the name exists, so two writers never interleave and an existing thumbnail is never
replaced (generated once, never regenerated).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import warnings
from typing import TYPE_CHECKING, Final

from PIL import Image, ImageOps

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

log = logging.getLogger("soporte.thumbnails")

#: Pillow's format names of the images that get a thumbnail, with their content types.
FORMATS: Final = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
#: Largest canvas decoded (width × height): 40 megapixels, e.g. 8000 × 5000. A header claiming
#: more is a bomb or nothing a helpdesk needs a preview of.
MAX_PIXELS: Final = 40_000_000
#: Largest file decoded, in bytes (uploads may be larger when SOPORTE_MAX_UPLOAD_MB allows).
MAX_BYTES: Final = 25 * 1024 * 1024
#: The thumbnail fits in this box, keeping its proportions (never enlarged).
SIZE: Final = (320, 320)
#: The thumbnails' own format: small, with transparency, shown by every current browser.
CONTENT_TYPE: Final = "image/webp"

# Pillow's own guard, for any decoder that sizes a canvas before we see it: beyond twice this it
# raises DecompressionBombError. Between once and twice it only warns — and _opened refuses
# those from the header, so the warning says nothing new: silenced once, for the process
# (catch_warnings around each open would not be thread-safe).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


@contextlib.contextmanager
def _opened(source: Path) -> Iterator[Image.Image | None]:
    """``source`` opened by Pillow (header only) if it is an image we decode, else ``None``.

    Any error while opening — an untrusted file may be anything, and Pillow raises many kinds
    — is the same answer: no image.
    """
    with contextlib.ExitStack() as stack:
        img: Image.Image | None = None
        try:
            if source.stat().st_size <= MAX_BYTES:
                candidate = stack.enter_context(Image.open(source))
                width, height = candidate.size
                if candidate.format in FORMATS and 1 <= width * height <= MAX_PIXELS:
                    img = candidate
        except Exception:
            log.info("%s is not a decodable image", source.name, exc_info=True)
        yield img


def image_format(source: Path) -> str | None:
    """The content type of ``source`` if it is an image that would get a thumbnail, else None.

    Reads the header only (format and dimensions), so it is cheap for any file.
    """
    with _opened(source) as img:
        return FORMATS[img.format] if img is not None and img.format else None


def make_thumbnail(source: Path, target: Path) -> bool:
    """Write the thumbnail of ``source`` to ``target`` unless it exists; whether one exists now.

    Blocking (decoding takes tens of milliseconds): run it in a thread. Never raises for a bad
    file — it just makes no thumbnail.
    """
    if target.exists():
        return True
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    try:
        with _opened(source) as img:
            if img is None:
                return False
            _write(img, tmp)
        with contextlib.suppress(FileExistsError):  # someone else made it first: theirs stays
            os.link(tmp, target)
        return True
    except Exception:  # a header that looked fine over pixels that do not decode
        log.info("no thumbnail for %s: it does not decode", source.name, exc_info=True)
        return False
    finally:
        tmp.unlink(missing_ok=True)


def _write(img: Image.Image, tmp: Path) -> None:
    """Decode ``img`` (its first frame), shrink it into :data:`SIZE` and save it as WebP."""
    # JPEG decodes at 1/2, 1/4 or 1/8 scale directly: much less work for big photos.
    img.draft("RGB", (SIZE[0] * 2, SIZE[1] * 2))
    img.seek(0)  # the first frame of an animation
    small = ImageOps.exif_transpose(img)
    small.thumbnail(SIZE)
    if small.mode not in ("RGB", "RGBA"):
        alpha = "A" in small.mode or "transparency" in small.info
        small = small.convert("RGBA" if alpha else "RGB")
    small.save(tmp, "WEBP", quality=80)
