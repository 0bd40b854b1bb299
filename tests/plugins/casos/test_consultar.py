"""Reading cases: the paginated list and its filters, visibility, detail, the urgent array."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.auth.models import Rol
from tests.plugins.casos.ayudas import URL, crear, fechar, objeto, poner_estado

pytestmark = pytest.mark.plugins("casos")

URGENTES = "/api/soporte/casos/urgentes/"


async def _escenario(soporte):
    """Lucía's own case, a case an agent opened about her, Martín's case, an agent's case."""
    lucia = await soporte.usuario("lucia")
    martin = await soporte.usuario("martin")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    propio = await crear(soporte, lucia, titulo="propio", tipo="RECLAMO", urgencia="ALTA")
    sobre_lucia = await crear(soporte, ana, titulo="sobre lucia", clienteId=lucia.id)
    de_martin = await crear(soporte, martin, titulo="de martin", tipo="RECLAMO")
    interno = await crear(soporte, ana, titulo="interno", urgencia="CRITICA", tipo="INCIDENTE")
    casos = {"propio": propio, "sobre_lucia": sobre_lucia, "martin": de_martin, "interno": interno}
    return lucia, martin, ana, casos


async def test_cliente_ve_solo_sus_casos(soporte):
    lucia, martin, _, _ = await _escenario(soporte)
    r = await soporte.get(URL, headers=soporte.auth(lucia))
    assert r.status == 200
    page = await r.json()
    assert page["count"] == 2
    assert [c["titulo"] for c in page["results"]] == ["sobre lucia", "propio"]
    r = await soporte.get(URL, headers=soporte.auth(martin))
    assert [c["titulo"] for c in (await r.json())["results"]] == ["de martin"]


async def test_agente_ve_todos_los_casos_mas_nuevos_primero(soporte):
    _, _, ana, casos = await _escenario(soporte)
    hace = datetime.now(UTC)
    # Creation dates decide the order, not ids.
    await fechar(casos["interno"]["id"], hace - timedelta(days=3))
    r = await soporte.get(URL, headers=soporte.auth(ana))
    page = await r.json()
    assert page["count"] == 4
    assert [c["titulo"] for c in page["results"]] == [
        "de martin",
        "sobre lucia",
        "propio",
        "interno",
    ]
    assert page["results"][0] == casos["martin"]


async def test_filtros_y_filtros_vacios(soporte):
    lucia, _, ana, casos = await _escenario(soporte)
    await poner_estado(casos["propio"]["id"], "RESUELTO")

    async def titulos(usuario, query):
        r = await soporte.get(URL + query, headers=soporte.auth(usuario))
        assert r.status == 200, await r.text()
        return [c["titulo"] for c in (await r.json())["results"]]

    # The guide always sends every filter, empty meaning "no filter".
    assert len(await titulos(ana, "?tipo_caso=&urgencia=&estado=")) == 4
    assert await titulos(ana, "?tipo_caso=RECLAMO") == ["de martin", "propio"]
    assert await titulos(ana, "?urgencia=CRITICA") == ["interno"]
    assert await titulos(ana, "?estado=RESUELTO") == ["propio"]
    assert await titulos(ana, "?estado=ABIERTO&tipo_caso=RECLAMO") == ["de martin"]
    assert await titulos(ana, "?urgencia=BAJA") == []
    # A customer's filters apply within their own cases.
    assert await titulos(lucia, "?tipo_caso=RECLAMO") == ["propio"]
    assert await titulos(lucia, "?tipo_caso=CONSULTA&estado=") == ["sobre lucia"]


@pytest.mark.parametrize(
    "query", ["?estado=abierto", "?urgencia=URGENTE", "?tipo_caso=X", "?page=0", "?size=101"]
)
async def test_filtro_invalido_es_400(soporte, query):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    r = await soporte.get(URL + query, headers=soporte.auth(ana))
    assert r.status == 400
    assert r.content_type == "application/problem+json"
    campo = query[1:].split("=")[0]
    assert campo in (await r.json())["errors"]


async def test_paginacion(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    for i in range(12):
        await crear(soporte, ana, titulo=f"caso {i}")
    r = await soporte.get(URL, headers=soporte.auth(ana))
    page = await r.json()
    assert page["count"] == 12 and len(page["results"]) == 10
    assert page["previous"] is None
    assert page["next"].startswith("http") and "page=2" in page["next"]
    r = await soporte.get(URL + "?page=2&estado=", headers=soporte.auth(ana))
    page = await r.json()
    assert [c["titulo"] for c in page["results"]] == ["caso 1", "caso 0"]
    assert page["next"] is None and "page=1" in page["previous"]
    r = await soporte.get(URL + "?page=9", headers=soporte.auth(ana))
    page = await r.json()
    assert page["count"] == 12 and page["results"] == []
    r = await soporte.get(URL + "?size=5&page=3", headers=soporte.auth(ana))
    assert len((await r.json())["results"]) == 2


async def test_listar_sin_token_es_401(soporte):
    r = await soporte.get(URL)
    assert r.status == 401
    r = await soporte.get(URL, headers={"Authorization": "Bearer null"})
    assert r.status == 401


async def test_detalle_propietario_agente_y_ajenos(soporte):
    lucia, _, ana, casos = await _escenario(soporte)
    for nombre in ("propio", "sobre_lucia"):
        r = await soporte.get(f"{URL}{casos[nombre]['id']}/", headers=soporte.auth(lucia))
        assert r.status == 200
        assert objeto(await r.json()) == casos[nombre]
    # Not hers: 404, exactly like an id that does not exist.
    for caso_id in (casos["martin"]["id"], casos["interno"]["id"], 999_999, 10**30):
        r = await soporte.get(f"{URL}{caso_id}/", headers=soporte.auth(lucia))
        assert r.status == 404, caso_id
    for caso in casos.values():
        r = await soporte.get(f"{URL}{caso['id']}", headers=soporte.auth(ana))
        assert r.status == 200 and (await r.json())["id"] == caso["id"]
    r = await soporte.get(f"{URL}999999/", headers=soporte.auth(ana))
    assert r.status == 404
    r = await soporte.get(f"{URL}abc/", headers=soporte.auth(ana))
    assert r.status == 404
    r = await soporte.get(f"{URL}{casos['propio']['id']}/")
    assert r.status == 401


async def test_urgentes_orden_y_contenido(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    lucia = await soporte.usuario("lucia")
    ahora = datetime.now(UTC)

    async def caso(titulo, urgencia, horas, estado="ABIERTO"):
        creado = await crear(soporte, lucia, titulo=titulo, urgencia=urgencia)
        await fechar(creado["id"], ahora - timedelta(hours=horas))
        if estado != "ABIERTO":
            await poner_estado(creado["id"], estado)
        return creado

    await caso("alta reciente", "ALTA", 1)
    await caso("critica reciente", "CRITICA", 2)
    await caso("alta antigua", "ALTA", 50)
    await caso("critica antigua", "CRITICA", 10, "EN_INVESTIGACION")
    await caso("media", "MEDIA", 100)
    await caso("baja", "BAJA", 100)
    await caso("critica resuelta", "CRITICA", 200, "RESUELTO")
    await caso("alta cerrada", "ALTA", 200, "CERRADO")

    r = await soporte.get(URGENTES, headers=soporte.auth(ana))
    assert r.status == 200
    urgentes = await r.json()
    assert isinstance(urgentes, list)  # an array, not a page
    assert [c["titulo"] for c in urgentes] == [
        "critica antigua",
        "critica reciente",
        "alta antigua",
        "alta reciente",
    ]
    # What DashboardSoporte reads from each item.
    for c in urgentes:
        assert isinstance(c["id"], int) and c["titulo"]
        assert c["urgencia"].lower() in ("critica", "alta")


async def test_urgentes_solo_agentes(soporte):
    lucia = await soporte.usuario("lucia")
    await crear(soporte, lucia, urgencia="CRITICA")
    r = await soporte.get(URGENTES, headers=soporte.auth(lucia))
    assert r.status == 403
    r = await soporte.get(URGENTES)
    assert r.status == 401
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    r = await soporte.get(URGENTES.rstrip("/"), headers=soporte.auth(admin))
    assert r.status == 200 and len(await r.json()) == 1


async def test_urgentes_vacio_es_array_vacio(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    r = await soporte.get(URGENTES, headers=soporte.auth(ana))
    assert r.status == 200 and await r.json() == []


async def test_urgentes_acotado(soporte):
    from plugins.casos.service import MAX_URGENTES, casos_urgentes

    ana = await soporte.usuario("ana", Rol.AGENTE)
    for i in range(2):
        await crear(soporte, ana, titulo=f"alta {i}", urgencia="ALTA")
    for i in range(2):
        await crear(soporte, ana, titulo=f"critica {i}", urgencia="CRITICA")
    assert [c.titulo for c in await casos_urgentes(3)] == ["critica 0", "critica 1", "alta 0"]
    assert [c.titulo for c in await casos_urgentes(1)] == ["critica 0"]
    assert MAX_URGENTES == 100
