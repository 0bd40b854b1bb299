"""``/api/soporte/usuarios/``: agents search users; customers are refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.auth.models import Equipo, Rol, Token, TokenCuenta, Usuario
from core.outbox_models import Envio

if TYPE_CHECKING:
    from core.testing import SoporteClient

BASE = "/api/soporte/usuarios/"


async def test_customers_may_not_search_users(api: SoporteClient) -> None:
    cliente = await api.usuario("cliente")
    r = await api.get(BASE, headers=api.auth(cliente))
    assert r.status == 403
    r = await api.get(BASE)
    assert r.status == 401


async def test_agents_search_by_username_name_or_email(api: SoporteClient) -> None:
    ana = await api.usuario("ana", Rol.AGENTE, nombre="Ana Pérez")
    await api.usuario("luis", Rol.AGENTE, nombre="Luis Gómez")
    carla = await api.usuario("carla", nombre="Carla Ruiz")
    pagos = await Equipo.create(nombre="Pagos")
    await pagos.miembros.add(ana)

    async def buscar(**params: str) -> list[str]:
        r = await api.get(BASE, headers=api.auth(ana), params=params)
        assert r.status == 200, await r.text()
        body = await r.json()
        assert body["count"] == len(body["results"])
        return [u["username"] for u in body["results"]]

    assert await buscar() == ["ana", "carla", "luis"]
    assert await buscar(q="LUIS") == ["luis"]  # case-insensitive
    assert await buscar(q="ruiz") == ["carla"]  # by name
    assert await buscar(q="carla@example") == ["carla"]  # by e-mail
    assert await buscar(rol="AGENTE") == ["ana", "luis"]
    assert await buscar(q="a", rol="CLIENTE") == ["carla"]
    r = await api.get(BASE, headers=api.auth(ana), params={"q": "ana"})
    [fila] = (await r.json())["results"]
    assert fila == {
        "id": ana.id,
        "username": "ana",
        "nombre": "Ana Pérez",
        "email": "ana@example.test",
        "rol": "AGENTE",
        "activo": True,
        "equipos": [pagos.id],
    }
    assert carla.id


async def test_search_by_activo_and_pages(api: SoporteClient) -> None:
    ana = await api.usuario("ana", Rol.AGENTE)
    for i in range(3):
        await api.usuario(f"cliente{i}")
    baja = await api.usuario("baja")
    baja.activo = False
    await baja.save()
    r = await api.get(BASE, headers=api.auth(ana), params={"activo": "false"})
    assert [u["username"] for u in (await r.json())["results"]] == ["baja"]
    r = await api.get(BASE, headers=api.auth(ana), params={"q": "cliente", "size": "2"})
    body = await r.json()
    assert body["count"] == 3
    assert [u["username"] for u in body["results"]] == ["cliente0", "cliente1"]
    assert body["next"] is not None


# --- administration (admins) -----------------------------------------------------------------


async def test_admin_creates_a_user_with_teams(api: SoporteClient) -> None:
    jefa = await api.usuario("jefa", Rol.ADMIN)
    pagos = await Equipo.create(nombre="Pagos")
    r = await api.post(
        BASE,
        headers=api.auth(jefa),
        json={
            "username": "nueva",
            "password": "una-clave-bastante-larga",
            "rol": "AGENTE",
            "nombre": "Nueva Agente",
            "email": "nueva@example.test",
            "equipos": [pagos.id],
        },
    )
    assert r.status == 201, await r.text()
    body = await r.json()
    assert body["rol"] == "AGENTE"
    assert body["equipos"] == [pagos.id]
    r = await api.post(
        "/api/auth/token/", json={"username": "nueva", "password": "una-clave-bastante-larga"}
    )
    assert r.status == 200
    r = await api.get(f"{BASE}{body['id']}/", headers=api.auth(jefa))
    assert (await r.json())["equipos"] == [pagos.id]


async def test_a_user_created_without_password_gets_a_link(api: SoporteClient) -> None:
    jefa = await api.usuario("jefa", Rol.ADMIN)
    r = await api.post(
        BASE,
        headers=api.auth(jefa),
        json={"username": "sinclave", "rol": "AGENTE", "email": "sinclave@example.test"},
    )
    assert r.status == 201, await r.text()
    usuario = await Usuario.get(username="sinclave")
    assert await TokenCuenta.filter(usuario_id=usuario.id).count() == 1
    [envio] = await Envio.filter(destino__contains="sinclave@example.test")
    assert "/restablecer/?token=" in envio.payload["text"]
    # Nothing logs in as them until they choose a password.
    r = await api.post("/api/auth/token/", json={"username": "sinclave", "password": "x" * 12})
    assert r.status == 401


async def test_admin_only_and_validation(api: SoporteClient) -> None:
    ana = await api.usuario("ana", Rol.AGENTE)
    jefa = await api.usuario("jefa", Rol.ADMIN)
    cliente = await api.usuario("cliente")
    r = await api.post(BASE, headers=api.auth(ana), json={"username": "x123"})
    assert r.status == 403
    r = await api.get(f"{BASE}{cliente.id}/", headers=api.auth(ana))
    assert r.status == 403
    r = await api.patch(f"{BASE}{cliente.id}/", headers=api.auth(ana), json={"activo": False})
    assert r.status == 403
    r = await api.post(
        BASE, headers=api.auth(jefa), json={"username": "ana", "password": "una-clave-larga-1"}
    )
    assert r.status == 400  # taken
    r = await api.patch(f"{BASE}{cliente.id}/", headers=api.auth(jefa), json={"equipos": [999]})
    assert r.status == 400
    pagos = await Equipo.create(nombre="Pagos")
    r = await api.patch(
        f"{BASE}{cliente.id}/", headers=api.auth(jefa), json={"equipos": [pagos.id]}
    )
    assert r.status == 400  # a customer is in no team
    r = await api.get(f"{BASE}999999/", headers=api.auth(jefa))
    assert r.status == 404


async def test_admin_changes_role_name_email_and_teams(api: SoporteClient) -> None:
    jefa = await api.usuario("jefa", Rol.ADMIN)
    ana = await api.usuario("ana", Rol.AGENTE)
    pagos = await Equipo.create(nombre="Pagos")
    tecnico = await Equipo.create(nombre="Técnico")
    r = await api.patch(
        f"{BASE}{ana.id}/",
        headers=api.auth(jefa),
        json={"nombre": "Ana P.", "email": "ana.p@example.test", "equipos": [tecnico.id, pagos.id]},
    )
    assert r.status == 200, await r.text()
    body = await r.json()
    assert (body["nombre"], body["email"]) == ("Ana P.", "ana.p@example.test")
    assert body["equipos"] == sorted([pagos.id, tecnico.id])
    r = await api.patch(f"{BASE}{ana.id}/", headers=api.auth(jefa), json={"rol": "CLIENTE"})
    body = await r.json()
    assert body["rol"] == "CLIENTE"
    assert body["equipos"] == []  # a customer leaves every team
    r = await api.get("/api/soporte/usuarios/", headers=api.auth(ana))
    assert r.status == 403  # the new role applies at once


async def test_an_admin_may_not_deactivate_or_demote_themself(api: SoporteClient) -> None:
    jefa = await api.usuario("jefa", Rol.ADMIN)
    for cambio in ({"activo": False}, {"rol": "AGENTE"}):
        r = await api.patch(f"{BASE}{jefa.id}/", headers=api.auth(jefa), json=cambio)
        assert r.status == 409, await r.text()
        assert (await r.json())["detail"] == (
            "No puedes desactivarte ni quitarte el rol ADMIN a ti mismo."
        )
    await jefa.refresh_from_db()
    assert jefa.activo and jefa.rol == Rol.ADMIN
    r = await api.patch(f"{BASE}{jefa.id}/", headers=api.auth(jefa), json={"nombre": "Jefa"})
    assert r.status == 200


async def test_deactivation_revokes_the_tokens(api: SoporteClient) -> None:
    jefa = await api.usuario("jefa", Rol.ADMIN)
    ana = await api.usuario("ana", Rol.AGENTE)
    r = await api.patch(f"{BASE}{ana.id}/", headers=api.auth(jefa), json={"activo": False})
    assert r.status == 200
    assert (await r.json())["activo"] is False
    assert await Token.filter(usuario_id=ana.id).count() == 0
    r = await api.get("/api/auth/yo/", headers=api.auth(ana))
    assert r.status == 401
    r = await api.patch(f"{BASE}{ana.id}/", headers=api.auth(jefa), json={"activo": True})
    assert (await r.json())["activo"] is True
