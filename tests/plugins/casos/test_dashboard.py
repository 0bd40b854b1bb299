"""GET /api/soporte/dashboard/stats/: ``casos_criticos`` and the core's dashboard behaviour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import hookimpl
from core.auth.models import Rol
from core.testing import started_app
from tests.plugins.casos.ayudas import crear, fechar, poner_estado

STATS = "/api/soporte/dashboard/stats/"


@pytest.mark.plugins("casos")
async def test_base_vacia_da_cero(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    r = await soporte.get(STATS, headers=soporte.auth(ana))
    assert r.status == 200
    assert await r.json() == {"casos_criticos": 0}  # only the enabled plugin's key


@pytest.mark.plugins("casos")
async def test_casos_criticos_cuenta_los_criticos_abiertos(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    lucia = await soporte.usuario("lucia")
    esperados = 0
    for urgencia in ("CRITICA", "ALTA", "MEDIA", "BAJA"):
        for estado in ("ABIERTO", "EN_INVESTIGACION", "RESUELTO", "CERRADO"):
            caso = await crear(soporte, lucia, urgencia=urgencia)
            await poner_estado(caso["id"], estado)
            esperados += urgencia == "CRITICA" and estado in ("ABIERTO", "EN_INVESTIGACION")
    # Open critical cases count whatever their age: ``dias`` only bounds averages.
    viejo = await crear(soporte, ana, urgencia="CRITICA")
    await fechar(viejo["id"], datetime.now(UTC) - timedelta(days=400))
    esperados += 1
    assert esperados == 3
    for query in ("", "?dias=1", "?dias=3650", "?dias="):
        r = await soporte.get(STATS + query, headers=soporte.auth(ana))
        assert r.status == 200, query
        assert await r.json() == {"casos_criticos": 3}


@pytest.mark.plugins("casos")
async def test_el_contador_sigue_a_los_cambios_por_la_api(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, ana, urgencia="ALTA")

    async def criticos() -> int:
        r = await soporte.get(STATS.rstrip("/"), headers=soporte.auth(ana))
        return (await r.json())["casos_criticos"]

    assert await criticos() == 0
    url = f"/api/soporte/casos/{caso['id']}/"
    await soporte.patch(url, json={"urgencia": "CRITICA"}, headers=soporte.auth(ana))
    assert await criticos() == 1
    await soporte.patch(url, json={"estado": "EN_INVESTIGACION"}, headers=soporte.auth(ana))
    assert await criticos() == 1
    await soporte.patch(url, json={"estado": "RESUELTO"}, headers=soporte.auth(ana))
    assert await criticos() == 0


@pytest.mark.plugins()
async def test_sin_plugins_el_tablero_esta_vacio(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    r = await soporte.get(STATS, headers=soporte.auth(ana))
    assert r.status == 200
    assert await r.json() == {}


@pytest.mark.plugins("casos")
async def test_solo_agentes(soporte):
    lucia = await soporte.usuario("lucia")
    r = await soporte.get(STATS, headers=soporte.auth(lucia))
    assert r.status == 403
    assert r.content_type == "application/problem+json"
    r = await soporte.get(STATS)
    assert r.status == 401
    r = await soporte.get(STATS, headers={"Authorization": "Bearer null"})
    assert r.status == 401
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    r = await soporte.get(STATS, headers=soporte.auth(admin))
    assert r.status == 200


@pytest.mark.plugins("casos")
@pytest.mark.parametrize("dias", ["0", "-3", "abc", "1.5", "3651"])
async def test_dias_invalido_es_400(soporte, dias):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    r = await soporte.get(f"{STATS}?dias={dias}", headers=soporte.auth(ana))
    assert r.status == 400
    assert "dias" in (await r.json())["errors"]


class Espia:
    """An ad-hoc plugin that records the period it is asked about."""

    name = "espia"

    def __init__(self) -> None:
        self.desde: list[datetime] = []

    @hookimpl
    def dashboard_stats(self, usuario, desde):
        self.desde.append(desde)
        return {"espia": usuario.id}


async def test_dias_llega_a_cada_plugin_y_las_claves_se_suman(make_app):
    espia = Espia()
    async with started_app(make_app(["casos"], extra=[espia])) as soporte:
        ana = await soporte.usuario("ana", Rol.AGENTE)
        antes = datetime.now(UTC)
        r = await soporte.get(STATS, headers=soporte.auth(ana))
        assert await r.json() == {"casos_criticos": 0, "espia": ana.id}
        r = await soporte.get(f"{STATS}?dias=7", headers=soporte.auth(ana))
        assert r.status == 200
        despues = datetime.now(UTC)
        defecto, siete = espia.desde
        assert antes - timedelta(days=30) <= defecto <= despues - timedelta(days=30)
        assert antes - timedelta(days=7) <= siete <= despues - timedelta(days=7)
        assert siete.utcoffset() == timedelta(0)
