"""The events of a reply and of a new ticket carry what their listeners read, so that none
reads the row again: what they carry must be what a read gives."""

from __future__ import annotations

import dataclasses

import pytest

from core.auth.models import Rol
from plugins.tickets import api
from plugins.tickets.service import Respuesta, RespuestaCreada, TicketCreado
from tests.plugins.tickets.conftest import crear

pytestmark = pytest.mark.plugins("tickets")


@pytest.fixture
async def gente(soporte):
    lucia = await soporte.usuario("lucia", nombre="Lucía Gómez")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    ticket = await crear(soporte, lucia, asunto="Cobro doble", prioridad="ALTA")
    return soporte, lucia, carla, ticket


async def test_la_respuesta_del_evento_es_la_guardada(gente):
    soporte, lucia, carla, ticket = gente
    for autor, texto in ((carla, "Lo revisamos"), (lucia, "Gracias")):
        r = await soporte.post(
            f"/api/soporte/tickets/{ticket['id']}/responder/",
            headers=soporte.auth(autor),
            json={"mensaje": texto},
        )
        assert r.status == 201, await r.text()
    eventos = [e for e in soporte.events if isinstance(e, RespuestaCreada)]
    assert len(eventos) == 2
    for evento in eventos:
        assert evento.fecha_creacion  # carried
        leida = await api.cargar_respuesta(evento.respuesta_id)
        assert await api.respuesta_de(evento) == leida
        assert leida.fecha_creacion.isoformat() == evento.fecha_creacion
    # Built from the event alone: it answers even once the row is gone; an event that does
    # not carry the view (older producers) is read, and then the row must exist.
    await Respuesta.filter(id=eventos[0].respuesta_id).delete()
    assert (await api.respuesta_de(eventos[0])).mensaje == "Lo revisamos"
    viejo = dataclasses.replace(eventos[1], fecha_creacion="", numero="")
    assert (await api.respuesta_de(viejo)).mensaje == "Gracias"


async def test_la_respuesta_sin_archivos_es_la_del_detalle(gente):
    # The answer is built from the reply just stored, not read back: the same object the
    # detail shows.
    soporte, lucia, carla, ticket = gente
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        headers=soporte.auth(carla),
        json={"mensaje": "Ya está resuelto"},
    )
    assert r.status == 201, await r.text()
    respuesta = await r.json()
    detalle = await (
        await soporte.get(f"/api/soporte/tickets/{ticket['id']}/", headers=soporte.auth(lucia))
    ).json()
    assert detalle["respuestas"] == [respuesta]


async def test_ticket_creado_lleva_numero_asunto_y_cliente(gente):
    soporte, lucia, _, ticket = gente
    [evento] = [e for e in soporte.events if isinstance(e, TicketCreado)]
    assert (evento.ticket_id, evento.cliente_id) == (ticket["id"], lucia.id)
    assert (evento.numero, evento.asunto, evento.prioridad) == (
        ticket["numero"],
        "Cobro doble",
        "ALTA",
    )
    assert evento.cliente_nombre == lucia.nombre_visible
    assert evento.equipo_id == (ticket["equipo"] or {}).get("id")
