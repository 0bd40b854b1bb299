"""GET and PATCH /api/soporte/tickets/{id}/: the guide's detail, visibility, explicit moves."""

from __future__ import annotations

import pytest

from core.auth.models import Rol
from plugins.tickets.service import Estado, Ticket, TicketActualizado
from tests.plugins.tickets.conftest import crear, responder

pytestmark = pytest.mark.plugins("tickets")


def url(ticket: dict) -> str:
    return f"/api/soporte/tickets/{ticket['id']}/"


@pytest.fixture
async def gente(soporte):
    lucia = await soporte.usuario("lucia", nombre="Lucía Fernández")
    martin = await soporte.usuario("martin")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    admin = await soporte.usuario("diego", Rol.ADMIN)
    return soporte, lucia, martin, carla, admin


async def test_detalle_como_la_guia(gente):
    soporte, lucia, _, carla, _ = gente
    ticket = await crear(soporte, lucia)
    assert (await responder(soporte, carla, ticket["id"], "Lo revisamos")).status == 201
    assert (await responder(soporte, lucia, ticket["id"], "Gracias")).status == 201
    r = await soporte.get(url(ticket), headers=soporte.auth(lucia))
    assert r.status == 200
    detalle = await r.json()
    assert {k: v for k, v in detalle.items() if k != "respuestas"}.keys() == ticket.keys()
    assert detalle["estado"] == "EN_PROGRESO"
    assert detalle["reserva_relacionada"]["id"] == 123
    assert detalle["fecha_actualizacion"] >= ticket["fecha_actualizacion"]
    # Oldest first, with what the guide renders: autor.nombre, fecha_creacion, mensaje.
    assert [(x["autor"], x["mensaje"], x["canal"]) for x in detalle["respuestas"]] == [
        ({"id": carla.id, "nombre": "Carla Ruiz", "rol": "AGENTE"}, "Lo revisamos", "TICKET"),
        ({"id": lucia.id, "nombre": "Lucía Fernández", "rol": "CLIENTE"}, "Gracias", "TICKET"),
    ]
    assert set(detalle["respuestas"][0]) == {
        "id",
        "autor",
        "mensaje",
        "fecha_creacion",
        "canal",
        "archivos_adjuntos",
        "interna",
    }
    r = await soporte.get(url(ticket).rstrip("/"), headers=soporte.auth(carla))
    assert r.status == 200 and (await r.json())["id"] == ticket["id"]


async def test_visibilidad_del_detalle(gente):
    soporte, lucia, martin, carla, admin = gente
    ticket = await crear(soporte, lucia)
    for quien in (carla, admin, lucia):
        assert (await soporte.get(url(ticket), headers=soporte.auth(quien))).status == 200
    r = await soporte.get(url(ticket), headers=soporte.auth(martin))
    assert r.status == 404  # someone else's ticket: as if it did not exist
    desconocido = await soporte.get("/api/soporte/tickets/999999/", headers=soporte.auth(carla))
    assert desconocido.status == 404
    assert (await r.json())["detail"] == (await desconocido.json())["detail"]
    r = await soporte.get("/api/soporte/tickets/abc/", headers=soporte.auth(carla))
    assert r.status == 404
    enorme = "/api/soporte/tickets/99999999999999999999999/"  # beyond any id column
    assert (await soporte.get(enorme, headers=soporte.auth(carla))).status == 404
    r = await soporte.post(
        enorme + "responder/", headers=soporte.auth(carla), json={"mensaje": "x"}
    )
    assert r.status == 404
    r = await soporte.patch(enorme, headers=soporte.auth(carla), json={"estado": "CERRADO"})
    assert r.status == 404
    assert (await soporte.get(url(ticket))).status == 401
    r = await soporte.delete(url(ticket), headers=soporte.auth(carla))
    assert r.status == 405 and "PATCH" in r.headers["Allow"]


# --- PATCH -------------------------------------------------------------------------------------


async def patch(soporte, usuario, ticket, **body):
    return await soporte.patch(url(ticket), headers=soporte.auth(usuario), json=body)


async def test_agente_cambia_cada_campo(gente):
    soporte, lucia, _, carla, admin = gente
    ticket = await crear(soporte, lucia)
    r = await patch(
        soporte,
        carla,
        ticket,
        estado="EN_PROGRESO",
        prioridad="BAJA",
        categoria="TECNICO",
        agente_asignado=admin.id,
    )
    assert r.status == 200, await r.text()
    detalle = await r.json()
    assert (detalle["estado"], detalle["prioridad"], detalle["categoria"]) == (
        "EN_PROGRESO",
        "BAJA",
        "TECNICO",
    )
    assert detalle["agente_asignado"] == {"id": admin.id, "nombre": "Diego"}
    assert "respuestas" in detalle
    [evento] = [e for e in soporte.events if isinstance(e, TicketActualizado)]
    assert evento.name == "ticket_actualizado"
    assert evento.cambios == {
        "estado": ["ABIERTO", "EN_PROGRESO"],
        "prioridad": ["ALTA", "BAJA"],
        "categoria": ["PAGOS", "TECNICO"],
        "agente_asignado": [None, admin.id],
    }
    # Unassign with null; sending the current values changes nothing and emits nothing.
    r = await patch(soporte, carla, ticket, agente_asignado=None)
    assert (await r.json())["agente_asignado"] is None
    antes = len(soporte.events)
    r = await patch(soporte, carla, ticket, estado="EN_PROGRESO", prioridad="BAJA")
    assert r.status == 200 and len(soporte.events) == antes


@pytest.mark.parametrize(
    ("body", "campo"),
    [
        ({"estado": "HECHO"}, "estado"),
        ({"estado": None}, "estado"),
        ({"prioridad": "alta"}, "prioridad"),
        ({"categoria": 3}, "categoria"),
        ({"agente_asignado": "carla"}, "agente_asignado"),
        ({"asunto": "otro"}, "asunto"),  # not editable
    ],
)
async def test_patch_invalido_es_400(gente, body, campo):
    soporte, lucia, _, carla, _ = gente
    ticket = await crear(soporte, lucia)
    r = await soporte.patch(url(ticket), headers=soporte.auth(carla), json=body)
    assert r.status == 400
    assert campo in (await r.json())["errors"]


async def test_agente_asignado_debe_ser_un_agente(gente):
    soporte, lucia, martin, carla, _ = gente
    ticket = await crear(soporte, lucia)
    for malo in (martin.id, 999999):
        r = await patch(soporte, carla, ticket, agente_asignado=malo)
        assert r.status == 400
        assert "agente_asignado" in (await r.json())["errors"]
    assert (await Ticket.get(id=ticket["id"])).agente_asignado_id is None


async def test_el_cliente_solo_puede_cerrar(gente):
    soporte, lucia, _, _, _ = gente
    ticket = await crear(soporte, lucia)
    for body in (
        {"prioridad": "BAJA"},
        {"estado": "RESUELTO"},
        {"estado": "CERRADO", "prioridad": "BAJA"},
        {"agente_asignado": None},
    ):
        r = await soporte.patch(url(ticket), headers=soporte.auth(lucia), json=body)
        assert r.status == 403, body
    assert (await Ticket.get(id=ticket["id"])).estado == Estado.ABIERTO
    r = await patch(soporte, lucia, ticket, estado="CERRADO")
    assert r.status == 200 and (await r.json())["estado"] == "CERRADO"
    fila = await Ticket.get(id=ticket["id"])
    assert fila.esperando_desde is None  # a closed ticket waits for nobody


async def test_patch_de_otro_cliente_es_404(gente):
    soporte, lucia, martin, _, _ = gente
    ticket = await crear(soporte, lucia)
    r = await patch(soporte, martin, ticket, estado="CERRADO")
    assert r.status == 404
    r = await soporte.patch(
        "/api/soporte/tickets/424242/", headers=soporte.auth(martin), json={"estado": "CERRADO"}
    )
    assert r.status == 404


@pytest.mark.parametrize(
    ("camino", "ilegal"),
    [
        (["RESUELTO"], "ABIERTO"),
        (["CERRADO"], "ABIERTO"),
        (["CERRADO"], "EN_PROGRESO"),
        (["CERRADO"], "RESUELTO"),
        (["EN_PROGRESO", "RESUELTO"], "ABIERTO"),
    ],
)
async def test_transiciones_ilegales_son_409(gente, camino, ilegal):
    soporte, lucia, _, carla, _ = gente
    ticket = await crear(soporte, lucia)
    for estado in camino:
        assert (await patch(soporte, carla, ticket, estado=estado)).status == 200
    r = await patch(soporte, carla, ticket, estado=ilegal)
    assert r.status == 409
    assert r.content_type == "application/problem+json"
    assert (await Ticket.get(id=ticket["id"])).estado == camino[-1]


@pytest.mark.parametrize(
    "camino",
    [
        ["EN_PROGRESO", "RESUELTO", "CERRADO"],
        ["RESUELTO", "EN_PROGRESO", "ABIERTO", "CERRADO"],
        ["EN_PROGRESO", "ABIERTO", "RESUELTO", "CERRADO"],
    ],
)
async def test_transiciones_legales(gente, camino):
    soporte, lucia, _, carla, _ = gente
    ticket = await crear(soporte, lucia)
    for estado in camino:
        r = await patch(soporte, carla, ticket, estado=estado)
        assert r.status == 200 and (await r.json())["estado"] == estado


async def test_resolver_para_el_reloj_de_espera(gente):
    soporte, lucia, _, carla, _ = gente
    ticket = await crear(soporte, lucia)
    assert (await Ticket.get(id=ticket["id"])).esperando_desde is not None
    await patch(soporte, carla, ticket, estado="RESUELTO")
    assert (await Ticket.get(id=ticket["id"])).esperando_desde is None


async def test_cerrado_admite_corregir_datos(gente):
    soporte, lucia, _, carla, _ = gente
    ticket = await crear(soporte, lucia)
    await patch(soporte, carla, ticket, estado="CERRADO")
    r = await patch(soporte, carla, ticket, categoria="GENERAL")
    assert r.status == 200 and (await r.json())["categoria"] == "GENERAL"
    assert (await patch(soporte, carla, ticket, estado="CERRADO")).status == 200  # no change
