"""Teams on tickets: routing of new tickets by category, ``equipo`` on the ticket object, the
PATCH of ``equipo``, the ``?equipo=`` filter, and the rule that a team's ticket is assigned to a
member of the team."""

from __future__ import annotations

from typing import Any

import pytest

from core import keys
from core.auth.models import Equipo, Rol
from plugins.tickets import api as tickets_api
from plugins.tickets.service import Categoria, Ticket, TicketActualizado
from tests.plugins.tickets.conftest import contar_consultas, crear

pytestmark = pytest.mark.plugins("tickets")


async def patch(soporte: Any, usuario: Any, ticket_id: int, **cambios: Any) -> Any:
    return await soporte.patch(
        f"/api/soporte/tickets/{ticket_id}/", headers=soporte.auth(usuario), json=cambios
    )


async def test_new_ticket_routed_to_lowest_active_team_of_its_category(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    await Equipo.create(nombre="Inactivo", categorias=["PAGOS"], activo=False)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    await Equipo.create(nombre="Cobros", categorias=["PAGOS"])
    ticket = await crear(soporte, lucia, categoria="PAGOS")
    assert ticket["equipo"] == {"id": pagos.id, "nombre": "Pagos"}
    assert (await Ticket.get(id=ticket["id"])).equipo_id == pagos.id
    otro = await crear(soporte, lucia, categoria="TECNICO")
    assert otro["equipo"] is None
    # The detail and the list show it too.
    r = await soporte.get(f"/api/soporte/tickets/{ticket['id']}/", headers=soporte.auth(ana))
    assert (await r.json())["equipo"] == {"id": pagos.id, "nombre": "Pagos"}
    r = await soporte.get("/api/soporte/tickets/", headers=soporte.auth(ana))
    equipos = {t["id"]: t["equipo"] for t in (await r.json())["results"]}
    assert equipos == {ticket["id"]: {"id": pagos.id, "nombre": "Pagos"}, otro["id"]: None}


async def test_ticket_from_the_public_api_is_routed_too(soporte):
    """``tickets.api.crear`` (mail in, other plugins) routes inside its transaction."""
    lucia = await soporte.usuario("lucia")
    tecnico = await Equipo.create(nombre="Técnico", categorias=["TECNICO", "RESERVAS"])
    vista = await tickets_api.crear(
        soporte.app[keys.EVENTS],
        lucia,
        asunto="No carga",
        descripcion="Error",
        categoria=Categoria.RESERVAS,
    )
    assert vista.equipo_id == tecnico.id
    assert (await Ticket.get(id=vista.id)).equipo_id == tecnico.id


async def test_patch_equipo(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    pagos = await Equipo.create(nombre="Pagos")
    viejo = await Equipo.create(nombre="Viejo", activo=False)
    ticket = await crear(soporte, lucia)
    r = await patch(soporte, ana, ticket["id"], equipo=pagos.id)
    assert r.status == 200, await r.text()
    assert (await r.json())["equipo"] == {"id": pagos.id, "nombre": "Pagos"}
    [evento] = [e for e in soporte.events if isinstance(e, TicketActualizado)]
    assert evento.cambios == {"equipo": [None, pagos.id]}
    for malo in (viejo.id, 999999):
        r = await patch(soporte, ana, ticket["id"], equipo=malo)
        assert r.status == 400
        body = await r.json()
        assert body["errors"]["equipo"] == [f"El equipo {malo} no existe o está inactivo."]
    r = await patch(soporte, lucia, ticket["id"], equipo=pagos.id)
    assert r.status == 403  # the customer may only close
    r = await patch(soporte, ana, ticket["id"], equipo=None)
    assert r.status == 200
    assert (await r.json())["equipo"] is None


async def test_patch_categoria_keeps_the_team(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    await Equipo.create(nombre="Técnico", categorias=["TECNICO"])
    ticket = await crear(soporte, lucia, categoria="PAGOS")
    r = await patch(soporte, ana, ticket["id"], categoria="TECNICO")
    assert r.status == 200
    assert (await r.json())["equipo"]["id"] == pagos.id


async def test_filter_by_equipo(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    uno = await crear(soporte, lucia, categoria="PAGOS")
    await crear(soporte, lucia, categoria="TECNICO")
    r = await soporte.get(
        "/api/soporte/tickets/", headers=soporte.auth(ana), params={"equipo": str(pagos.id)}
    )
    body = await r.json()
    assert body["count"] == 1
    assert [t["id"] for t in body["results"]] == [uno["id"]]


async def test_assignee_of_a_team_ticket_must_be_a_member(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    luis = await soporte.usuario("luis", Rol.AGENTE)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    await pagos.miembros.add(ana)
    ticket = await crear(soporte, lucia, categoria="PAGOS")
    # Any agent may assign (luis is no member), but only to a member of the ticket's team.
    r = await patch(soporte, luis, ticket["id"], agente_asignado=luis.id)
    assert r.status == 400
    assert (await r.json())["errors"]["agente_asignado"] == [
        f"El usuario {luis.id} no es miembro del equipo «Pagos»."
    ]
    r = await patch(soporte, luis, ticket["id"], agente_asignado=ana.id)
    assert r.status == 200, await r.text()
    assert (await r.json())["agente_asignado"]["id"] == ana.id
    # A ticket without a team: any active agent.
    libre = await crear(soporte, lucia, categoria="TECNICO")
    r = await patch(soporte, ana, libre["id"], agente_asignado=luis.id)
    assert r.status == 200
    # Moving and assigning in one PATCH: the assignee must be in the new team.
    r = await patch(soporte, ana, libre["id"], equipo=pagos.id, agente_asignado=luis.id)
    assert r.status == 400
    r = await patch(soporte, ana, libre["id"], equipo=pagos.id, agente_asignado=ana.id)
    assert r.status == 200
    assert (await r.json())["agente_asignado"]["id"] == ana.id


async def test_moving_to_another_team_unassigns_a_non_member(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    luis = await soporte.usuario("luis", Rol.AGENTE)
    pagos = await Equipo.create(nombre="Pagos")
    await pagos.miembros.add(ana)
    uno = await crear(soporte, lucia, categoria="TECNICO")
    dos = await crear(soporte, lucia, categoria="TECNICO")
    assert (await patch(soporte, ana, uno["id"], agente_asignado=luis.id)).status == 200
    assert (await patch(soporte, ana, dos["id"], agente_asignado=ana.id)).status == 200
    soporte.events.clear()
    r = await patch(soporte, ana, uno["id"], equipo=pagos.id)
    assert r.status == 200
    assert (await r.json())["agente_asignado"] is None
    [evento] = [e for e in soporte.events if isinstance(e, TicketActualizado)]
    assert evento.cambios == {"equipo": [None, pagos.id], "agente_asignado": [luis.id, None]}
    r = await patch(soporte, ana, dos["id"], equipo=pagos.id)  # ana is a member: stays
    assert (await r.json())["agente_asignado"]["id"] == ana.id


async def test_list_reads_teams_without_extra_queries(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    for _ in range(2):
        await crear(soporte, lucia, categoria="PAGOS")

    async def consultas() -> int:
        with contar_consultas() as sentencias:
            r = await soporte.get("/api/soporte/tickets/", headers=soporte.auth(ana))
            assert r.status == 200
            await r.read()
        return len(sentencias)

    sin_equipos = await consultas()
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    for _ in range(5):
        await crear(soporte, lucia, categoria="PAGOS")
    r = await soporte.get("/api/soporte/tickets/", headers=soporte.auth(ana))
    assert sum(t["equipo"] is not None for t in (await r.json())["results"]) == 5
    assert await consultas() == sin_equipos
    assert pagos.id


async def test_deleting_a_team_leaves_its_tickets_without_one(soporte):
    lucia = await soporte.usuario("lucia")
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    ticket = await crear(soporte, lucia, categoria="PAGOS")
    r = await soporte.delete(f"/api/soporte/equipos/{pagos.id}/", headers=soporte.auth(jefa))
    assert r.status == 204
    assert (await Ticket.get(id=ticket["id"])).equipo_id is None
