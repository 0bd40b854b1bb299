"""The rules read a new ticket from its event (no query in the creating transaction): what the
event carries is what reading the ticket and its customer gives."""

from __future__ import annotations

import dataclasses

import pytest

from core.auth.models import Rol
from plugins.notificaciones.reglas import datos_ticket_creado
from plugins.tickets.events import TicketCreado
from tests.plugins.notificaciones.ayudas import crear_ticket, tipos

pytestmark = pytest.mark.plugins("tickets", "notificaciones")


async def test_los_datos_del_evento_son_los_leidos(soporte):
    ana = await soporte.usuario("ana", nombre="Ana Pérez")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana)
    [evento] = [e for e in soporte.events if isinstance(e, TicketCreado)]
    assert evento.numero == ticket["numero"]  # carried
    del_evento = await datos_ticket_creado(evento)
    leidos = await datos_ticket_creado(dataclasses.replace(evento, numero=""))
    assert del_evento == leidos
    assert leidos is not None and leidos.cliente_nombre == "Ana Pérez"
    # And the agents heard of it as before, in the same words.
    assert await tipos(soporte, carla) == [("ticket_nuevo", ticket["id"])]


async def test_un_evento_sin_datos_de_un_ticket_borrado_no_avisa(soporte):
    ana = await soporte.usuario("ana")
    await crear_ticket(soporte, ana)
    [evento] = [e for e in soporte.events if isinstance(e, TicketCreado)]
    assert (
        await datos_ticket_creado(dataclasses.replace(evento, ticket_id=987654, numero="")) is None
    )
