"""``POST /api/soporte/tickets/lote/``: many tickets by ids or by filter, each through the rules
and history of one PATCH and in a transaction of its own, with a per-ticket result; plus the
actions plugins contribute through ``register_ticket_bulk_actions``."""

from __future__ import annotations

from typing import Any

import pytest

from core import hookimpl
from core.api import Conflict
from core.auth.models import Rol
from core.plugins import PluginError
from plugins.tickets import api
from plugins.tickets.models import Respuesta, Ticket
from tests.plugins.tickets.conftest import crear

LOTE = "/api/soporte/tickets/lote/"


class Nota:
    """A third party's plugin: bulk action ``nota`` writes an internal note on each ticket,
    then refuses (409) the value ``"falla"`` — after writing, so its rollback shows."""

    name = "notas_lote"
    requires = ("tickets",)

    def __init__(self, nombre: str = "nota") -> None:
        self.nombre = nombre

    @hookimpl
    def register_ticket_bulk_actions(self) -> dict[str, Any]:
        """The action ``nota``."""

        async def nota(bus: Any, usuario: Any, ticket_id: int, valor: Any) -> None:
            await api.responder(bus, usuario, ticket_id, f"Nota: {valor}", interna=True)
            if valor == "falla":
                raise Conflict("La nota no se admite.")

        return {self.nombre: nota}


@pytest.fixture
async def mundo(start_app):
    soporte = await start_app(plugins=["tickets"], extra=[Nota()])
    lucia = await soporte.usuario("lucia")
    otro = await soporte.usuario("otro")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    return soporte, lucia, otro, carla


async def _lote(soporte, usuario, body, status=200):
    r = await soporte.post(LOTE, headers=soporte.auth(usuario), json=body)
    assert r.status == status, await r.text()
    return await r.json()


async def test_por_ids_cada_ticket_por_su_cuenta(mundo):
    soporte, lucia, _, carla = mundo
    t1 = await crear(soporte, lucia)
    t2 = await crear(soporte, lucia)
    cerrado = await crear(soporte, lucia)
    r = await soporte.patch(
        f"/api/soporte/tickets/{cerrado['id']}/",
        headers=soporte.auth(carla),
        json={"estado": "CERRADO"},
    )
    assert r.status == 200
    body = await _lote(
        soporte,
        carla,
        {
            "ids": [t1["id"], cerrado["id"], 1_999_999, t2["id"], t1["id"]],
            "acciones": {"estado": "RESUELTO", "etiquetas_agregar": ["Lote"], "prioridad": "BAJA"},
        },
    )
    assert (body["total"], body["correctos"], body["coincidentes"], body["truncado"]) == (
        4,
        2,
        4,
        False,
    )
    por_id = {r["id"]: r for r in body["resultados"]}
    assert por_id[t1["id"]] == {"id": t1["id"], "estado": 200, "error": None}
    assert por_id[1_999_999]["estado"] == 404
    assert por_id[cerrado["id"]]["estado"] == 409
    assert "No se puede pasar" in por_id[cerrado["id"]]["error"]
    # The failing ticket rolled back whole (its priority and tag too); the others changed.
    ct = await Ticket.get(id=cerrado["id"])
    assert ct.prioridad == "ALTA"
    for t in (t1, t2):
        r = await soporte.get(f"/api/soporte/tickets/{t['id']}/", headers=soporte.auth(carla))
        detalle = await r.json()
        assert (detalle["estado"], detalle["prioridad"], detalle["etiquetas"]) == (
            "RESUELTO",
            "BAJA",
            ["Lote"],
        )
    # The same history as one PATCH, by the agent.
    r = await soporte.get(
        f"/api/soporte/tickets/{t1['id']}/historial/", headers=soporte.auth(carla)
    )
    campos = {c["campo"]: c for c in (await r.json())["results"]}
    assert campos["estado"]["autor"]["id"] == carla.id
    assert campos["etiquetas"]["nuevo"] == ["Lote"]


async def test_por_filtro_con_visibilidad_y_limite(mundo, start_app):
    soporte, lucia, otro, carla = mundo
    ids = [(await crear(soporte, lucia, prioridad="ALTA"))["id"] for _ in range(3)]
    baja = await crear(soporte, otro, prioridad="BAJA")
    body = await _lote(
        soporte,
        carla,
        {
            "filtro": {"prioridad": "ALTA", "estado": "ABIERTO"},
            "acciones": {"estado": "EN_PROGRESO"},
        },
    )
    assert sorted(r["id"] for r in body["resultados"]) == ids
    assert body["correctos"] == 3
    assert (await Ticket.get(id=baja["id"])).estado == "ABIERTO"
    # The same filter again matches nothing: they moved.
    body = await _lote(
        soporte,
        carla,
        {
            "filtro": {"prioridad": "ALTA", "estado": "ABIERTO"},
            "acciones": {"estado": "EN_PROGRESO"},
        },
    )
    assert body["total"] == 0


async def test_el_filtro_se_corta_en_el_maximo(start_app):
    soporte = await start_app(plugins=["tickets"], plugin_settings={"tickets": {"lote_maximo": 2}})
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ids = [(await crear(soporte, lucia))["id"] for _ in range(3)]
    body = await _lote(
        soporte, carla, {"filtro": {"estado": "ABIERTO"}, "acciones": {"prioridad": "BAJA"}}
    )
    assert (body["total"], body["coincidentes"], body["truncado"]) == (2, 3, True)
    assert [r["id"] for r in body["resultados"]] == ids[:2]  # lowest ids first


async def test_errores_antes_de_tocar_nada(mundo):
    soporte, lucia, _, carla = mundo
    t = await crear(soporte, lucia)
    base = {"ids": [t["id"]]}
    casos = [
        ({**base, "acciones": {"prioridad": "BAJA", "volar": 1}}, "acciones.volar"),
        ({**base, "acciones": {"estado": "NO"}}, "acciones.estado"),
        ({**base, "acciones": {"etiquetas_agregar": [""]}}, "acciones.etiquetas_agregar"),
        ({"acciones": {"prioridad": "BAJA"}}, "non_field_errors"),
        ({**base, "filtro": {}, "acciones": {"prioridad": "BAJA"}}, None),
        ({"filtro": {"estado": "NADA"}, "acciones": {"prioridad": "BAJA"}}, "filtro.estado"),
        ({"ids": list(range(1, 1002)), "acciones": {"prioridad": "BAJA"}}, "ids"),
        ({**base, "acciones": {}}, "acciones"),
    ]
    for body, campo in casos:
        problema = await _lote(soporte, carla, body, 400)
        if campo is not None:
            assert campo in problema["errors"], (body, problema)
    problema = await _lote(soporte, carla, {"acciones": {"prioridad": "BAJA"}}, 400)
    assert problema["errors"]["non_field_errors"] == ["Envíe exactamente uno de 'ids' o 'filtro'."]
    assert (await Ticket.get(id=t["id"])).prioridad == "ALTA"
    # Customers: 403.
    await _lote(soporte, lucia, {**base, "acciones": {"prioridad": "BAJA"}}, 403)


async def test_una_accion_de_plugin_en_la_misma_transaccion(mundo):
    soporte, lucia, _, carla = mundo
    bien = await crear(soporte, lucia)
    mal = await crear(soporte, lucia)
    await _lote(
        soporte, carla, {"ids": [bien["id"]], "acciones": {"prioridad": "BAJA", "nota": "hola"}}
    )
    body = await _lote(
        soporte, carla, {"ids": [mal["id"]], "acciones": {"prioridad": "BAJA", "nota": "falla"}}
    )
    assert body["resultados"] == [
        {"id": mal["id"], "estado": 409, "error": "La nota no se admite."}
    ]
    assert await Respuesta.filter(ticket_id=bien["id"], interna=True).count() == 1
    # The failed action rolled back its own note and the field change before it.
    assert await Respuesta.filter(ticket_id=mal["id"]).count() == 0
    assert (await Ticket.get(id=mal["id"])).prioridad == "ALTA"
    assert (await Ticket.get(id=bien["id"])).prioridad == "BAJA"


@pytest.mark.parametrize(
    ("plugins", "mensaje"),
    [
        ([Nota(), type("Otra", (Nota,), {"name": "otra"})()], "registered by both plugin"),
        ([Nota("estado")], "one of tickets' own"),
        ([Nota("Con Espacios")], "a lower-case word"),
    ],
)
async def test_nombres_de_accion_rotos_impiden_arrancar(make_app, plugins, mensaje):
    with pytest.raises(PluginError, match=mensaje):
        make_app(plugins=["tickets"], extra=plugins)
