"""Abusive uploads and downloads: oversize files, too many files, path-like, unicode and
control-character names, HTML/SVG content, tampered and expired links.

Each refusal has the contract's status (413 too large or too many, 400 malformed, 403 bad
link) and leaves nothing behind: no row in the database and no file on disk.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from typing import TYPE_CHECKING, Any

import aiohttp

from core.testing import token_of
from plugins.tickets.models import Adjunto, Respuesta, Ticket
from tests.reliability.ayudas import archivos, filas, media_de, multipart

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.auth.models import Usuario
    from core.testing import SoporteClient

#: Limits of the test apps: 16 KiB a file, 3 files a request.
LIMITE_MB = 1 / 64
LIMITE = int(LIMITE_MB * 1024 * 1024)
MAX_ARCHIVOS = 3
CAMPOS = [
    ("asunto", None, b"No puedo pagar", None),
    ("categoria", None, b"PAGOS", None),
    ("descripcion", None, b"Adjunto la factura", None),
]
#: Where a stored file may be: ``media/xx/<32 hex>``, a random name, never the client's.
CLAVE = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}$")


def bearer(usuario: Usuario) -> dict[str, str]:
    """Only the Authorization header (the Content-Type is the multipart body's)."""
    return {"Authorization": f"Bearer {token_of(usuario)}"}


async def enviar(
    soporte: SoporteClient,
    usuario: Usuario,
    ruta: str,
    partes: list[tuple[str, str | None, bytes, str | None]],
) -> aiohttp.ClientResponse:
    """POST a hand-written multipart body."""
    body, tipo = multipart(partes)
    headers = {**bearer(usuario), "Content-Type": tipo}
    return await soporte.post(ruta, data=body, headers=headers)


def ruta_de(url: str) -> str:
    """The path of an absolute link (the test client prepends its own origin)."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def app_con_limites(start_app: Callable[..., Awaitable[SoporteClient]]) -> SoporteClient:
    """An app with small upload limits."""
    return await start_app(max_upload_mb=LIMITE_MB, max_files=MAX_ARCHIVOS)


async def test_an_oversize_file_is_413_and_leaves_nothing(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    soporte = await app_con_limites(start_app)
    ana = await soporte.usuario("ana")
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(ana),
        json={"asunto": "a", "categoria": "PAGOS", "descripcion": "b"},
    )
    ticket = (await r.json())["id"]
    antes = await filas(Adjunto, Ticket, Respuesta)
    grande = b"x" * (LIMITE + 1)
    pequeno = b"y" * 100
    intentos = {
        "one oversize upload": ("/api/soporte/adjuntos/", [("a", "grande.bin", grande, None)]),
        "a fine file, then an oversize one": (
            "/api/soporte/adjuntos/",
            [("a", "ok.txt", pequeno, "text/plain"), ("b", "grande.bin", grande, None)],
        ),
        "a ticket with an oversize file": (
            "/api/soporte/tickets/",
            [*CAMPOS, ("archivo_0", "ok.txt", pequeno, None), ("archivo_1", "g.bin", grande, None)],
        ),
        "a reply with an oversize file": (
            f"/api/soporte/tickets/{ticket}/responder/",
            [("mensaje", None, b"Hola", None), ("archivo_0", "g.bin", grande, None)],
        ),
    }
    for caso, (ruta, partes) in intentos.items():
        r = await enviar(soporte, ana, ruta, partes)
        assert r.status == 413, (caso, await r.text())
        assert r.content_type == "application/problem+json"
        assert await filas(Adjunto, Ticket, Respuesta) == antes, caso
        assert archivos(media_de(soporte)) == [], caso
    # Exactly at the limit is fine.
    r = await enviar(
        soporte, ana, "/api/soporte/adjuntos/", [("a", "justo.bin", b"z" * LIMITE, None)]
    )
    assert r.status == 201
    assert (await r.json())[0]["tamano"] == LIMITE


async def test_too_many_files_is_413_and_leaves_nothing(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    soporte = await app_con_limites(start_app)
    ana = await soporte.usuario("ana")
    uno = [(f"archivo_{i}", f"f{i}.txt", b"hola", "text/plain") for i in range(MAX_ARCHIVOS + 1)]
    for ruta, partes in (
        ("/api/soporte/adjuntos/", uno),
        ("/api/soporte/tickets/", [*CAMPOS, *uno]),
    ):
        r = await enviar(soporte, ana, ruta, partes)
        assert r.status == 413, (ruta, await r.text())
        assert await filas(Adjunto, Ticket) == {"Adjunto": 0, "Ticket": 0}
        assert archivos(media_de(soporte)) == []
    # Uploaded in two allowed requests, then attached all at once: still too many.
    ids = []
    for lote in (uno[:MAX_ARCHIVOS], uno[MAX_ARCHIVOS:]):
        r = await enviar(soporte, ana, "/api/soporte/adjuntos/", lote)
        assert r.status == 201
        ids += [a["id"] for a in await r.json()]
    body = {"asunto": "a", "categoria": "PAGOS", "descripcion": "b", "archivos_adjuntos": ids}
    r = await soporte.post("/api/soporte/tickets/", headers=soporte.auth(ana), json=body)
    assert r.status == 413
    assert await Ticket.all().count() == 0
    assert await Adjunto.filter(ticket_id=None).count() == MAX_ARCHIVOS + 1  # still unattached


#: Hostile file names as a client writes them in ``Content-Disposition`` (a quoted filename,
#: or RFC 5987 ``filename*`` that can carry any byte), and the display name that must result.
NOMBRES: list[tuple[str, str]] = [
    ("../../etc/passwd", "passwd"),
    ("..", "archivo"),
    ("/", "archivo"),
    (r"C:\\Windows\\system32\\y.pdf", "y.pdf"),  # backslashes escaped, as in a quoted-string
    ("; filename*=UTF-8''..%2F..%2Fetc%2Fshadow", "shadow"),
    ("; filename*=UTF-8''C%3A%5Cx%5Cy.pdf", "y.pdf"),
    ("; filename*=UTF-8''a%01b%7F%00c%0A%0D.txt", "abc.txt"),  # control characters
    ("; filename*=UTF-8''%E2%80%AEfdp.exe", "fdp.exe"),  # right-to-left override
    ("; filename*=UTF-8''a%E2%80%8Bb.txt", "ab.txt"),  # zero-width space
    ("factura 2026 ✓ 📄.pdf", "factura 2026 ✓ 📄.pdf"),
    ("قائمة.pdf", "قائمة.pdf"),  # right-to-left script, kept
    ("cafe\u0301.txt", "café.txt"),  # normalised to NFC
    ("<img src=x onerror=alert(1)>.html", "_img src=x onerror=alert(1)_.html"),
]


async def test_hostile_names_become_sanitised_display_names_never_paths(
    soporte: SoporteClient,
) -> None:
    ana = await soporte.usuario("ana")
    media = media_de(soporte)
    for nombre, esperado in NOMBRES:
        r = await enviar(
            soporte, ana, "/api/soporte/adjuntos/", [("a", nombre, b"datos", "text/plain")]
        )
        assert r.status == 201, (nombre, await r.text())
        [adjunto] = await r.json()
        assert adjunto["nombre"] == esperado, nombre
        assert "/" not in adjunto["nombre"] and "\\" not in adjunto["nombre"]
        assert not any(unicodedata.category(c).startswith("C") for c in adjunto["nombre"])
        d = await soporte.get(ruta_de(adjunto["url"]))
        assert d.status == 200
        disposicion = d.headers["Content-Disposition"]
        assert disposicion.startswith("attachment;")
        assert not any(c in disposicion for c in "\r\n\x00/\\")
    # Every file is stored under a random key inside the media folder, and nowhere else.
    guardados = [p.relative_to(media).as_posix() for p in archivos(media)]
    assert len(guardados) == len(NOMBRES)
    assert all(CLAVE.match(g) for g in guardados), guardados
    assert not (media.parent / "etc").exists() and not (media / "etc").exists()


async def test_raw_control_characters_in_part_headers_are_400_and_leave_nothing(
    soporte: SoporteClient,
) -> None:
    ana = await soporte.usuario("ana")
    for nombre in ("a\x01b.txt", "nul\x00.txt", "bell\x07.txt"):
        r = await enviar(soporte, ana, "/api/soporte/adjuntos/", [("a", nombre, b"x", None)])
        assert r.status == 400, (nombre, await r.text())
    assert await Adjunto.all().count() == 0
    assert archivos(media_de(soporte)) == []


#: Active content a browser would run if it rendered it.
ACTIVO = b"<html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


async def test_html_and_svg_are_downloaded_never_rendered(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    casos = [
        ("pagina.html", ACTIVO, "text/html"),
        ("dibujo.svg", SVG, "image/svg+xml"),
        ("x.xhtml", ACTIVO, "application/xhtml+xml"),
        ("foto.png", ACTIVO, "image/png"),  # lies about its type
        ("nota.txt", ACTIVO, "text/plain"),
        ("sin-tipo", SVG, None),
    ]
    partes = [(f"archivo_{i}", n, d, t) for i, (n, d, t) in enumerate(casos)]
    r = await enviar(soporte, ana, "/api/soporte/adjuntos/", partes)
    assert r.status == 201
    for adjunto, (nombre, datos, _tipo) in zip(await r.json(), casos, strict=True):
        # A plain <a href> from another origin: no Authorization header.
        d = await soporte.get(ruta_de(adjunto["url"]))
        assert d.status == 200, nombre
        assert await d.read() == datos  # served unchanged
        assert d.headers["Content-Disposition"].startswith("attachment;"), nombre
        assert d.headers["X-Content-Type-Options"] == "nosniff", nombre
        tipo = d.headers["Content-Type"].split(";")[0].strip().lower()
        assert tipo not in {"text/html", "image/svg+xml", "application/xhtml+xml"}, nombre
        assert "html" not in tipo and "svg" not in tipo and "xml" not in tipo, nombre


async def test_tampered_and_forged_links_are_403(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    # A link signed by a server with another secret key (set up first: the app started last
    # is the one whose database the test body uses).
    otra = await start_app(secret_key="otra-clave-distinta")
    ana2 = await otra.usuario("ana2")
    r = await enviar(otra, ana2, "/api/soporte/adjuntos/", [("a", "f.pdf", b"%PDF", None)])
    [ajeno] = await r.json()
    soporte = await start_app()
    ana = await soporte.usuario("ana")
    r = await enviar(soporte, ana, "/api/soporte/adjuntos/", [("a", "f.pdf", b"%PDF", None)])
    [adjunto] = await r.json()
    token = adjunto["url"].rstrip("/").rsplit("/", 1)[1]
    assert (await soporte.get(f"/api/descargas/{token}/")).status == 200
    carga, _, firma = token.rpartition(".")

    def cambiar(texto: str, i: int) -> str:
        return texto[:i] + ("A" if texto[i] != "A" else "B") + texto[i + 1 :]

    falsos = {
        "payload changed": cambiar(token, 3),
        # The first character: a base64 signature's last one carries unused bits.
        "signature changed": f"{carga}.{cambiar(firma, 0)}",
        "timestamp changed": f"{carga[:-2]}{'AA' if carga[-2:] != 'AA' else 'BB'}.{firma}",
        "truncated": token[: len(token) // 2],
        "extended": token + "A",
        "no signature": carga,
        "garbage": "x",
        "another server's link": ajeno["url"].rstrip("/").rsplit("/", 1)[1],
    }
    for caso, falso in falsos.items():
        r = await soporte.get(f"/api/descargas/{falso}/")
        assert r.status == 403, (caso, r.status)
        assert r.content_type == "application/problem+json", caso
    # Path tricks never reach the disk.
    for ruta in ("/api/descargas/..%2F..%2Fetc%2Fpasswd/", "/api/descargas/%2e%2e/"):
        assert (await soporte.get(ruta)).status in (403, 404), ruta


async def test_expired_links_are_403(start_app: Callable[..., Awaitable[SoporteClient]]) -> None:
    # Link ages are whole seconds (itsdangerous): a 3 s lifetime leaves a loaded machine at
    # least 2 s for the first download (1 s did not), and 4.1 s later the age is at least 4.
    soporte = await start_app(link_ttl_seconds=3)
    ana = await soporte.usuario("ana")
    [adjunto] = await (
        await enviar(soporte, ana, "/api/soporte/adjuntos/", [("a", "f.pdf", b"%PDF", None)])
    ).json()
    ruta = ruta_de(adjunto["url"])
    assert (await soporte.get(ruta)).status == 200
    await asyncio.sleep(4.1)
    r = await soporte.get(ruta)
    assert r.status == 403
    problema: dict[str, Any] = await r.json()
    assert "caducado" in problema["detail"]
