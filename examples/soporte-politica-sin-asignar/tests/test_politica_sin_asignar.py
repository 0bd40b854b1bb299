"""The installed example plugin: found through its entry point, used by a rule, escalating.

Written as a third party would: only ``core``'s testing kit (the ``soporte`` fixture, loaded
by soporte's pytest plugin) and the public faces (``api``) of the plugins it builds on — no
ORM class: passes run at instants counted from the ticket's real creation, so no test needs to
backdate anything.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from soporte_politica_sin_asignar.politica import SinAsignar

from core import keys
from core.auth.models import Rol
from plugins.escalamiento.api import REGISTRO, escalar
from plugins.tickets import api as tickets

if TYPE_CHECKING:
    from core.testing import SoporteClient

pytestmark = pytest.mark.plugins("tickets", "escalamiento", "politica_sin_asignar")


async def _pasada(soporte: SoporteClient, horas: float) -> list[tuple[int, int]]:
    """One escalation pass ``horas`` after the latest ticket's creation; (ticket id, level) of
    what it applied."""
    app = soporte.app
    ticket = await tickets.obtener(await tickets.ultimo_id())
    assert ticket is not None
    cuando = ticket.fecha_creacion + timedelta(hours=horas)
    return [
        (e.ticket_id, e.nivel) for e in await escalar(app[keys.EVENTS], app[REGISTRO], ahora=cuando)
    ]


async def test_la_politica_se_registra_por_su_entry_point(soporte: SoporteClient) -> None:
    agente = await soporte.usuario("agente", Rol.AGENTE)
    r = await soporte.get("/api/soporte/escalamiento/politicas/", headers=soporte.auth(agente))
    assert r.status == 200
    # With its parameters' schema (none: an empty, closed object), as the rule editor reads it.
    assert {
        "nombre": "sin_asignar",
        "descripcion": SinAsignar.description,
        "plugin": "politica_sin_asignar",
        "parametros": {"type": "object", "properties": {}, "additionalProperties": False},
    } in await r.json()
    info = {p["name"]: p for p in soporte.app[keys.PLUGINS].describe()}
    assert info["politica_sin_asignar"]["distribution"] == "soporte-politica-sin-asignar"


async def test_una_regla_con_sin_asignar_escala_los_tickets_sin_agente(
    soporte: SoporteClient,
) -> None:
    admin = await soporte.usuario("admin", Rol.ADMIN)
    agente = await soporte.usuario("agente", Rol.AGENTE)
    cliente = await soporte.usuario("cliente")
    r = await soporte.post(
        "/api/soporte/escalamiento/reglas/",
        json={
            "nombre": "Nadie lo ha cogido",
            "politica": "sin_asignar",
            "tiempo_respuesta_maximo": 1,
            "prioridades_escalamiento": ["ALTA", "MEDIA", "BAJA"],
            "niveles_escalamiento": 2,
            "notificaciones_automaticas": False,
        },
        headers=soporte.auth(admin),
    )
    assert r.status == 201, await r.text()

    async def abrir() -> int:
        r = await soporte.post(
            "/api/soporte/tickets/",
            json={"asunto": "Cobro duplicado", "descripcion": "…", "categoria": "PAGOS"},
            headers=soporte.auth(cliente),
        )
        assert r.status == 201, await r.text()
        return (await r.json())["id"]

    ticket = await abrir()
    # An agent's reply does not matter to this policy: only an assignment does.
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket}/responder/",
        json={"mensaje": "Lo miramos"},
        headers=soporte.auth(agente),
    )
    assert r.status == 201
    assert await _pasada(soporte, 0.9) == []
    assert await _pasada(soporte, 1) == [(ticket, 1)]
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket}/",
        json={"agente_asignado": agente.id},
        headers=soporte.auth(agente),
    )
    assert r.status == 200, await r.text()
    assert await _pasada(soporte, 5) == []
    visto = await tickets.obtener(ticket)
    assert visto is not None and visto.nivel_escalamiento == 1

    otro = await abrir()
    assert await _pasada(soporte, 5) == [(otro, 1), (otro, 2)]
