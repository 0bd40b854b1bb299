"""With ``SOPORTE_TEAM_VISIBILITY`` on, a new ticket of a team is told to that team's agents
and the admins only (the agents who may see it); a ticket with no team to every agent."""

from __future__ import annotations

from core.auth.models import Equipo, Rol
from tests.plugins.notificaciones.ayudas import crear_ticket, tipos


async def test_un_ticket_de_equipo_avisa_solo_a_su_equipo_y_a_los_admins(start_app):
    soporte = await start_app(["tickets", "notificaciones"], team_visibility=True)
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    luis = await soporte.usuario("luis", Rol.AGENTE)
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    await pagos.miembros.add(carla)
    de_pagos = await crear_ticket(soporte, ana, categoria="PAGOS")
    libre = await crear_ticket(soporte, ana, categoria="GENERAL")
    assert await tipos(soporte, carla) == [
        ("ticket_nuevo", de_pagos["id"]),
        ("ticket_nuevo", libre["id"]),
    ]
    assert await tipos(soporte, luis) == [("ticket_nuevo", libre["id"])]
    assert [t for _, t in await tipos(soporte, jefa)] == [de_pagos["id"], libre["id"]]


async def test_sin_el_ajuste_avisa_a_todos_los_agentes(start_app):
    soporte = await start_app(["tickets", "notificaciones"])
    ana = await soporte.usuario("ana")
    luis = await soporte.usuario("luis", Rol.AGENTE)
    await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    ticket = await crear_ticket(soporte, ana, categoria="PAGOS")
    assert await tipos(soporte, luis) == [("ticket_nuevo", ticket["id"])]
