"""``SOPORTE_TEAM_VISIBILITY`` on cases: an AGENTE sees the cases of their teams, cases with no
team and cases assigned to them; any other case is a 404 (detail, reply, PATCH, history) and is
left out of the list. Admins see everything; with the setting off, agents do."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.models import Equipo, Rol

CASO = {
    "tipo_caso": "RECLAMO",
    "urgencia": "ALTA",
    "titulo": "Cobro duplicado",
    "descripcion": "Me cobraron dos veces",
}


async def _mundo(start_app: Any, visibilidad: bool) -> dict[str, Any]:
    soporte = await start_app(["casos"], team_visibility=visibilidad)
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    luis = await soporte.usuario("luis", Rol.AGENTE)
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    tecnico = await Equipo.create(nombre="Técnico", categorias=["TECNICO"])
    await pagos.miembros.add(ana)
    await tecnico.miembros.add(luis)
    ids: dict[str, int] = {}
    for nombre, cambios in (
        ("pagos", {"equipo": pagos.id}),
        ("tecnico", {"equipo": tecnico.id}),
        ("libre", {}),
        ("asignado", {"equipo": tecnico.id, "agente_asignado": luis.id}),
    ):
        r = await soporte.post("/api/soporte/casos/", headers=soporte.auth(lucia), json=CASO)
        assert r.status == 201, await r.text()
        ids[nombre] = (await r.json())["id"]
        if cambios:
            r = await soporte.patch(
                f"/api/soporte/casos/{ids[nombre]}/", headers=soporte.auth(jefa), json=cambios
            )
            assert r.status == 200, await r.text()
    return {"soporte": soporte, "ana": ana, "luis": luis, "jefa": jefa, "ids": ids}


async def _lista(soporte: Any, usuario: Any) -> set[int]:
    r = await soporte.get("/api/soporte/casos/", headers=soporte.auth(usuario))
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["count"] == len(body["results"])
    return {c["id"] for c in body["results"]}


async def test_agents_see_their_teams_cases_only(start_app: Any) -> None:
    m = await _mundo(start_app, True)
    soporte, ids = m["soporte"], m["ids"]
    assert await _lista(soporte, m["ana"]) == {ids["pagos"], ids["libre"]}
    assert await _lista(soporte, m["luis"]) == {ids["tecnico"], ids["libre"], ids["asignado"]}
    assert await _lista(soporte, m["jefa"]) == set(ids.values())
    for ruta in ("", "historial/"):
        r = await soporte.get(
            f"/api/soporte/casos/{ids['tecnico']}/{ruta}", headers=soporte.auth(m["ana"])
        )
        assert r.status == 404, ruta
        r = await soporte.get(
            f"/api/soporte/casos/{ids['pagos']}/{ruta}", headers=soporte.auth(m["ana"])
        )
        assert r.status == 200, ruta
    r = await soporte.post(
        f"/api/soporte/casos/{ids['tecnico']}/responder/",
        headers=soporte.auth(m["ana"]),
        json={"mensaje": "Hola"},
    )
    assert r.status == 404
    r = await soporte.patch(
        f"/api/soporte/casos/{ids['tecnico']}/",
        headers=soporte.auth(m["ana"]),
        json={"estado": "EN_INVESTIGACION"},
    )
    assert r.status == 404


@pytest.mark.parametrize("visibilidad", [False])
async def test_with_the_setting_off_agents_see_every_case(
    start_app: Any, visibilidad: bool
) -> None:
    m = await _mundo(start_app, visibilidad)
    assert await _lista(m["soporte"], m["ana"]) == set(m["ids"].values())
