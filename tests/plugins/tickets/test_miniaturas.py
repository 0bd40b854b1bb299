"""Image attachments get a thumbnail, once, when they are stored: real PNG/JPEG images made by
Pillow here get one, served through signed links like the download; a PDF, a fake "image" and
a decompression bomb get none; a customer never reaches another's; links expire."""

from __future__ import annotations

import asyncio
import io
import struct
import time
import zlib
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from PIL import Image

from core import keys
from core.auth.models import Rol
from core.keyring import LINKS
from core.thumbnails import MAX_PIXELS, SIZE, make_thumbnail
from plugins.tickets.service import Adjunto
from tests.plugins.tickets.conftest import bearer, crear, formulario, responder

if TYPE_CHECKING:
    from pathlib import Path

    from core.testing import SoporteClient

pytestmark = pytest.mark.plugins("tickets")

ADJUNTOS = "/api/soporte/adjuntos/"


def imagen(formato: str, tamano: tuple[int, int] = (800, 600), modo: str = "RGB") -> bytes:
    """A real image, encoded by Pillow."""
    salida = io.BytesIO()
    Image.new(modo, tamano, (200, 40, 40) if modo == "RGB" else (200, 40, 40, 128)).save(
        salida, formato
    )
    return salida.getvalue()


def bomba_png(ancho: int, alto: int) -> bytes:
    """A tiny PNG whose header claims an enormous canvas (its data is a few bytes)."""

    def trozo(tipo: bytes, datos: bytes) -> bytes:
        return (
            struct.pack(">I", len(datos))
            + tipo
            + datos
            + struct.pack(">I", zlib.crc32(tipo + datos) & 0xFFFFFFFF)
        )

    cabecera = struct.pack(">IIBBBBB", ancho, alto, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + trozo(b"IHDR", cabecera)
        + trozo(b"IDAT", zlib.compress(b"\x00" * 64))
        + trozo(b"IEND", b"")
    )


async def subir(soporte: SoporteClient, usuario: Any, **archivos: Any) -> list[dict[str, Any]]:
    r = await soporte.post(ADJUNTOS, headers=bearer(usuario), data=formulario({}, archivos))
    assert r.status == 201, await r.text()
    return await r.json()


async def test_una_imagen_real_tiene_miniatura_y_vista(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    png, jpeg = await subir(
        soporte,
        ana,
        a=("captura.png", imagen("PNG", (1200, 300), "RGBA"), "image/png"),
        # The declared type is not what decides: the content is a JPEG.
        b=("foto", imagen("JPEG", (640, 960)), "application/octet-stream"),
    )
    for adjunto in (png, jpeg):
        assert adjunto["miniatura"] and adjunto["vista"] and adjunto["url"]
        assert urlsplit(adjunto["miniatura"]).path.startswith("/api/descargas/")
    r = await soporte.session.get(png["miniatura"])
    assert r.status == 200
    assert r.headers["Content-Type"] == "image/webp"
    assert r.headers["Content-Disposition"].startswith("inline;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(await r.read())) as miniatura:
        assert miniatura.format == "WEBP"
        assert miniatura.size == (SIZE[0], 80)  # 1200 × 300 kept its proportions
        assert miniatura.mode == "RGBA"
    r = await soporte.session.get(jpeg["miniatura"])
    with Image.open(io.BytesIO(await r.read())) as miniatura:
        assert miniatura.size == (213, SIZE[1])
    # The view shows the image itself, typed from its content; the download stays a download.
    r = await soporte.session.get(jpeg["vista"])
    assert r.headers["Content-Type"] == "image/jpeg"
    assert r.headers["Content-Disposition"].startswith("inline;")
    assert await r.read() == imagen("JPEG", (640, 960))
    r = await soporte.session.get(jpeg["url"])
    assert r.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("nombre", "datos", "tipo"),
    [
        ("contrato.pdf", b"%PDF-1.7 contrato", "application/pdf"),
        ("falsa.png", b"<script>alert(1)</script>", "image/png"),  # not an image at all
        ("rota.jpg", imagen("JPEG")[:200], "image/jpeg"),  # a truncated JPEG
        ("bomba.png", bomba_png(50_000, 50_000), "image/png"),  # 2.5 gigapixels claimed
        ("dibujo.bmp", imagen("BMP", (10, 10)), "image/bmp"),  # a real image, not a format we show
    ],
)
async def test_sin_miniatura_si_no_es_una_imagen_admitida(
    soporte: SoporteClient, nombre: str, datos: bytes, tipo: str
) -> None:
    ana = await soporte.usuario("ana")
    [subido] = await subir(soporte, ana, f=(nombre, datos, tipo))
    assert subido["miniatura"] is None and subido["vista"] is None
    adjunto = await Adjunto.get(id=subido["id"])
    assert not soporte.app[keys.STORAGE].has_thumbnail(adjunto.clave)
    r = await soporte.session.get(subido["url"])
    assert r.status == 200 and await r.read() == datos


async def test_una_vista_firmada_de_algo_que_no_es_imagen_es_una_descarga(
    soporte: SoporteClient,
) -> None:
    ana = await soporte.usuario("ana")
    [subido] = await subir(soporte, ana, f=("falsa.png", b"<html>", "image/png"))
    adjunto = await Adjunto.get(id=subido["id"])
    storage = soporte.app[keys.STORAGE]
    token = storage.sign(adjunto.clave, adjunto.nombre, adjunto.tipo, "i")
    r = await soporte.session.get(soporte.make_url(f"/api/descargas/{token}/"))
    assert r.status == 200
    assert r.headers["Content-Disposition"].startswith("attachment;")


async def test_la_miniatura_se_genera_una_sola_vez(tmp_path: Path) -> None:
    origen = tmp_path / "foto"
    origen.write_bytes(imagen("PNG"))
    destino = tmp_path / "foto.min.webp"
    # Concurrent first attempts: every one reports a thumbnail, exactly one file is written.
    hechos = await asyncio.gather(
        *(asyncio.to_thread(make_thumbnail, origen, destino) for _ in range(8))
    )
    assert hechos == [True] * 8
    nombres = await asyncio.to_thread(lambda: sorted(p.name for p in tmp_path.iterdir()))
    assert nombres == ["foto", "foto.min.webp"]  # no temporary file left
    antes = destino.stat()
    # Never regenerated: a later call leaves the file as it was, even if the source changed.
    origen.write_bytes(imagen("PNG", (50, 50)))
    assert make_thumbnail(origen, destino) is True
    despues = destino.stat()
    assert (despues.st_ino, despues.st_mtime_ns) == (antes.st_ino, antes.st_mtime_ns)


def test_el_limite_de_pixeles_se_lee_de_la_cabecera(tmp_path: Path) -> None:
    lado = int(MAX_PIXELS**0.5) + 1
    origen = tmp_path / "bomba"
    origen.write_bytes(bomba_png(lado, lado))
    assert make_thumbnail(origen, tmp_path / "bomba.min.webp") is False
    assert not (tmp_path / "bomba.min.webp").exists()


async def test_un_cliente_nunca_obtiene_la_miniatura_de_otro(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    beto = await soporte.usuario("beto")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    [foto] = await subir(soporte, ana, f=("foto.png", imagen("PNG"), "image/png"))
    ticket = await crear(soporte, ana, archivos_adjuntos=[foto["id"]])
    [adjunto] = ticket["archivos_adjuntos"]
    assert adjunto["miniatura"]
    r = await responder(
        soporte, ana, ticket["id"], "Otra", [("otra.jpg", imagen("JPEG"), "image/jpeg")]
    )
    assert r.status == 201, await r.text()
    [de_respuesta] = (await r.json())["archivos_adjuntos"]
    assert de_respuesta["miniatura"]
    # The owner and an agent see the previews in the detail; another customer gets a 404.
    for quien in (ana, carla):
        r = await soporte.get(f"/api/soporte/tickets/{ticket['id']}/", headers=soporte.auth(quien))
        detalle = await r.json()
        assert detalle["archivos_adjuntos"][0]["miniatura"]
        assert detalle["respuestas"][-1]["archivos_adjuntos"][0]["miniatura"]
    r = await soporte.get(f"/api/soporte/tickets/{ticket['id']}/", headers=soporte.auth(beto))
    assert r.status == 404
    # Nor can he make one up: a link is only valid signed with the server's key.
    clave = (await Adjunto.get(id=adjunto["id"])).clave
    falso = URLSafeTimedSerializer("adivinada", salt="soporte.descarga").dumps(
        {"k": clave, "n": "x", "t": "image/png", "v": "m"}
    )
    r = await soporte.session.get(soporte.make_url(f"/api/descargas/{falso}/"))
    assert r.status == 403


async def test_los_enlaces_de_la_miniatura_caducan(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    [foto] = await subir(soporte, ana, f=("foto.png", imagen("PNG"), "image/png"))
    adjunto = await Adjunto.get(id=foto["id"])

    class Antiguo(TimestampSigner):
        """Signs as if it were past the links' lifetime."""

        def get_timestamp(self) -> int:
            return int(time.time()) - soporte.app[keys.SETTINGS].link_ttl_seconds - 60

    clave = soporte.app[keys.KEYRING].key(LINKS)
    payload = {"k": adjunto.clave, "n": adjunto.nombre, "t": adjunto.tipo}
    for vista in ("m", "i"):
        viejo = URLSafeTimedSerializer(clave, salt="soporte.descarga", signer=Antiguo).dumps(
            {**payload, "v": vista}
        )
        fresco = URLSafeTimedSerializer(clave, salt="soporte.descarga").dumps(
            {**payload, "v": vista}
        )
        r = await soporte.session.get(soporte.make_url(f"/api/descargas/{fresco}/"))
        assert r.status == 200 and r.headers["Content-Type"].startswith("image/")
        r = await soporte.session.get(soporte.make_url(f"/api/descargas/{viejo}/"))
        assert r.status == 403
        assert "caducado" in (await r.json())["detail"]


async def test_borrar_el_archivo_borra_su_miniatura(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    [foto] = await subir(soporte, ana, f=("foto.png", imagen("PNG"), "image/png"))
    storage = soporte.app[keys.STORAGE]
    clave = (await Adjunto.get(id=foto["id"])).clave
    assert storage.thumbnail_path(clave).exists()
    storage.delete(clave)
    assert not storage.path(clave).exists() and not storage.thumbnail_path(clave).exists()
