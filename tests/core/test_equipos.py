"""The team read functions of core.auth.equipos: active teams only, working members only,
routing of a category to the lowest active team id."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.auth import equipos
from core.auth.models import Equipo, Rol

if TYPE_CHECKING:
    from core.testing import SoporteClient


async def test_equipos_de_lists_only_active_teams(api: SoporteClient) -> None:
    ana = await api.usuario("ana", Rol.AGENTE)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    viejo = await Equipo.create(nombre="Viejo", activo=False)
    tecnico = await Equipo.create(nombre="Técnico")
    for equipo in (tecnico, viejo, pagos):
        await equipo.miembros.add(ana)
    assert await equipos.equipos_de(ana.id) == [pagos.id, tecnico.id]
    assert await equipos.equipos_de(ana.id + 1000) == []


async def test_miembros_are_active_agents_and_admins(api: SoporteClient) -> None:
    ana = await api.usuario("ana", Rol.AGENTE)
    jefa = await api.usuario("jefa", Rol.ADMIN)
    baja = await api.usuario("baja", Rol.AGENTE)
    baja.activo = False
    await baja.save()
    cliente = await api.usuario("cliente")
    pagos = await Equipo.create(nombre="Pagos")
    await pagos.miembros.add(ana, jefa, baja, cliente)
    assert await equipos.miembros(pagos.id) == [ana.id, jefa.id]
    pagos.activo = False
    await pagos.save()
    assert await equipos.miembros(pagos.id) == []
    assert await equipos.miembros(pagos.id + 1000) == []


async def test_es_miembro(api: SoporteClient) -> None:
    ana = await api.usuario("ana", Rol.AGENTE)
    luis = await api.usuario("luis", Rol.AGENTE)
    pagos = await Equipo.create(nombre="Pagos")
    await pagos.miembros.add(ana)
    assert await equipos.es_miembro(ana.id, pagos.id)
    assert not await equipos.es_miembro(luis.id, pagos.id)
    pagos.activo = False
    await pagos.save()
    assert not await equipos.es_miembro(ana.id, pagos.id)


async def test_equipo_para_categoria_lowest_active_exact_match(api: SoporteClient) -> None:
    assert await equipos.equipo_para_categoria("PAGOS") is None
    inactivo = await Equipo.create(nombre="Inactivo", categorias=["PAGOS"], activo=False)
    primero = await Equipo.create(nombre="Cobros", categorias=["RESERVAS", "PAGOS"])
    await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    await Equipo.create(nombre="Prefijo", categorias=["PAGOS_EXTRA"])
    assert inactivo.id < primero.id
    assert await equipos.equipo_para_categoria("PAGOS") == primero.id
    assert await equipos.equipo_para_categoria("RESERVAS") == primero.id
    assert await equipos.equipo_para_categoria("PAGO") is None  # no prefix match
    assert await equipos.equipo_para_categoria("TECNICO") is None


async def test_equipos_por_usuario_in_one_batch(api: SoporteClient) -> None:
    ana = await api.usuario("ana", Rol.AGENTE)
    luis = await api.usuario("luis", Rol.AGENTE)
    a = await Equipo.create(nombre="A")
    b = await Equipo.create(nombre="B")
    await a.miembros.add(ana, luis)
    await b.miembros.add(ana)
    assert await equipos.equipos_por_usuario([luis.id, ana.id, 99999]) == {
        ana.id: [a.id, b.id],
        luis.id: [a.id],
        99999: [],
    }
