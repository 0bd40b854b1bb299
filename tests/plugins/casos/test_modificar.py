"""PATCH /api/soporte/casos/{id}/: agents only, the state machine, events."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.api import Conflict
from core.auth.models import Rol
from plugins.casos.models import EstadoCaso
from plugins.casos.service import TRANSICIONES, CasoActualizado, transicion_permitida
from tests.plugins.casos.ayudas import URL, crear, objeto, poner_estado

pytestmark = pytest.mark.plugins("casos")

LEGALES = {
    ("ABIERTO", "EN_INVESTIGACION"),
    ("ABIERTO", "RESUELTO"),
    ("ABIERTO", "CERRADO"),
    ("EN_INVESTIGACION", "RESUELTO"),
    ("EN_INVESTIGACION", "CERRADO"),
    ("EN_INVESTIGACION", "ABIERTO"),
    ("RESUELTO", "CERRADO"),
    ("RESUELTO", "EN_INVESTIGACION"),
}
ESTADOS = [e.value for e in EstadoCaso]


def test_maquina_de_estados_completa():
    assert set(TRANSICIONES) == set(EstadoCaso)
    for desde in ESTADOS:
        for hacia in ESTADOS:
            esperado = desde == hacia or (desde, hacia) in LEGALES
            assert transicion_permitida(EstadoCaso(desde), EstadoCaso(hacia)) == esperado


@pytest.mark.parametrize("desde", ESTADOS)
@pytest.mark.parametrize("hacia", ESTADOS)
async def test_cada_transicion_por_http(soporte, desde, hacia):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, ana)
    await poner_estado(caso["id"], desde)
    r = await soporte.patch(
        f"{URL}{caso['id']}/", json={"estado": hacia}, headers=soporte.auth(ana)
    )
    if desde == hacia or (desde, hacia) in LEGALES:
        assert r.status == 200, await r.text()
        assert (await r.json())["estado"] == hacia
    else:
        assert r.status == 409, await r.text()
        assert r.content_type == "application/problem+json"
        r = await soporte.get(f"{URL}{caso['id']}/", headers=soporte.auth(ana))
        assert (await r.json())["estado"] == desde


async def test_agente_cambia_estado_y_urgencia_con_evento(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    lucia = await soporte.usuario("lucia")
    caso = await crear(soporte, lucia, urgencia="MEDIA")
    r = await soporte.patch(
        f"{URL}{caso['id']}",
        json={"estado": "EN_INVESTIGACION", "urgencia": "CRITICA"},
        headers=soporte.auth(ana),
    )
    assert r.status == 200, await r.text()
    nuevo = await r.json()
    assert nuevo["estado"] == "EN_INVESTIGACION" and nuevo["urgencia"] == "CRITICA"
    assert datetime.fromisoformat(nuevo["fecha_actualizacion"]) > datetime.fromisoformat(
        caso["fecha_actualizacion"]
    )
    cambiantes = ("estado", "urgencia", "fecha_actualizacion")
    assert {k: v for k, v in objeto(nuevo).items() if k not in cambiantes} == {
        k: v for k, v in caso.items() if k not in cambiantes
    }
    r = await soporte.get(f"{URL}{caso['id']}/", headers=soporte.auth(lucia))
    assert await r.json() == nuevo
    eventos = [e for e in soporte.events if isinstance(e, CasoActualizado)]
    assert eventos == [
        CasoActualizado(
            caso_id=caso["id"],
            numero=caso["numero"],
            agente_id=ana.id,
            estado_anterior="ABIERTO",
            estado="EN_INVESTIGACION",
            urgencia_anterior="MEDIA",
            urgencia="CRITICA",
            cliente_afectado_id=lucia.id,
            campos=("estado", "urgencia"),
        )
    ]
    assert eventos[0].name == "caso_actualizado"


async def test_solo_urgencia(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, ana)
    r = await soporte.patch(
        f"{URL}{caso['id']}/", json={"urgencia": "ALTA"}, headers=soporte.auth(ana)
    )
    assert r.status == 200
    assert (await r.json())["urgencia"] == "ALTA" and (await r.json())["estado"] == "ABIERTO"


async def test_sin_cambios_no_escribe_ni_publica(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, ana, urgencia="ALTA")
    for body in ({}, {"estado": "ABIERTO"}, {"urgencia": "ALTA", "estado": "ABIERTO"}):
        r = await soporte.patch(f"{URL}{caso['id']}/", json=body, headers=soporte.auth(ana))
        assert r.status == 200
        assert objeto(await r.json()) == caso
    assert not [e for e in soporte.events if isinstance(e, CasoActualizado)]


async def test_cerrado_es_final_tambien_para_la_urgencia(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, ana)
    r = await soporte.patch(
        f"{URL}{caso['id']}/", json={"estado": "CERRADO"}, headers=soporte.auth(ana)
    )
    assert r.status == 200
    r = await soporte.patch(
        f"{URL}{caso['id']}/", json={"urgencia": "CRITICA"}, headers=soporte.auth(ana)
    )
    assert r.status == 409
    r = await soporte.patch(
        f"{URL}{caso['id']}/", json={"estado": "ABIERTO"}, headers=soporte.auth(ana)
    )
    assert r.status == 409
    assert len([e for e in soporte.events if isinstance(e, CasoActualizado)]) == 1


async def test_cliente_403_en_el_suyo_404_en_ajeno(soporte):
    lucia = await soporte.usuario("lucia")
    martin = await soporte.usuario("martin")
    suyo = await crear(soporte, lucia)
    ajeno = await crear(soporte, martin)
    r = await soporte.patch(
        f"{URL}{suyo['id']}/", json={"estado": "CERRADO"}, headers=soporte.auth(lucia)
    )
    assert r.status == 403
    r = await soporte.patch(
        f"{URL}{ajeno['id']}/", json={"estado": "CERRADO"}, headers=soporte.auth(lucia)
    )
    assert r.status == 404
    r = await soporte.patch(f"{URL}999999/", json={}, headers=soporte.auth(lucia))
    assert r.status == 404
    r = await soporte.patch(f"{URL}{suyo['id']}/", json={"estado": "CERRADO"})
    assert r.status == 401
    r = await soporte.get(f"{URL}{suyo['id']}/", headers=soporte.auth(lucia))
    assert (await r.json())["estado"] == "ABIERTO"


async def test_agente_patch_caso_inexistente(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    r = await soporte.patch(f"{URL}424242/", json={"estado": "CERRADO"}, headers=soporte.auth(ana))
    assert r.status == 404


@pytest.mark.parametrize(
    ("body", "campos"),
    [
        ({"estado": "cerrado"}, {"estado"}),
        ({"urgencia": "URGENTE", "estado": "X"}, {"urgencia", "estado"}),
        ({"estado": None}, {"estado"}),
        ({"urgencia": None}, {"urgencia"}),
        ({"titulo": "otro"}, {"titulo"}),
    ],
)
async def test_patch_invalido_es_400(soporte, body, campos):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, ana)
    r = await soporte.patch(f"{URL}{caso['id']}/", json=body, headers=soporte.auth(ana))
    assert r.status == 400
    assert set((await r.json())["errors"]) == campos
    r = await soporte.get(f"{URL}{caso['id']}/", headers=soporte.auth(ana))
    assert objeto(await r.json()) == caso


async def test_dos_agentes_sobre_un_estado_viejo(soporte):
    """The loser of a race decided on a stale state gets a 409, not a silent overwrite."""
    from core import keys
    from plugins.casos.service import actualizar_caso, obtener_caso

    ana = await soporte.usuario("ana", Rol.AGENTE)
    beto = await soporte.usuario("beto", Rol.AGENTE)
    caso = await crear(soporte, ana)
    bus = soporte.app[keys.EVENTS]
    visto_por_ana = await obtener_caso(ana, caso["id"])
    visto_por_beto = await obtener_caso(beto, caso["id"])
    await actualizar_caso(bus, ana, visto_por_ana, estado=EstadoCaso.CERRADO)
    with pytest.raises(Conflict):
        await actualizar_caso(bus, beto, visto_por_beto, estado=EstadoCaso.EN_INVESTIGACION)
    r = await soporte.get(f"{URL}{caso['id']}/", headers=soporte.auth(ana))
    assert (await r.json())["estado"] == "CERRADO"
    assert len([e for e in soporte.events if isinstance(e, CasoActualizado)]) == 1
