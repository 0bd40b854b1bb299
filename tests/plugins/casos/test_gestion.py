"""PATCH /api/soporte/casos/{id}/ beyond the state machine: assignment to an agent and a team,
linked tickets and bookings, the history of every change, and what the detail shows of them."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.models import Equipo, Rol
from core.testing import started_app
from plugins.casos import vecinos
from plugins.casos.events import CasoActualizado
from plugins.casos.models import Caso
from tests.plugins.casos.ayudas import URL, crear
from tests.plugins.casos.test_crear import ReservasDePrueba

pytestmark = pytest.mark.plugins("casos")


async def _patch(soporte, usuario, caso_id, **cuerpo):
    return await soporte.patch(f"{URL}{caso_id}/", json=cuerpo, headers=soporte.auth(usuario))


@pytest.fixture
def historial(monkeypatch) -> list[dict[str, Any]]:
    """Every call to the history interface (``core.history.record``), as it was made."""
    llamadas: list[dict[str, Any]] = []
    anterior = vecinos.record

    async def record(conn, **datos):
        assert conn is not None  # inside the PATCH's own transaction
        llamadas.append(datos)
        await anterior(conn, **datos)

    monkeypatch.setattr(vecinos, "record", record)
    return llamadas


async def test_asignar_agente_y_equipo_y_desasignar(soporte, historial):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE, nombre="Ana Soporte")
    beto = await soporte.usuario("beto", Rol.AGENTE)
    equipo = await Equipo.create(nombre="Pagos")
    await equipo.miembros.add(ana)
    caso = await crear(soporte, lucia)
    assert caso["agente_asignado"] is None and caso["equipo"] is None

    r = await _patch(soporte, beto, caso["id"], agente_asignado=ana.id, equipo=equipo.id)
    assert r.status == 200, await r.text()
    detalle = await r.json()
    assert detalle["agente_asignado"] == {"id": ana.id, "nombre": "Ana Soporte"}
    assert detalle["equipo"] == {"id": equipo.id, "nombre": "Pagos"}
    assert historial == [
        {
            "entidad": "caso",
            "entidad_id": caso["id"],
            "cambios": {"agente_asignado": [None, ana.id], "equipo": [None, equipo.id]},
            "autor_id": beto.id,
            "canal": "API",
            "publico": False,
        }
    ]
    # Assignment alone tells the customer nothing (no CasoActualizado).
    assert not [e for e in soporte.events if isinstance(e, CasoActualizado)]
    # Lists show the assignment too.
    r = await soporte.get(URL, headers=soporte.auth(beto))
    assert (await r.json())["results"][0]["agente_asignado"]["id"] == ana.id
    # The customer sees who is in charge.
    r = await soporte.get(f"{URL}{caso['id']}/", headers=soporte.auth(lucia))
    assert (await r.json())["equipo"] == {"id": equipo.id, "nombre": "Pagos"}

    r = await _patch(soporte, beto, caso["id"], agente_asignado=None, equipo=None)
    assert r.status == 200
    detalle = await r.json()
    assert detalle["agente_asignado"] is None and detalle["equipo"] is None
    assert historial[-1]["cambios"] == {
        "agente_asignado": [ana.id, None],
        "equipo": [equipo.id, None],
    }


async def test_asignacion_invalida_es_400_y_no_cambia_nada(soporte, historial):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    beto = await soporte.usuario("beto", Rol.AGENTE)
    inactivo = await soporte.usuario("ines", Rol.AGENTE)
    inactivo.activo = False
    await inactivo.save()
    equipo = await Equipo.create(nombre="Pagos")
    await equipo.miembros.add(ana)
    apagado = await Equipo.create(nombre="Viejo", activo=False)
    caso = await crear(soporte, lucia)

    casos_400 = [
        ({"agente_asignado": lucia.id}, "agente_asignado"),  # a customer
        ({"agente_asignado": inactivo.id}, "agente_asignado"),
        ({"agente_asignado": 999_999}, "agente_asignado"),
        ({"equipo": 999_999}, "equipo"),
        ({"equipo": apagado.id}, "equipo"),
        # With a team, the assignee must be one of its members.
        ({"agente_asignado": beto.id, "equipo": equipo.id}, "agente_asignado"),
        ({"agente_asignado": "5"}, "agente_asignado"),
        ({"equipo": 0}, "equipo"),
    ]
    for cuerpo, campo in casos_400:
        r = await _patch(soporte, ana, caso["id"], **cuerpo)
        assert r.status == 400, cuerpo
        assert campo in (await r.json())["errors"], cuerpo
    fila = await Caso.get(id=caso["id"])
    assert (fila.agente_asignado_id, fila.equipo_id) == (None, None)
    assert historial == []

    # A team first, then an assignee outside it: refused; a member: accepted.
    r = await _patch(soporte, ana, caso["id"], equipo=equipo.id)
    assert r.status == 200
    r = await _patch(soporte, ana, caso["id"], agente_asignado=beto.id)
    assert r.status == 400
    r = await _patch(soporte, ana, caso["id"], agente_asignado=ana.id)
    assert r.status == 200


async def test_un_cliente_no_asigna(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, lucia)
    r = await _patch(soporte, lucia, caso["id"], agente_asignado=ana.id)
    assert r.status == 403
    assert (await Caso.get(id=caso["id"])).agente_asignado_id is None


async def test_estado_se_registra_como_publico_y_el_resto_como_interno(soporte, historial):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, lucia)
    r = await _patch(
        soporte, ana, caso["id"], estado="EN_INVESTIGACION", agente_asignado=ana.id, urgencia="ALTA"
    )
    assert r.status == 200
    assert [(h["publico"], h["cambios"]) for h in historial] == [
        (True, {"estado": ["ABIERTO", "EN_INVESTIGACION"], "urgencia": ["MEDIA", "ALTA"]}),
        (False, {"agente_asignado": [None, ana.id]}),
    ]
    [evento] = [e for e in soporte.events if isinstance(e, CasoActualizado)]
    assert evento.agente_asignado_id == ana.id
    assert evento.campos == ("agente_asignado", "estado", "urgencia")
    assert (await r.json())["transiciones"] == ["ABIERTO", "RESUELTO", "CERRADO"]


async def test_el_historial_va_en_la_misma_transaccion(soporte, monkeypatch):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, lucia)

    async def falla(conn, **datos):
        raise RuntimeError("historial caído")

    monkeypatch.setattr(vecinos, "record", falla)
    r = await _patch(soporte, ana, caso["id"], estado="RESUELTO")
    assert r.status == 500
    fila = await Caso.get(id=caso["id"])
    assert fila.estado == "ABIERTO"


async def test_tickets_relacionados(make_app, historial):
    async with started_app(make_app(["casos", "tickets"])) as soporte:
        lucia = await soporte.usuario("lucia")
        martin = await soporte.usuario("martin")
        ana = await soporte.usuario("ana", Rol.AGENTE)
        tickets = []
        for usuario, asunto in ((lucia, "No llega el voucher"), (martin, "Cobro doble de Martín")):
            r = await soporte.post(
                "/api/soporte/tickets/",
                json={"asunto": asunto, "descripcion": "x", "categoria": "PAGOS"},
                headers=soporte.auth(usuario),
            )
            assert r.status == 201, await r.text()
            tickets.append(await r.json())
        caso = await crear(soporte, lucia)
        ids = [t["id"] for t in tickets]

        r = await _patch(soporte, ana, caso["id"], tickets_relacionados=[*ids, 999_999])
        assert r.status == 400
        assert (await r.json())["errors"]["tickets_relacionados"] == ["No existe el ticket 999999."]

        r = await _patch(soporte, ana, caso["id"], tickets_relacionados=[ids[1], ids[0], ids[1]])
        assert r.status == 200, await r.text()
        assert (await r.json())["tickets_relacionados"] == [
            {
                "id": ids[1],
                "numero": tickets[1]["numero"],
                "asunto": "Cobro doble de Martín",
                "estado": "ABIERTO",
            },
            {
                "id": ids[0],
                "numero": tickets[0]["numero"],
                "asunto": "No llega el voucher",
                "estado": "ABIERTO",
            },
        ]
        assert historial[-1]["cambios"] == {"tickets_relacionados": [[], [ids[1], ids[0]]]}
        # The customer sees her own linked ticket only, never another customer's subject.
        r = await soporte.get(f"{URL}{caso['id']}/", headers=soporte.auth(lucia))
        assert [t["id"] for t in (await r.json())["tickets_relacionados"]] == [ids[0]]
        assert "Martín" not in await r.text()

        r = await _patch(soporte, ana, caso["id"], tickets_relacionados=None)
        assert r.status == 400


async def test_tickets_relacionados_sin_el_plugin_tickets(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, lucia)
    r = await _patch(soporte, ana, caso["id"], tickets_relacionados=[7])
    assert r.status == 200
    assert (await r.json())["tickets_relacionados"] == [
        {"id": 7, "numero": None, "asunto": None, "estado": None}
    ]
    r = await soporte.get(f"{URL}{caso['id']}/", headers=soporte.auth(lucia))
    assert (await r.json())["tickets_relacionados"] == []


async def test_reservas_relacionadas_por_el_hook(make_app, historial):
    reservas = ReservasDePrueba()
    async with started_app(make_app(["casos", "tickets"], extra=[reservas])) as soporte:
        lucia = await soporte.usuario("lucia")
        ana = await soporte.usuario("ana", Rol.AGENTE)
        caso = await crear(soporte, lucia, reservasIds=[1])
        reservas.llamadas.clear()
        r = await _patch(soporte, ana, caso["id"], reservas_relacionadas=[1, 150])
        assert r.status == 400
        assert (await r.json())["errors"]["reservas_relacionadas"] == [
            "Reserva 150: La reserva no existe."
        ]
        # Only the new ids are asked about.
        assert reservas.llamadas == [(150, ana.id)]
        r = await _patch(soporte, ana, caso["id"], reservas_relacionadas=[1, 13])
        assert r.status == 200
        assert (await r.json())["reservas_relacionadas"] == [1, 13]
        assert historial == [
            {
                "entidad": "caso",
                "entidad_id": caso["id"],
                "cambios": {"reservas_relacionadas": [[1], [1, 13]]},
                "autor_id": ana.id,
                "canal": "API",
                "publico": True,
            }
        ]


async def test_un_caso_cerrado_no_se_reasigna(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, lucia)
    r = await _patch(soporte, ana, caso["id"], estado="CERRADO")
    assert r.status == 200
    assert (await r.json())["transiciones"] == []
    r = await _patch(soporte, ana, caso["id"], agente_asignado=ana.id)
    assert r.status == 409
