"""``/api/soporte/usuarios/``: agents search users; customers are refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.auth.models import Equipo, Rol

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
