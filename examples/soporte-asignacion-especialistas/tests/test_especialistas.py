"""The installed example plugin ``especialistas``: found through its entry point, named by
``SOPORTE_ASIGNACION_POLICY``, sending urgent tickets to the specialists and the others to the
rest of the team.

Written as a third party would: only soporte's testing kit (the ``start_app`` fixture, loaded
by soporte's pytest plugin) and the public faces (``api``) of the plugins it builds on.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from soporte_asignacion_especialistas import Especialistas

from core.auth.models import Rol
from plugins.asignacion.api import ASIGNADOR, REGISTRO
from plugins.tickets import api as tickets

if TYPE_CHECKING:
    from core.auth.models import Usuario
    from core.testing import SoporteClient

PLUGINS = ["tickets", "asignacion", "especialistas"]


@pytest.fixture
async def soporte_especialistas(start_app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An app whose policy is ``especialistas``, with Ana as the specialist (from the
    environment, as an operator would set it)."""
    monkeypatch.setenv("SOPORTE_ESPECIALISTAS_AGENTES", "ana")
    return await start_app(
        PLUGINS,
        plugin_settings={"asignacion": {"policy": "especialistas", "sweep_seconds": 0}},
        rate_tickets="1000/minute",
    )


async def _ticket(s: SoporteClient, cliente: Usuario, prioridad: str) -> int:
    r = await s.post(
        "/api/soporte/tickets/",
        json={
            "asunto": "Ayuda",
            "descripcion": "No funciona",
            "categoria": "TECNICO",
            "prioridad": prioridad,
        },
        headers=s.auth(cliente),
    )
    assert r.status == 201, await r.text()
    return int((await r.json())["id"])


async def _agente(ticket_id: int) -> int | None:
    ticket = await tickets.obtener(ticket_id)
    assert ticket is not None
    return ticket.agente_asignado_id


async def test_la_politica_se_registra_con_sus_ajustes(soporte_especialistas: Any) -> None:
    registrada = soporte_especialistas.app[REGISTRO].politicas["especialistas"]
    assert registrada.plugin == "especialistas"
    assert isinstance(registrada.politica, Especialistas)
    assert registrada.politica.agentes == {"ana"}
    assert registrada.politica.prioridades == {"ALTA"}


async def test_urgentes_al_especialista_y_el_resto_al_equipo(soporte_especialistas: Any) -> None:
    s = soporte_especialistas
    ana = await s.usuario("ana", Rol.AGENTE)
    beto = await s.usuario("beto", Rol.AGENTE)
    carla = await s.usuario("carla", Rol.AGENTE)
    cliente = await s.usuario("cliente")
    urgentes = [await _ticket(s, cliente, "ALTA") for _ in range(3)]
    normales = [await _ticket(s, cliente, "MEDIA") for _ in range(4)]
    assert {await _agente(t) for t in urgentes} == {ana.id}
    assert Counter([await _agente(t) for t in normales]) == {beto.id: 2, carla.id: 2}


async def test_sin_especialista_disponible_cualquiera(soporte_especialistas: Any) -> None:
    s = soporte_especialistas
    admin = await s.usuario("jefa", Rol.ADMIN)
    ana = await s.usuario("ana", Rol.AGENTE)
    beto = await s.usuario("beto", Rol.AGENTE)
    cliente = await s.usuario("cliente")
    for usuario, activo in ((admin, False), (ana, False)):  # both out of automatic assignment
        r = await s.patch(
            f"/api/soporte/asignacion/agentes/{usuario.id}/",
            json={"activo": activo},
            headers=s.auth(admin),
        )
        assert r.status == 200
    urgente = await _ticket(s, cliente, "ALTA")
    assert await _agente(urgente) == beto.id
    assert (await s.app[ASIGNADOR].barrer()).asignados == 0
