"""POST .../responder/: the guide's FormData, JSON, and the state machine a reply drives."""

from __future__ import annotations

import pytest

from core import keys
from core.auth.models import Rol
from plugins.tickets.service import (
    Estado,
    Respuesta,
    RespuestaCreada,
    Ticket,
    TicketActualizado,
)
from tests.plugins.tickets.conftest import bearer, crear, formulario, responder

pytestmark = pytest.mark.plugins("tickets")


@pytest.fixture
async def gente(soporte):
    lucia = await soporte.usuario("lucia")
    martin = await soporte.usuario("martin")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    ticket = await crear(soporte, lucia)
    return soporte, lucia, martin, carla, ticket


async def test_responder_como_la_guia(gente):
    soporte, lucia, _, carla, ticket = gente
    r = await responder(
        soporte,
        carla,
        ticket["id"],
        "Hemos revisado el pago",
        [("recibo.pdf", b"%PDF recibo", "application/pdf"), ("nota.txt", b"hola", "text/plain")],
    )
    assert r.status == 201, await r.text()
    respuesta = await r.json()
    assert respuesta["autor"] == {"id": carla.id, "nombre": "Carla Ruiz", "rol": "AGENTE"}
    assert respuesta["mensaje"] == "Hemos revisado el pago"
    assert respuesta["canal"] == "TICKET"
    assert [a["nombre"] for a in respuesta["archivos_adjuntos"]] == ["recibo.pdf", "nota.txt"]
    detalle = await (
        await soporte.get(f"/api/soporte/tickets/{ticket['id']}/", headers=soporte.auth(lucia))
    ).json()
    assert detalle["respuestas"] == [respuesta]
    assert detalle["archivos_adjuntos"] == []  # a reply's files belong to the reply
    # The events: the reply, and the state change it caused.
    creada = [e for e in soporte.events if isinstance(e, RespuestaCreada)]
    assert [(e.ticket_id, e.respuesta_id, e.autor_id, e.canal) for e in creada] == [
        (ticket["id"], respuesta["id"], carla.id, "TICKET")
    ]
    [cambio] = [e for e in soporte.events if isinstance(e, TicketActualizado)]
    assert cambio.cambios == {"estado": ["ABIERTO", "EN_PROGRESO"]}


async def test_responder_con_json_y_adjuntos_subidos(gente):
    soporte, lucia, _, _, ticket = gente
    r = await soporte.post(
        "/api/soporte/adjuntos/",
        headers=bearer(lucia),
        data=formulario({}, {"f": ("foto.jpg", b"\xff\xd8jpeg", "image/jpeg")}),
    )
    [subido] = await r.json()
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        headers=soporte.auth(lucia),
        json={"mensaje": "Adjunto la foto", "archivos_adjuntos": [subido["id"]]},
    )
    assert r.status == 201, await r.text()
    respuesta = await r.json()
    assert [a["id"] for a in respuesta["archivos_adjuntos"]] == [subido["id"]]
    assert respuesta["autor"]["rol"] == "CLIENTE"
    # JSON without files, and the path without its slash.
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder",
        headers=soporte.auth(lucia),
        json={"mensaje": "Otra cosa"},
    )
    assert r.status == 201 and (await r.json())["archivos_adjuntos"] == []


@pytest.mark.parametrize("mensaje", ["", "   ", "\n\t"])
async def test_mensaje_en_blanco_es_400(gente, mensaje):
    soporte, lucia, _, _, ticket = gente
    r = await responder(soporte, lucia, ticket["id"], mensaje)
    assert r.status == 400 and "mensaje" in (await r.json())["errors"]
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        headers=soporte.auth(lucia),
        json={"mensaje": mensaje},
    )
    assert r.status == 400 and "mensaje" in (await r.json())["errors"]
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/", headers=soporte.auth(lucia), json={}
    )
    assert r.status == 400 and "mensaje" in (await r.json())["errors"]


async def test_responder_visibilidad(gente):
    soporte, _, martin, _, ticket = gente
    r = await responder(soporte, martin, ticket["id"], "¿Puedo opinar?")
    assert r.status == 404
    r = await responder(soporte, martin, 987654, "hola")
    assert r.status == 404
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/", json={"mensaje": "anónimo"}
    )
    assert r.status == 401
    assert await Respuesta.filter(ticket_id=ticket["id"]).count() == 0


async def test_primera_respuesta_del_agente(gente):
    soporte, lucia, _, carla, ticket = gente
    await responder(soporte, lucia, ticket["id"], "¿Alguien?")
    fila = await Ticket.get(id=ticket["id"])
    assert fila.estado == Estado.ABIERTO and fila.esperando_desde is not None
    espera_inicial = fila.esperando_desde
    await responder(soporte, carla, ticket["id"], "Aquí estoy")
    fila = await Ticket.get(id=ticket["id"])
    assert fila.estado == Estado.EN_PROGRESO
    assert fila.esperando_desde is None  # the clock stops
    assert fila.primera_respuesta_agente is not None and fila.segundos_primera_respuesta >= 0
    primera = fila.primera_respuesta_agente
    assert primera >= espera_inicial
    # The customer answers: the clock runs again; a second agent reply stops it but keeps
    # the first-answer time.
    await responder(soporte, lucia, ticket["id"], "Sigue fallando")
    fila = await Ticket.get(id=ticket["id"])
    assert fila.esperando_desde is not None and fila.estado == Estado.EN_PROGRESO
    await responder(soporte, carla, ticket["id"], "Lo miramos")
    fila = await Ticket.get(id=ticket["id"])
    assert fila.esperando_desde is None and fila.primera_respuesta_agente == primera


async def test_respuesta_del_cliente_reabre_un_resuelto(gente):
    soporte, lucia, _, carla, ticket = gente
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket['id']}/",
        headers=soporte.auth(carla),
        json={"estado": "RESUELTO"},
    )
    assert r.status == 200
    assert (await Ticket.get(id=ticket["id"])).esperando_desde is None
    soporte.events.clear()
    assert (await responder(soporte, lucia, ticket["id"], "No está resuelto")).status == 201
    fila = await Ticket.get(id=ticket["id"])
    assert fila.estado == Estado.EN_PROGRESO and fila.esperando_desde is not None
    [cambio] = [e for e in soporte.events if isinstance(e, TicketActualizado)]
    assert cambio.cambios == {"estado": ["RESUELTO", "EN_PROGRESO"]}


async def test_un_agente_no_reabre_un_resuelto(gente):
    soporte, _, _, carla, ticket = gente
    await soporte.patch(
        f"/api/soporte/tickets/{ticket['id']}/",
        headers=soporte.auth(carla),
        json={"estado": "RESUELTO"},
    )
    assert (await responder(soporte, carla, ticket["id"], "Nota final")).status == 201
    assert (await Ticket.get(id=ticket["id"])).estado == Estado.RESUELTO


async def test_responder_en_cerrado_es_409(gente):
    soporte, lucia, _, carla, ticket = gente
    await soporte.patch(
        f"/api/soporte/tickets/{ticket['id']}/",
        headers=soporte.auth(lucia),
        json={"estado": "CERRADO"},
    )
    for quien in (lucia, carla):
        r = await responder(soporte, quien, ticket["id"], "¿Hola?", [("a.txt", b"x", "text/plain")])
        assert r.status == 409
    assert await Respuesta.filter(ticket_id=ticket["id"]).count() == 0
    # The files of a refused reply are not kept.
    assert not [p for p in soporte.app[keys.SETTINGS].media_dir.rglob("*") if p.is_file()]
