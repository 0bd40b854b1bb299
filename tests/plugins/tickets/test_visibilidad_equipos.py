"""``SOPORTE_TEAM_VISIBILITY``: an AGENTE sees the tickets of their teams, tickets with no team
and tickets assigned to them — everything else is a 404 on REST and 4404 on the ticket socket,
and is left out of lists and counts. Admins see everything; with the setting off, agents do."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.models import Equipo, Rol
from tests.plugins.tickets.conftest import contar_consultas, crear


@pytest.fixture
async def mundo(start_app: Any) -> dict[str, Any]:
    """An app with team visibility on; ana in Pagos, luis in Técnico, a ticket of each team,
    one with no team, and one of Técnico assigned to ana."""
    soporte = await start_app(["tickets", "chat"], team_visibility=True)
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    luis = await soporte.usuario("luis", Rol.AGENTE)
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    tecnico = await Equipo.create(nombre="Técnico", categorias=["TECNICO"])
    await pagos.miembros.add(ana)
    await tecnico.miembros.add(luis)
    t_pagos = await crear(soporte, lucia, categoria="PAGOS")
    t_tecnico = await crear(soporte, lucia, categoria="TECNICO")
    t_libre = await crear(soporte, lucia, categoria="RESERVAS")
    t_asignado = await crear(soporte, lucia, categoria="TECNICO")
    # Técnico's ticket assigned to ana: in Técnico she is not, so it is moved out of the team
    # first (the assignee of a team's ticket must be a member) and then back as the data of a
    # team that changed members would be.
    await tecnico.miembros.add(ana)
    r = await soporte.patch(
        f"/api/soporte/tickets/{t_asignado['id']}/",
        headers=soporte.auth(jefa),
        json={"agente_asignado": ana.id},
    )
    assert r.status == 200, await r.text()
    await tecnico.miembros.remove(ana)
    return {
        "soporte": soporte,
        "lucia": lucia,
        "ana": ana,
        "luis": luis,
        "jefa": jefa,
        "pagos": pagos,
        "tecnico": tecnico,
        "t": {
            "pagos": t_pagos["id"],
            "tecnico": t_tecnico["id"],
            "libre": t_libre["id"],
            "asignado": t_asignado["id"],
        },
    }


async def ids_de_lista(soporte: Any, usuario: Any, url: str = "/api/soporte/tickets/") -> Any:
    r = await soporte.get(url, headers=soporte.auth(usuario))
    assert r.status == 200, await r.text()
    body = await r.json()
    if isinstance(body, list):
        return {t["id"] for t in body}
    assert body["count"] == len(body["results"])
    return {t["id"] for t in body["results"]}


async def test_lists_and_counts(mundo):
    soporte, t = mundo["soporte"], mundo["t"]
    ana_ve = {t["pagos"], t["libre"], t["asignado"]}
    assert await ids_de_lista(soporte, mundo["ana"]) == ana_ve
    assert await ids_de_lista(soporte, mundo["ana"], "/api/soporte/tickets/recientes/") == ana_ve
    # Filters by the maintained totals (estado) are real counts for her.
    r = await soporte.get(
        "/api/soporte/tickets/", headers=soporte.auth(mundo["ana"]), params={"estado": "ABIERTO"}
    )
    assert (await r.json())["count"] == 3
    assert await ids_de_lista(soporte, mundo["luis"]) == {t["tecnico"], t["libre"], t["asignado"]}
    assert await ids_de_lista(soporte, mundo["jefa"]) == set(t.values())


async def test_detail_patch_and_reply_are_404_outside_the_teams(mundo):
    soporte, t, ana = mundo["soporte"], mundo["t"], mundo["ana"]
    for nombre in ("pagos", "libre", "asignado"):
        r = await soporte.get(f"/api/soporte/tickets/{t[nombre]}/", headers=soporte.auth(ana))
        assert r.status == 200, nombre
    ajeno = f"/api/soporte/tickets/{t['tecnico']}/"
    r = await soporte.get(ajeno, headers=soporte.auth(ana))
    assert r.status == 404
    r = await soporte.patch(ajeno, headers=soporte.auth(ana), json={"prioridad": "ALTA"})
    assert r.status == 404
    r = await soporte.post(ajeno + "responder/", headers=soporte.auth(ana), json={"mensaje": "x"})
    assert r.status == 404
    r = await soporte.post(
        f"/api/soporte/tickets/{t['libre']}/responder/",
        headers=soporte.auth(ana),
        json={"mensaje": "Hola"},
    )
    assert r.status == 201
    # The admin and the customer are not narrowed.
    for quien in ("jefa", "lucia"):
        r = await soporte.get(ajeno, headers=soporte.auth(mundo[quien]))
        assert r.status == 200, quien


async def test_an_inactive_team_counts_for_nobody(mundo):
    soporte, t, ana = mundo["soporte"], mundo["t"], mundo["ana"]
    pagos = mundo["pagos"]
    pagos.activo = False
    await pagos.save()
    r = await soporte.get(f"/api/soporte/tickets/{t['pagos']}/", headers=soporte.auth(ana))
    assert r.status == 404
    assert t["pagos"] not in await ids_de_lista(soporte, ana)


async def test_socket_closes_4404_outside_the_teams(mundo):
    soporte, t, ana = mundo["soporte"], mundo["t"], mundo["ana"]
    ws = await soporte.ws(f"/ws/soporte/ticket/{t['tecnico']}/", ana)
    msg = await ws.receive(timeout=5)
    assert ws.close_code == 4404, msg
    await ws.close()
    ws = await soporte.ws(f"/ws/soporte/ticket/{t['pagos']}/", ana)
    frame = await soporte.recibir(ws, "connection_status")
    assert frame["tipo"] == "connection_status"
    await ws.close()


async def test_off_agents_see_everything_without_extra_queries(start_app):
    soporte = await start_app(["tickets"])
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    ticket = await crear(soporte, lucia, categoria="TECNICO")
    url = f"/api/soporte/tickets/{ticket['id']}/"

    async def consultas() -> int:
        with contar_consultas() as sentencias:
            r = await soporte.get(url, headers=soporte.auth(ana))
            assert r.status == 200
            await r.read()
        return len(sentencias)

    antes = await consultas()
    tecnico = await Equipo.create(nombre="Técnico", categorias=["TECNICO"])
    otro = await crear(soporte, lucia, categoria="TECNICO")
    assert otro["equipo"]["id"] == tecnico.id
    url = f"/api/soporte/tickets/{otro['id']}/"
    assert await consultas() == antes  # a team's ticket, ana in no team: still no extra query
    assert otro["id"] in await ids_de_lista(soporte, ana)
