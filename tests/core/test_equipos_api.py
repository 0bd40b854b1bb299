"""``/api/soporte/equipos/``: agents read teams, admins create, change and delete them; names
are unique without regard to case, members are existing agents or admins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.auth.models import Equipo, Rol

if TYPE_CHECKING:
    from core.testing import SoporteClient

BASE = "/api/soporte/equipos/"


async def problema(r: Any, status: int) -> dict[str, Any]:
    assert r.status == status, await r.text()
    assert r.content_type == "application/problem+json"
    body: dict[str, Any] = await r.json()
    return body


async def test_admin_creates_reads_changes_and_deletes_a_team(api: SoporteClient) -> None:
    jefa = await api.usuario("jefa", Rol.ADMIN)
    ana = await api.usuario("ana", Rol.AGENTE)
    luis = await api.usuario("luis", Rol.AGENTE)
    r = await api.post(
        BASE,
        headers=api.auth(jefa),
        json={
            "nombre": "  Pagos ",
            "descripcion": "Cobros y reembolsos",
            "categorias": ["pagos", "PAGOS", " reservas"],
            "miembros": [ana.id, jefa.id],
        },
    )
    assert r.status == 201, await r.text()
    equipo = await r.json()
    assert {k: v for k, v in equipo.items() if k not in ("id", "fecha_creacion")} == {
        "nombre": "Pagos",
        "descripcion": "Cobros y reembolsos",
        "categorias": ["PAGOS", "RESERVAS"],
        "miembros": sorted([ana.id, jefa.id]),
        "activo": True,
    }
    detalle = f"{BASE}{equipo['id']}/"
    r = await api.get(detalle, headers=api.auth(ana))  # agents read teams
    assert (await r.json())["nombre"] == "Pagos"
    r = await api.patch(
        detalle, headers=api.auth(jefa), json={"miembros": [luis.id], "activo": False}
    )
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["miembros"] == [luis.id]
    assert body["activo"] is False
    assert body["categorias"] == ["PAGOS", "RESERVAS"]  # not sent: unchanged
    r = await api.get(BASE, headers=api.auth(ana), params={"activo": "false"})
    assert [e["nombre"] for e in (await r.json())["results"]] == ["Pagos"]
    r = await api.delete(detalle, headers=api.auth(jefa))
    assert r.status == 204
    assert not await Equipo.exists(id=equipo["id"])
    await problema(await api.get(detalle, headers=api.auth(jefa)), 404)


async def test_only_admins_write_and_customers_do_not_read(api: SoporteClient) -> None:
    ana = await api.usuario("ana", Rol.AGENTE)
    cliente = await api.usuario("cliente")
    await problema(await api.post(BASE, headers=api.auth(ana), json={"nombre": "X"}), 403)
    await problema(await api.get(BASE, headers=api.auth(cliente)), 403)
    pagos = await Equipo.create(nombre="Pagos")
    r = await api.patch(f"{BASE}{pagos.id}/", headers=api.auth(ana), json={"nombre": "Y"})
    await problema(r, 403)
    await problema(await api.delete(f"{BASE}{pagos.id}/", headers=api.auth(ana)), 403)


async def test_duplicate_name_is_409_without_regard_to_case(api: SoporteClient) -> None:
    jefa = await api.usuario("jefa", Rol.ADMIN)
    await Equipo.create(nombre="Pagos")
    tecnico = await Equipo.create(nombre="Técnico")
    body = await problema(
        await api.post(BASE, headers=api.auth(jefa), json={"nombre": "PAGOS"}), 409
    )
    assert body["detail"] == "Ya existe un equipo llamado «PAGOS»."
    r = await api.patch(f"{BASE}{tecnico.id}/", headers=api.auth(jefa), json={"nombre": "pagos"})
    await problema(r, 409)
    # Its own name (another case) is no conflict.
    r = await api.patch(f"{BASE}{tecnico.id}/", headers=api.auth(jefa), json={"nombre": "TÉCNICO"})
    assert r.status == 200


async def test_members_must_exist_and_be_staff(api: SoporteClient) -> None:
    jefa = await api.usuario("jefa", Rol.ADMIN)
    cliente = await api.usuario("cliente")
    r = await api.post(BASE, headers=api.auth(jefa), json={"nombre": "A", "miembros": [424242]})
    body = await problema(r, 400)
    assert body["errors"]["miembros"] == ["Usuarios desconocidos: 424242."]
    r = await api.post(BASE, headers=api.auth(jefa), json={"nombre": "A", "miembros": [cliente.id]})
    body = await problema(r, 400)
    assert body["errors"]["miembros"] == [
        f"Solo agentes y administradores pueden ser miembros: {cliente.id}."
    ]
    assert not await Equipo.exists(nombre="A")
