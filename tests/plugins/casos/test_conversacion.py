"""POST /api/soporte/casos/{id}/responder/ and the conversation of the case detail."""

from __future__ import annotations

import aiohttp
import pytest
from yarl import URL as URL_

from core import keys
from core.auth.models import Rol
from core.testing import started_app, token_of
from plugins.casos.events import RespuestaCasoCreada
from plugins.casos.models import AdjuntoCaso, RespuestaCaso
from tests.plugins.casos.ayudas import URL, crear, poner_estado

pytestmark = pytest.mark.plugins("casos")


def _formulario(campos: dict[str, str], archivos: dict[str, tuple[str, bytes]]) -> aiohttp.FormData:
    """A browser-like FormData: text fields, then files."""
    fd = aiohttp.FormData()
    for nombre, valor in campos.items():
        fd.add_field(nombre, valor)
    for campo, (nombre, datos) in archivos.items():
        fd.add_field(campo, datos, filename=nombre, content_type="text/plain")
    return fd


def _bearer(usuario) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_of(usuario)}"}


async def _responder(soporte, usuario, caso_id, **cuerpo):
    return await soporte.post(
        f"{URL}{caso_id}/responder/", json=cuerpo, headers=soporte.auth(usuario)
    )


async def test_cliente_y_agente_conversan_y_las_notas_no_llegan_al_cliente(soporte):
    lucia = await soporte.usuario("lucia", nombre="Lucía Fernández")
    ana = await soporte.usuario("ana", Rol.AGENTE, nombre="Ana Soporte")
    caso = await crear(soporte, lucia)

    r = await _responder(soporte, lucia, caso["id"], mensaje="  ¿Alguna novedad?  ")
    assert r.status == 201, await r.text()
    primera = await r.json()
    assert primera["mensaje"] == "¿Alguna novedad?"
    assert primera["interna"] is False
    assert primera["autor"] == {"id": lucia.id, "nombre": "Lucía Fernández", "rol": "CLIENTE"}
    assert primera["archivos_adjuntos"] == []

    r = await _responder(soporte, ana, caso["id"], mensaje="Revisar el cobro", interna=True)
    assert r.status == 201, await r.text()
    nota = await r.json()
    assert nota["interna"] is True
    r = await _responder(soporte, ana, caso["id"], mensaje="Ya lo estamos viendo.")
    assert r.status == 201
    publica = await r.json()

    r = await soporte.get(f"{URL}{caso['id']}/", headers=soporte.auth(ana))
    detalle = await r.json()
    assert [m["id"] for m in detalle["respuestas"]] == [primera["id"], nota["id"], publica["id"]]
    assert detalle["respuestas"][1]["interna"] is True

    r = await soporte.get(f"{URL}{caso['id']}/", headers=soporte.auth(lucia))
    detalle = await r.json()
    assert [m["id"] for m in detalle["respuestas"]] == [primera["id"], publica["id"]]
    assert "Revisar el cobro" not in await r.text()

    eventos = [e for e in soporte.events if isinstance(e, RespuestaCasoCreada)]
    assert [(e.respuesta_id, e.autor_id, e.interna) for e in eventos] == [
        (primera["id"], lucia.id, False),
        (nota["id"], ana.id, True),
        (publica["id"], ana.id, False),
    ]
    assert all(e.cliente_afectado_id == lucia.id and e.numero == caso["numero"] for e in eventos)


async def test_un_cliente_no_escribe_notas_internas(soporte):
    lucia = await soporte.usuario("lucia")
    caso = await crear(soporte, lucia)
    r = await _responder(soporte, lucia, caso["id"], mensaje="hola", interna=True)
    assert r.status == 403
    assert r.content_type == "application/problem+json"
    assert "notas internas" in (await r.json())["detail"]
    # Multipart too (the field arrives as text).
    r = await soporte.post(
        f"{URL}{caso['id']}/responder/",
        data=_formulario({"mensaje": "hola", "interna": "true"}, {}),
        headers=_bearer(lucia),
    )
    assert r.status == 403
    assert not await RespuestaCaso.exists()


async def test_casos_ajenos_o_inexistentes_son_404(soporte):
    lucia = await soporte.usuario("lucia")
    martin = await soporte.usuario("martin")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, lucia)
    interno = await crear(soporte, ana)
    for caso_id in (caso["id"], interno["id"], 999_999):
        r = await _responder(soporte, martin, caso_id, mensaje="hola")
        assert r.status == 404, caso_id
    r = await _responder(soporte, ana, 999_999, mensaje="hola")
    assert r.status == 404
    r = await soporte.post(f"{URL}{caso['id']}/responder/", json={"mensaje": "hola"})
    assert r.status == 401
    assert not await RespuestaCaso.exists()


async def test_un_caso_cerrado_no_admite_mensajes(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, lucia)
    await poner_estado(caso["id"], "CERRADO")
    for usuario in (lucia, ana):
        r = await _responder(soporte, usuario, caso["id"], mensaje="hola")
        assert r.status == 409
        assert "CERRADO" in (await r.json())["detail"]
    assert not await RespuestaCaso.exists()


@pytest.mark.parametrize(
    "cuerpo",
    [
        {},
        {"mensaje": ""},
        {"mensaje": "   "},
        {"mensaje": "x" * 10_001},
        {"mensaje": "x", "otro": 1},
    ],
)
async def test_mensaje_invalido_es_400(soporte, cuerpo):
    lucia = await soporte.usuario("lucia")
    caso = await crear(soporte, lucia)
    r = await soporte.post(
        f"{URL}{caso['id']}/responder/", json=cuerpo, headers=soporte.auth(lucia)
    )
    assert r.status == 400
    assert r.content_type == "application/problem+json"


async def test_respuesta_con_archivos_y_enlaces_firmados(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, lucia)
    r = await soporte.post(
        f"{URL}{caso['id']}/responder/",
        data=_formulario(
            {"mensaje": "Adjunto el recibo"},
            {"archivo_0": ("recibo.txt", b"cobro 1"), "archivo_1": ("otro.txt", b"cobro 2")},
        ),
        headers=_bearer(lucia),
    )
    assert r.status == 201, await r.text()
    respuesta = await r.json()
    archivos = respuesta["archivos_adjuntos"]
    assert [(a["nombre"], a["tamano"]) for a in archivos] == [("recibo.txt", 7), ("otro.txt", 7)]
    for archivo, contenido in zip(archivos, (b"cobro 1", b"cobro 2"), strict=True):
        enlace = URL_(archivo["url"])
        assert enlace.path.startswith("/api/descargas/")
        # A capability: works without a token.
        r = await soporte.session.get(soporte.make_url(enlace.path))
        assert r.status == 200 and await r.read() == contenido
    fila = await AdjuntoCaso.get(id=archivos[0]["id"])
    assert (fila.caso_id, fila.respuesta_id, fila.subido_por_id) == (
        caso["id"],
        respuesta["id"],
        lucia.id,
    )
    assert soporte.app[keys.STORAGE].path(fila.clave).read_bytes() == b"cobro 1"
    r = await soporte.get(f"{URL}{caso['id']}/", headers=soporte.auth(ana))
    [mostrada] = (await r.json())["respuestas"]
    assert [a["id"] for a in mostrada["archivos_adjuntos"]] == [a["id"] for a in archivos]


async def test_cuota_de_subida_de_los_casos(make_app):
    # 1 MiB an hour: a 600 KiB file passes, a second one is refused with the limit's name.
    app = make_app(["casos"], upload_quota_mb_per_hour=1)
    async with started_app(app) as soporte:
        lucia = await soporte.usuario("lucia")
        caso = await crear(soporte, lucia)
        url = f"{URL}{caso['id']}/responder/"
        grande = b"x" * (600 * 1024)
        r = await soporte.post(
            url,
            data=_formulario({"mensaje": "uno"}, {"a": ("a.txt", grande)}),
            headers=_bearer(lucia),
        )
        assert r.status == 201, await r.text()
        r = await soporte.post(
            url,
            data=_formulario({"mensaje": "dos"}, {"a": ("b.txt", grande)}),
            headers=_bearer(lucia),
        )
        assert r.status == 429
        assert "1 MiB por hora" in (await r.json())["detail"]
        assert int(r.headers["Retry-After"]) > 0
        # Nothing of the refused request stays: no reply, no row, no file.
        assert await RespuestaCaso.filter(mensaje="dos").count() == 0
        assert await AdjuntoCaso.all().count() == 1
        media = soporte.app[keys.STORAGE].media_dir
        guardado = soporte.app[keys.STORAGE].path((await AdjuntoCaso.get()).clave)
        assert [p for p in media.rglob("*") if p.is_file()] == [guardado]
        # Without files a reply is not counted.
        r = await soporte.post(url, json={"mensaje": "tres"}, headers=soporte.auth(lucia))
        assert r.status == 201
