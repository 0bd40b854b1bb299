"""POST .../valorar/: only the owner, only once resolved or closed, 1..5, replaces."""

from __future__ import annotations

import pytest

from core.auth.models import Rol
from plugins.tickets.service import TicketValorado, Valoracion
from tests.plugins.tickets.conftest import crear

pytestmark = pytest.mark.plugins("tickets")


@pytest.fixture
async def gente(soporte):
    lucia = await soporte.usuario("lucia")
    martin = await soporte.usuario("martin")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear(soporte, lucia)
    return soporte, lucia, martin, carla, ticket


async def mover(soporte, agente, ticket, estado):
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket['id']}/",
        headers=soporte.auth(agente),
        json={"estado": estado},
    )
    assert r.status == 200


async def valorar(soporte, usuario, ticket, **body):
    return await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/valorar/", headers=soporte.auth(usuario), json=body
    )


@pytest.mark.parametrize("estado", ["RESUELTO", "CERRADO"])
async def test_valorar_y_revalorar(gente, estado):
    soporte, lucia, _, carla, ticket = gente
    await mover(soporte, carla, ticket, estado)
    r = await valorar(soporte, lucia, ticket, puntuacion=5, comentario="Muy rápidos")
    assert r.status == 200, await r.text()
    assert await r.json() == {"puntuacion": 5, "comentario": "Muy rápidos"}
    r = await valorar(soporte, lucia, ticket, puntuacion=3)
    assert r.status == 200 and await r.json() == {"puntuacion": 3, "comentario": ""}
    assert await Valoracion.filter(ticket_id=ticket["id"]).count() == 1  # replaced, not added
    detalle = await (
        await soporte.get(f"/api/soporte/tickets/{ticket['id']}/", headers=soporte.auth(lucia))
    ).json()
    assert detalle["valoracion"] == {"puntuacion": 3, "comentario": ""}
    eventos = [e for e in soporte.events if isinstance(e, TicketValorado)]
    assert [(e.name, e.ticket_id, e.puntuacion) for e in eventos] == [
        ("ticket_valorado", ticket["id"], 5),
        ("ticket_valorado", ticket["id"], 3),
    ]


@pytest.mark.parametrize("estado", [None, "EN_PROGRESO"])
async def test_valorar_un_ticket_abierto_es_409(gente, estado):
    soporte, lucia, _, carla, ticket = gente
    if estado:
        await mover(soporte, carla, ticket, estado)
    r = await valorar(soporte, lucia, ticket, puntuacion=4)
    assert r.status == 409
    assert await Valoracion.all().count() == 0


@pytest.mark.parametrize(
    "body", [{"puntuacion": 0}, {"puntuacion": 6}, {"puntuacion": "mucho"}, {}, {"puntuacion": 4.5}]
)
async def test_puntuacion_invalida_es_400(gente, body):
    soporte, lucia, _, carla, ticket = gente
    await mover(soporte, carla, ticket, "RESUELTO")
    r = await valorar(soporte, lucia, ticket, **body)
    assert r.status == 400 and "puntuacion" in (await r.json())["errors"]


async def test_solo_el_cliente_del_ticket_valora(gente):
    soporte, _, martin, carla, ticket = gente
    await mover(soporte, carla, ticket, "RESUELTO")
    assert (await valorar(soporte, carla, ticket, puntuacion=5)).status == 403
    assert (await valorar(soporte, martin, ticket, puntuacion=1)).status == 404
    r = await soporte.post(f"/api/soporte/tickets/{ticket['id']}/valorar/", json={"puntuacion": 5})
    assert r.status == 401
    assert await Valoracion.all().count() == 0
