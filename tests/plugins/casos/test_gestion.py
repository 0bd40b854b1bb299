"""PATCH /api/soporte/casos/{id}/ beyond the state machine: assignment to an agent and a team,
linked tickets and bookings, the history of every change, and what the detail shows of them."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.models import Equipo, Rol
from core.history import CREADO, history
from core.history_models import Cambio
from core.testing import started_app
from plugins.casos import service
from plugins.casos.events import CasoActualizado
from plugins.casos.models import Caso
from tests.plugins.casos.ayudas import URL, crear
from tests.plugins.casos.test_crear import ReservasDePrueba

pytestmark = pytest.mark.plugins("casos")


async def _patch(soporte, usuario, caso_id, **cuerpo):
    return await soporte.patch(f"{URL}{caso_id}/", json=cuerpo, headers=soporte.auth(usuario))


async def historial(caso_id: int, *, solo_publico: bool = False) -> list[dict[str, Any]]:
    """The case's history rows after creation, as ``core.history`` stored them."""
    return [
        {
            "campo": c.campo,
            "anterior": c.anterior,
            "nuevo": c.nuevo,
            "autor_id": c.autor_id,
            "canal": c.canal,
            "publico": c.publico,
        }
        for c in await history("caso", caso_id, solo_publico=solo_publico)
        if c.campo != CREADO
    ]


async def test_asignar_agente_y_equipo_y_desasignar(soporte):
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
    assert await historial(caso["id"]) == [
        {
            "campo": c,
            "anterior": None,
            "nuevo": v,
            "autor_id": beto.id,
            "canal": "API",
            "publico": p,
        }
        for c, v, p in (("agente_asignado", ana.id, True), ("equipo", equipo.id, False))
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
    assert [(h["campo"], h["anterior"], h["nuevo"]) for h in await historial(caso["id"])][2:] == [
        ("agente_asignado", ana.id, None),
        ("equipo", equipo.id, None),
    ]


async def test_asignacion_invalida_es_400_y_no_cambia_nada(soporte):
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
    assert await historial(caso["id"]) == []

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


async def test_cada_cambio_queda_en_el_historial(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, lucia)
    r = await _patch(
        soporte, ana, caso["id"], estado="EN_INVESTIGACION", agente_asignado=ana.id, urgencia="ALTA"
    )
    assert r.status == 200
    assert sorted((h["campo"], h["anterior"], h["nuevo"]) for h in await historial(caso["id"])) == [
        ("agente_asignado", None, ana.id),
        ("estado", "ABIERTO", "EN_INVESTIGACION"),
        ("urgencia", "MEDIA", "ALTA"),
    ]
    # The customer's timeline: what core.auth.guards.public_change lets through.
    publico = await historial(caso["id"], solo_publico=True)
    assert {h["campo"] for h in publico} == {"agente_asignado", "estado", "urgencia"}
    [evento] = [e for e in soporte.events if isinstance(e, CasoActualizado)]
    assert evento.agente_asignado_id == ana.id
    assert evento.campos == ("agente_asignado", "estado", "urgencia")
    assert (await r.json())["transiciones"] == ["ABIERTO", "RESUELTO", "CERRADO"]


async def test_el_historial_va_en_la_misma_transaccion(soporte, monkeypatch):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, lucia)
    assert [c.campo for c in await history("caso", caso["id"], solo_publico=False)] == [CREADO]
    real = service.record

    async def registra_y_falla(conn, **datos):
        await real(conn, **datos)
        raise RuntimeError("fallo después de escribir el historial")

    monkeypatch.setattr(service, "record", registra_y_falla)
    r = await _patch(soporte, ana, caso["id"], estado="RESUELTO")
    assert r.status == 500
    # Both roll back together: the case and its history rows.
    assert (await Caso.get(id=caso["id"])).estado == "ABIERTO"
    assert await Cambio.filter(entidad="caso", entidad_id=caso["id"]).count() == 1


async def test_tickets_relacionados(make_app):
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
        [cambio] = await historial(caso["id"])
        assert (cambio["campo"], cambio["anterior"], cambio["nuevo"]) == (
            "tickets_relacionados",
            [],
            [ids[1], ids[0]],
        )
        assert cambio["publico"] is False
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


async def test_reservas_relacionadas_por_el_hook(make_app):
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
        assert await historial(caso["id"]) == [
            {
                "campo": "reservas_relacionadas",
                "anterior": [1],
                "nuevo": [1, 13],
                "autor_id": ana.id,
                "canal": "API",
                "publico": False,
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
