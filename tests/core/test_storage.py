"""Storage: uploads under random names, signed expiring download links, multipart limits."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pytest
from aiohttp import FormData
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from yarl import URL

from core import keys
from core.keyring import LINKS
from core.storage import Storage, download_headers, sanitize_filename

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from core.testing import SoporteClient


def archivos_en(media: Path) -> list[Path]:
    """Every file stored under the media folder."""
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def formulario(*archivos: tuple[str, bytes, str], **campos: str) -> FormData:
    """A multipart form with files ``(nombre, contenido, tipo)`` as archivo_0, archivo_1…"""
    data = FormData(quote_fields=False)  # as browsers send them: names not %-encoded
    for key, value in campos.items():
        data.add_field(key, value)
    for i, (nombre, contenido, tipo) in enumerate(archivos):
        data.add_field(f"archivo_{i}", contenido, filename=nombre, content_type=tipo)
    return data


async def subir(api: SoporteClient, *archivos: tuple[str, bytes, str]) -> list[dict[str, Any]]:
    r = await api.post("/api/pruebas/adjuntos/", data=formulario(*archivos))
    assert r.status == 201, await r.text()
    return await r.json()


def ruta(url: str) -> str:
    """The path of an absolute link (the test client speaks to its own server only)."""
    return URL(url).raw_path


def token_de(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def media(api: SoporteClient) -> Path:
    return api.app[keys.SETTINGS].media_dir


# --- uploads and downloads -------------------------------------------------------------------


async def test_upload_then_download_through_the_signed_link(api: SoporteClient) -> None:
    [pdf, png] = await subir(
        api,
        ("informe final.pdf", b"%PDF-1.4 datos", "application/pdf"),
        ("foto.png", b"\x89PNG", "image/png"),
    )
    assert pdf["nombre"] == "informe final.pdf" and pdf["tipo"] == "application/pdf"
    assert pdf["tamano"] == len(b"%PDF-1.4 datos")
    origin = f"http://{api.server.host}:{api.server.port}"
    assert pdf["url"].startswith(f"{origin}/api/descargas/") and pdf["url"].endswith("/")
    r = await api.get(pdf["url"].removeprefix(origin))  # no Authorization header, like <a href>
    assert r.status == 200
    assert await r.read() == b"%PDF-1.4 datos"
    assert r.headers["Content-Type"] == "application/pdf"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="informe final.pdf"' in disposition
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r = await api.get(png["url"].removeprefix(origin).rstrip("/"))  # slash optional here too
    assert r.status == 200 and await r.read() == b"\x89PNG"


async def test_files_are_stored_under_random_names(api: SoporteClient) -> None:
    await subir(api, ("../../secreto.txt", b"abc", "text/plain"))
    [stored] = archivos_en(media(api))
    assert "secreto" not in str(stored)
    relative = stored.relative_to(media(api)).as_posix()
    assert len(relative) == 2 + 1 + 32 and relative[:2] == relative[3:5]


async def test_dangerous_types_are_served_as_octet_stream(api: SoporteClient) -> None:
    [html] = await subir(api, ("x.html", b"<script>alert(1)</script>", "text/html"))
    r = await api.get(ruta(html["url"]))
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Disposition"].startswith("attachment;")


async def test_non_ascii_names_are_kept_for_the_download(api: SoporteClient) -> None:
    [f] = await subir(api, ('factura "ñandú".pdf', b"x", "application/pdf"))
    r = await api.get(ruta(f["url"]))
    disposition = r.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "factura _ñandú_.pdf"
    ascii_part = disposition.split('filename="')[1].split('"')[0]
    assert ascii_part.isascii() and '"' not in ascii_part


async def test_links_use_the_public_url(arrancar: Callable[..., Awaitable[SoporteClient]]) -> None:
    api = await arrancar(public_url="https://soporte.example.com/mesa")
    [f] = await subir(api, ("a.txt", b"a", "text/plain"))
    assert f["url"].startswith("https://soporte.example.com/mesa/api/descargas/")


async def test_a_tampered_link_is_403(api: SoporteClient) -> None:
    [f] = await subir(api, ("a.txt", b"a", "text/plain"))
    token = token_de(f["url"])
    payload, rest = token.split(".", 1)
    firma = token.rpartition(".")[2]
    otro = Storage(media(api), "otra-clave", 3600)
    key = otro.verify(otro.sign("ab/" + "ab" * 16, "a.txt", "text/plain"))["k"]
    for bad in (
        payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + rest,  # payload changed
        # signature changed, at its first character (the last one carries unused bits)
        f"{token.rpartition('.')[0]}.{'A' if firma[0] != 'A' else 'B'}{firma[1:]}",
        otro.sign(key, "a.txt", "text/plain"),  # signed with another key
        "basura",
    ):
        r = await api.get(f"/api/descargas/{bad}/")
        assert r.status == 403, bad
        assert r.content_type == "application/problem+json"
        assert "no es válido" in (await r.json())["detail"]


def firma_antigua(secret: str, segundos: int) -> type[TimestampSigner]:
    """A signer whose clock is ``segundos`` behind, to mint links that are already old."""

    class Antigua(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - segundos

    return Antigua


async def test_an_expired_link_is_403(arrancar: Callable[..., Awaitable[SoporteClient]]) -> None:
    api = await arrancar(link_ttl_seconds=60)
    [f] = await subir(api, ("a.txt", b"a", "text/plain"))
    storage = api.app[keys.STORAGE]
    data = storage.verify(token_de(f["url"]))
    # Links are signed with the key derived for them, not with the secret key itself.
    secret = api.app[keys.KEYRING].key(LINKS)

    def antiguo(segundos: int) -> str:
        signer = URLSafeTimedSerializer(
            secret, salt="soporte.descarga", signer=firma_antigua(secret, segundos)
        )
        return signer.dumps(data)

    assert (await api.get(f"/api/descargas/{antiguo(30)}/")).status == 200  # inside the TTL
    r = await api.get(f"/api/descargas/{antiguo(61)}/")
    assert r.status == 403
    assert "caducado" in (await r.json())["detail"]


async def test_a_link_whose_file_is_gone_is_404(api: SoporteClient) -> None:
    [f] = await subir(api, ("a.txt", b"a", "text/plain"))
    for stored in archivos_en(media(api)):
        stored.unlink()
    r = await api.get(ruta(f["url"]))
    assert r.status == 404 and r.content_type == "application/problem+json"


def test_a_signed_link_cannot_point_outside_the_media_folder(tmp_path: Path) -> None:
    storage = Storage(tmp_path, "k", 60)
    from core.api import Forbidden

    with pytest.raises(Forbidden):
        storage.verify(storage._signer.dumps({"k": "../../etc/passwd", "n": "x", "t": "x"}))
    with pytest.raises(ValueError, match="not a storage key"):
        storage.path("../x")
    key = storage.new_key()
    assert storage.path(key).is_relative_to(tmp_path)
    assert storage.verify(storage.sign(key, "n", "t")) == {"k": key, "n": "n", "t": "t"}


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("informe.pdf", "informe.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ana\\foto.png", "foto.png"),
        ("/abs/path/a.txt", "a.txt"),
        ("a\x00b\r\nc\x1b.txt", "abc.txt"),
        ("  .oculto. ", "oculto"),
        ('a<b>c:"d"|e?f*.txt', "a_b_c__d__e_f_.txt"),
        ("", "archivo"),
        (None, "archivo"),
        ("../", "archivo"),
        ("\x00\x01", "archivo"),
        ("año ñandú.pdf", "año ñandú.pdf"),
        ("x" * 300 + ".pdf", "x" * 190 + ".pdf"),
        ("y" * 300, "y" * 200),
        ("e\u0301.txt", "\u00e9.txt"),  # NFC
        ("a\u202eexe.txt", "aexe.txt"),  # right-to-left override is a format (C) character
    ],
)
def test_sanitize_filename(raw: str | None, clean: str) -> None:
    assert sanitize_filename(raw) == clean


def test_download_headers() -> None:
    headers = download_headers("a.pdf", "application/pdf")
    assert (
        headers["Content-Disposition"] == "attachment; filename=\"a.pdf\"; filename*=UTF-8''a.pdf"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert download_headers("a", "text/html")["Content-Type"] == "application/octet-stream"


# --- multipart limits ------------------------------------------------------------------------


async def test_a_file_over_the_size_limit_is_413_and_nothing_is_left(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(max_upload_mb=0.001)  # 1048 bytes
    ok = ("ok.txt", b"a" * 1000, "text/plain")
    grande = ("grande.bin", b"b" * 2000, "application/octet-stream")
    r = await api.post("/api/pruebas/adjuntos/", data=formulario(ok, grande))
    assert r.status == 413 and r.content_type == "application/problem+json"
    assert "grande.bin" in (await r.json())["detail"]
    assert archivos_en(media(api)) == []
    [f] = await subir(api, ok)
    assert f["tamano"] == 1000


async def test_more_files_than_allowed_is_413_and_nothing_is_left(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(max_files=2)
    tres = [(f"{i}.txt", b"x", "text/plain") for i in range(3)]
    r = await api.post("/api/pruebas/adjuntos/", data=formulario(*tres))
    assert r.status == 413
    assert "2" in (await r.json())["detail"]
    assert archivos_en(media(api)) == []
    assert len(await subir(api, *tres[:2])) == 2


async def test_multipart_files_are_removed_when_the_request_fails(api: SoporteClient) -> None:
    # The handler fails after the files were stored.
    r = await api.post(
        "/api/pruebas/adjuntos-fallo/", data=formulario(("a.txt", b"a", "text/plain"))
    )
    assert r.status == 409
    assert archivos_en(media(api)) == []
    # The form fields are invalid.
    r = await api.post(
        "/api/pruebas/formulario/", data=formulario(("a.txt", b"a", "text/plain"), titulo="")
    )
    assert r.status == 400 and "titulo" in (await r.json())["errors"]
    assert archivos_en(media(api)) == []
    # The endpoint takes a form but no files: files sent anyway are not kept.
    r = await api.post(
        "/api/pruebas/sin-archivos/", data=formulario(("a.txt", b"a", "text/plain"), titulo="t")
    )
    assert r.status == 201 and (await r.json())["mensaje"] == "t"
    assert archivos_en(media(api)) == []


async def test_a_form_endpoint_takes_json_or_multipart(api: SoporteClient) -> None:
    r = await api.post("/api/pruebas/formulario/", json={"titulo": "solo json"})
    assert r.status == 201 and await r.json() == {"titulo": "solo json", "archivos": []}
    r = await api.post(
        "/api/pruebas/formulario/",
        data=formulario(("a.txt", b"a", "text/plain"), ("b.txt", b"bb", "text/plain"), titulo="t"),
    )
    body = await r.json()
    assert r.status == 201 and [a["nombre"] for a in body["archivos"]] == ["a.txt", "b.txt"]
    assert len(archivos_en(media(api))) == 2
    r = await api.post("/api/pruebas/formulario/", data={"titulo": "urlencoded"})
    assert r.status == 201 and (await r.json())["titulo"] == "urlencoded"


async def test_a_huge_form_field_is_413(api: SoporteClient) -> None:
    r = await api.post(
        "/api/pruebas/formulario/",
        data=formulario(("a.txt", b"a", "text/plain"), titulo="x" * (1024 * 1024 + 1)),
    )
    assert r.status == 413
    assert archivos_en(media(api)) == []


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        ("multipart/form-data", b"sin boundary"),
        ("multipart/form-data; boundary=xyz", b"basura"),
        (
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="archivo_0"; filename="a.txt"\r\n'
            b"\r\ntruncado sin cierre",
        ),
        ("multipart/form-data; boundary=xyz", b"--xyz\r\n\r\nparte sin nombre\r\n--xyz--\r\n"),
    ],
)
async def test_a_malformed_multipart_body_is_400_and_nothing_is_left(
    api: SoporteClient, ctype: str, body: bytes
) -> None:
    r = await api.post("/api/pruebas/adjuntos/", data=body, headers={"Content-Type": ctype})
    assert r.status == 400, await r.text()
    assert r.content_type == "application/problem+json"
    assert archivos_en(media(api)) == []
