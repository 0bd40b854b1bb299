"""Attachments: uploads, limits (413), stored names, display names, signed links, ownership."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from core import keys
from core.auth.models import Rol
from core.db import activate
from core.keyring import LINKS
from core.testing import SoporteClient
from plugins.tickets.service import Adjunto, Ticket
from tests.plugins.tickets.conftest import GUIA, bearer, crear, formulario, responder

pytestmark = pytest.mark.plugins("tickets")

ADJUNTOS = "/api/soporte/adjuntos/"


def en_disco(soporte) -> list[Path]:
    return [p for p in soporte.app[keys.SETTINGS].media_dir.rglob("*") if p.is_file()]


def multipart_de_navegador(nombre_archivo: str, datos: bytes, tipo: str) -> tuple[bytes, str]:
    """A body exactly as a browser writes it: the file name raw, in quotes."""
    limite = "----NavegadorBoundary7MA4YWxkTrZu0gW"
    cuerpo = (
        (
            f"--{limite}\r\n"
            f'Content-Disposition: form-data; name="archivo_0"; filename="{nombre_archivo}"\r\n'
            f"Content-Type: {tipo}\r\n\r\n"
        ).encode()
        + datos
        + f"\r\n--{limite}--\r\n".encode()
    )
    return cuerpo, f"multipart/form-data; boundary={limite}"


async def subir(soporte, usuario, **archivos) -> list[dict]:
    r = await soporte.post(ADJUNTOS, headers=bearer(usuario), data=formulario({}, archivos))
    assert r.status == 201, await r.text()
    return await r.json()


async def test_subir_y_descargar(soporte):
    ana = await soporte.usuario("ana")
    subidos = await subir(
        soporte,
        ana,
        cualquiera=("contrato.pdf", b"%PDF-1.7 contrato", "application/pdf"),
        otro=("pagina.html", b"<script>alert(1)</script>", "text/html"),
    )
    campos = {"id", "nombre", "tipo", "tamano", "url", "miniatura", "vista"}
    assert [set(a) for a in subidos] == [campos] * 2
    assert [(a["nombre"], a["tipo"], a["tamano"]) for a in subidos] == [
        ("contrato.pdf", "application/pdf", 17),
        ("pagina.html", "text/html", 25),
    ]
    for adjunto in subidos:
        enlace = urlsplit(adjunto["url"])
        assert enlace.scheme == "http" and enlace.netloc == f"127.0.0.1:{soporte.port}"
        assert enlace.path.startswith("/api/descargas/")
    # A plain <a href> sends no Authorization header.
    r = await soporte.session.get(subidos[0]["url"])
    assert r.status == 200 and await r.read() == b"%PDF-1.7 contrato"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert 'filename="contrato.pdf"' in r.headers["Content-Disposition"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r = await soporte.session.get(subidos[1]["url"])
    assert r.headers["Content-Type"] == "application/octet-stream"  # never rendered as HTML
    assert r.headers["Content-Disposition"].startswith("attachment;")


async def test_nombre_guardado_aleatorio(soporte):
    ana = await soporte.usuario("ana")
    [subido] = await subir(soporte, ana, f=("mi factura.pdf", b"datos", "application/pdf"))
    adjunto = await Adjunto.get(id=subido["id"])
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{32}", adjunto.clave)
    assert adjunto.subido_por_id == ana.id and adjunto.ticket_id is None
    [archivo] = en_disco(soporte)
    assert archivo.name == adjunto.clave.split("/")[1] and "factura" not in str(archivo)
    assert archivo.read_bytes() == b"datos"


@pytest.mark.parametrize(
    ("original", "visible"),
    [
        # In a quoted multipart name ``\\x`` reads as ``x``: no separator survives either way.
        ("..\\..\\windows\\system32\\evil.exe", "windowssystem32evil.exe"),
        ("../../etc/passwd", "passwd"),
        ('informe<script>:"x".pdf', "informe_script___x_.pdf"),
        ("recibo\u202efdp.exe", "recibofdp.exe"),  # a right-to-left override disguises names
        ("reserva ñandú €.pdf", "reserva ñandú €.pdf"),
        ("...", "archivo"),
    ],
)
async def test_nombre_visible_saneado(soporte, original, visible):
    ana = await soporte.usuario("ana")
    cuerpo, tipo = multipart_de_navegador(original, b"x", "application/pdf")
    r = await soporte.post(ADJUNTOS, headers={**bearer(ana), "Content-Type": tipo}, data=cuerpo)
    assert r.status == 201, await r.text()
    [subido] = await r.json()
    assert subido["nombre"] == visible
    r = await soporte.session.get(subido["url"])
    assert r.status == 200
    assert "\n" not in r.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("tipo", "cuerpo"),
    [
        ("multipart/form-data", b"sin boundary"),
        ("multipart/form-data; boundary=XX", b"basura"),
        (
            "multipart/form-data; boundary=XX",
            b'--XX\r\nContent-Disposition: form-data; name="a"; filename="x"\r\n\r\ntruncado',
        ),
        (
            "multipart/form-data; boundary=XX",
            b'--XX\r\nContent-Disposition: form-data; name="a"; filename="x\x07"\r\n\r\n'
            b"abc\r\n--XX--\r\n",
        ),
    ],
)
@pytest.mark.parametrize("ruta", [ADJUNTOS, "/api/soporte/tickets/", "responder"])
async def test_multipart_mal_formado_es_400(soporte, tipo, cuerpo, ruta):
    ana = await soporte.usuario("ana")
    if ruta == "responder":
        ruta = f"/api/soporte/tickets/{(await crear(soporte, ana))['id']}/responder/"
    r = await soporte.post(ruta, headers={**bearer(ana), "Content-Type": tipo}, data=cuerpo)
    assert r.status == 400
    assert en_disco(soporte) == []


async def test_enlace_alterado_o_caducado_es_403(soporte):
    ana = await soporte.usuario("ana")
    [subido] = await subir(soporte, ana, f=("a.pdf", b"datos", "application/pdf"))
    token = urlsplit(subido["url"]).path.split("/")[3]
    payload, marca, firma = token.split(".")
    # Change the first character: the last one of a base64 signature carries unused bits, so
    # changing it may decode to the very same signature (a flaky "tampered" link).
    otra = ("A" if firma[0] != "A" else "B") + firma[1:]
    for malo in (f"{payload}.{marca}.{otra}", f"{payload[:-2]}xx.{marca}.{firma}", "basura"):
        r = await soporte.session.get(soporte.make_url(f"/api/descargas/{malo}/"))
        assert r.status == 403, malo

    class Antiguo(TimestampSigner):
        """Signs as if it were past the links' lifetime."""

        def get_timestamp(self) -> int:
            return int(time.time()) - soporte.app[keys.SETTINGS].link_ttl_seconds - 60

    adjunto = await Adjunto.get(id=subido["id"])
    clave = soporte.app[keys.KEYRING].key(LINKS)  # links' own key, not the secret key
    firmante = URLSafeTimedSerializer(clave, salt="soporte.descarga", signer=Antiguo)
    viejo = firmante.dumps({"k": adjunto.clave, "n": adjunto.nombre, "t": adjunto.tipo})
    fresco = URLSafeTimedSerializer(clave, salt="soporte.descarga").dumps(
        {"k": adjunto.clave, "n": adjunto.nombre, "t": adjunto.tipo}
    )
    r = await soporte.session.get(soporte.make_url(f"/api/descargas/{fresco}/"))
    assert r.status == 200  # the same link, signed now, works: only its age differs
    r = await soporte.session.get(soporte.make_url(f"/api/descargas/{viejo}/"))
    assert r.status == 403
    assert "caducado" in (await r.json())["detail"]


async def test_subir_sin_archivos_o_en_json(soporte):
    ana = await soporte.usuario("ana")
    r = await soporte.post(ADJUNTOS, headers=bearer(ana), data=formulario({"a": "b"}, {}))
    assert r.status == 400
    r = await soporte.post(ADJUNTOS, headers=soporte.auth(ana), json={"archivo": "x"})
    assert r.status == 415
    r = await soporte.post(ADJUNTOS, data=formulario({}, {"f": ("a.txt", b"x", "text/plain")}))
    assert r.status == 401
    assert en_disco(soporte) == []


async def test_solo_quien_lo_subio_puede_adjuntarlo(soporte):
    lucia = await soporte.usuario("lucia")
    martin = await soporte.usuario("martin")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    [de_martin] = await subir(soporte, martin, f=("m.pdf", b"m", "application/pdf"))
    [de_lucia, otro] = await subir(
        soporte, lucia, a=("l.pdf", b"l", "application/pdf"), b=("o.png", b"o", "image/png")
    )
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(lucia),
        json={**GUIA, "archivos_adjuntos": [de_lucia["id"], de_martin["id"], 999999]},
    )
    assert r.status == 400
    [mensaje] = (await r.json())["errors"]["archivos_adjuntos"]
    assert str(de_martin["id"]) in mensaje and "999999" in mensaje
    assert str(de_lucia["id"]) not in mensaje.split(":")[1]
    assert await Ticket.all().count() == 0
    assert (await Adjunto.get(id=de_lucia["id"])).ticket_id is None  # nothing half-done
    # Her own file attaches (the objects POST /adjuntos/ returned are accepted as well).
    ticket = await crear(soporte, lucia, archivos_adjuntos=[de_lucia])
    assert [a["id"] for a in ticket["archivos_adjuntos"]] == [de_lucia["id"]]
    # Once attached it cannot be attached again, not even by its uploader.
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        headers=soporte.auth(lucia),
        json={"mensaje": "otra vez", "archivos_adjuntos": [de_lucia["id"]]},
    )
    assert r.status == 400 and "archivos_adjuntos" in (await r.json())["errors"]
    # An agent cannot attach a customer's upload either.
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        headers=soporte.auth(carla),
        json={"mensaje": "mío", "archivos_adjuntos": [otro["id"]]},
    )
    assert r.status == 400
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        headers=soporte.auth(lucia),
        json={"mensaje": "ahora sí", "archivos_adjuntos": [otro["id"], otro["id"]]},
    )
    assert r.status == 201 and len((await r.json())["archivos_adjuntos"]) == 1


# --- limits ------------------------------------------------------------------------------------


@pytest.fixture
async def limitado(make_app, aiohttp_client):
    """An app with tiny limits: 1 KiB a file, 2 files a request."""
    app = make_app(plugins=["tickets"], max_upload_mb=1 / 1024, max_files=2)
    client = SoporteClient(await aiohttp_client(app), app)
    with activate(app[keys.DB].ctx):
        yield client


async def test_archivo_demasiado_grande_es_413(limitado):
    soporte = limitado
    ana = await soporte.usuario("ana")
    grande = ("grande.pdf", b"x" * 1025, "application/pdf")
    justo = ("justo.pdf", b"x" * 1024, "application/pdf")
    r = await soporte.post(ADJUNTOS, headers=bearer(ana), data=formulario({}, {"a": grande}))
    assert r.status == 413
    campos = {"asunto": "a", "categoria": "PAGOS", "descripcion": "d"}
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=bearer(ana),
        data=formulario(campos, {"a": justo, "b": grande}),
    )
    assert r.status == 413
    assert await Ticket.all().count() == 0
    ticket = await crear(soporte, ana)
    r = await responder(soporte, ana, ticket["id"], "hola", [justo, grande])
    assert r.status == 413
    assert en_disco(soporte) == [] and await Adjunto.all().count() == 0
    r = await responder(soporte, ana, ticket["id"], "hola", [justo])
    assert r.status == 201


async def test_demasiados_archivos_es_413(limitado):
    soporte = limitado
    ana = await soporte.usuario("ana")
    tres = {f"f{i}": (f"{i}.txt", b"x", "text/plain") for i in range(3)}
    r = await soporte.post(ADJUNTOS, headers=bearer(ana), data=formulario({}, tres))
    assert r.status == 413
    ticket = await crear(soporte, ana)
    r = await responder(soporte, ana, ticket["id"], "hola", list(tres.values()))
    assert r.status == 413
    assert en_disco(soporte) == []
    # Ids and files count together.
    subidos = await subir(soporte, ana, **dict(list(tres.items())[:2]))
    subidos += await subir(soporte, ana, uno=("u.txt", b"u", "text/plain"))
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(ana),
        json={**GUIA, "archivos_adjuntos": [a["id"] for a in subidos]},
    )
    assert r.status == 413
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        headers=soporte.auth(ana),
        json={"mensaje": "x", "archivos_adjuntos": [a["id"] for a in subidos]},
    )
    assert r.status == 413
    assert await Adjunto.filter(ticket_id=None).count() == 3
