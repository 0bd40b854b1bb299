"""The installed example plugin ``vip``: found through its entry point, named by a rule, and
escalating VIP customers' tickets at half the rule's limit — and nobody else's.

Written as a third party would: only soporte's testing kit (the ``soporte`` fixture, loaded by
soporte's pytest plugin) and the public faces (``api``) of the plugins it builds on. Passes
run at chosen instants (``escalar(..., ahora=...)``), counted from when each ticket really
started waiting: nothing sleeps, and nothing writes to tickets' tables behind its back — except
where a test needs a wait that began in the past (see ``_esperando_desde``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from soporte_escalamiento_vip import ClientesVip, VipSettings

from core import keys
from core.auth.models import Rol
from core.plugin_settings import plugin_settings
from plugins.escalamiento.api import REGISTRO, escalar
from plugins.tickets import api as tickets
from plugins.tickets.models import Ticket  # only to backdate a wait: see _esperando_desde

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from aiohttp import web

    from core.auth.models import Usuario
    from core.testing import SoporteClient

pytestmark = pytest.mark.plugins("tickets", "escalamiento", "vip")

REGLAS = "/api/soporte/escalamiento/reglas/"


TABLA_VIP = '[plugins.vip]\nclientes = ["ana", "luis"]\n'


@pytest.fixture(autouse=True, params=["env", "soporte.toml"])
def clientes_vip(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Ana and Luis are VIP (set before the ``soporte`` fixture starts the app), through
    either source of the plugin's setting ``clientes``: every test runs with each."""
    if request.param == "env":
        monkeypatch.setenv("SOPORTE_VIP_CLIENTES", "ana, luis")
    else:
        monkeypatch.delenv("SOPORTE_VIP_CLIENTES", raising=False)
        monkeypatch.chdir(tmp_path)  # soporte.toml is read from the working directory
        (tmp_path / "soporte.toml").write_text(TABLA_VIP)


async def _regla(soporte: SoporteClient, admin: Usuario, **cambios: Any) -> dict[str, Any]:
    body = {
        "tiempo_respuesta_maximo": 2,
        "prioridades_escalamiento": ["ALTA", "MEDIA", "BAJA"],
        "niveles_escalamiento": 3,
        "notificaciones_automaticas": False,
        **cambios,
    }
    r = await soporte.post(REGLAS, json=body, headers=soporte.auth(admin))
    assert r.status == 201, await r.text()
    return await r.json()


async def _ticket(soporte: SoporteClient, cliente: Usuario) -> int:
    """A ticket opened by ``cliente`` through the API: its customer waits from now on."""
    r = await soporte.post(
        "/api/soporte/tickets/",
        json={"asunto": "Cobro duplicado", "descripcion": "…", "categoria": "PAGOS"},
        headers=soporte.auth(cliente),
    )
    assert r.status == 201, await r.text()
    return int((await r.json())["id"])


async def _esperando(ticket_id: int) -> datetime:
    """Since when the customer of ``ticket_id`` waits, read through tickets' public face."""
    ticket = await tickets.obtener(ticket_id)
    assert ticket is not None and ticket.esperando_desde is not None
    return ticket.esperando_desde


async def _nivel(ticket_id: int) -> int:
    """The ticket's ``nivel_escalamiento``, read through tickets' public face."""
    ticket = await tickets.obtener(ticket_id)
    assert ticket is not None
    return ticket.nivel_escalamiento


async def _esperando_desde(ticket_id: int, cuando: datetime) -> None:
    """Move the start of the ticket's wait back to ``cuando``.

    The ORM, not tickets' face, on purpose: ``esperando_desde`` is tickets' internal state,
    which only its state machine sets — to *now*, when the customer writes — and the face
    offers no command to set it. A wait that began on a chosen past weekday (for business
    hours) cannot be produced any other way.
    """
    await Ticket.filter(id=ticket_id).update(esperando_desde=cuando)


async def _pasada(soporte: SoporteClient, cuando: datetime) -> list[tuple[int, int, str]]:
    """One escalation pass at ``cuando``: (ticket id, level, policy) of what it applied."""
    app = soporte.app
    hechos = await escalar(app[keys.EVENTS], app[REGISTRO], ahora=cuando)
    return [(e.ticket_id, e.nivel, e.politica) for e in hechos]


async def test_la_politica_se_registra_por_su_entry_point(soporte: SoporteClient) -> None:
    agente = await soporte.usuario("agente", Rol.AGENTE)
    r = await soporte.get("/api/soporte/escalamiento/politicas/", headers=soporte.auth(agente))
    assert r.status == 200
    (vip,) = [p for p in await r.json() if p["nombre"] == "clientes_vip"]
    assert vip["descripcion"] == ClientesVip.description
    assert vip["plugin"] == "vip"
    # Its parameter, as the rule editor reads it to render the form.
    assert vip["parametros"]["properties"]["fraccion"] == {
        "default": 0.5,
        "description": "Los clientes VIP escalan tras esta fracción de tiempo_respuesta_maximo.",
        "exclusiveMinimum": 0,
        "maximum": 1,
        "title": "Fracción del tiempo máximo",
        "type": "number",
    }
    info = {p["name"]: p for p in soporte.app[keys.PLUGINS].describe()}
    assert info["vip"]["distribution"] == "soporte-escalamiento-vip"
    assert soporte.app[REGISTRO].politicas["clientes_vip"].politica.vip == ["ana", "luis"]
    assert plugin_settings(soporte.app, "vip", VipSettings).clientes == ["ana", "luis"]


def test_la_variable_gana_a_la_tabla_de_soporte_toml(
    make_app: Callable[..., web.Application], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "soporte.toml").write_text(TABLA_VIP)
    monkeypatch.setenv("SOPORTE_VIP_CLIENTES", "marta")
    app = make_app(["tickets", "escalamiento", "vip"])
    assert plugin_settings(app, "vip", VipSettings).clientes == ["marta"]
    assert app[REGISTRO].politicas["clientes_vip"].politica.vip == ["marta"]


async def test_un_vip_escala_a_la_mitad_del_tiempo_y_los_demas_no(soporte: SoporteClient) -> None:
    admin = await soporte.usuario("admin", Rol.ADMIN)
    ana = await soporte.usuario("ana")  # VIP
    carla = await soporte.usuario("carla")  # not VIP
    vip = await _regla(soporte, admin, politica="clientes_vip", nombre="VIP")
    assert vip["politica"] == "clientes_vip"
    # The usual rule for everybody, with the same limit: 2 hours per level.
    await _regla(soporte, admin, nombre="General")
    de_ana = await _ticket(soporte, ana)
    de_carla = await _ticket(soporte, carla)
    # Count from the later of the two waits (Carla's, a few milliseconds after Ana's): each
    # step below is then reached by both tickets, and Ana's is never a whole minute ahead.
    t0 = max(await _esperando(de_ana), await _esperando(de_carla))

    assert await _pasada(soporte, t0 + timedelta(minutes=59)) == []
    # Half the limit: Ana's ticket reaches level 1 under the VIP rule; Carla's does not.
    assert await _pasada(soporte, t0 + timedelta(hours=1)) == [(de_ana, 1, "clientes_vip")]
    assert await _pasada(soporte, t0 + timedelta(hours=1, minutes=59)) == []
    # The whole limit: Carla's first level (general rule), Ana's second (VIP rule).
    assert await _pasada(soporte, t0 + timedelta(hours=2)) == [
        (de_ana, 2, "clientes_vip"),
        (de_carla, 1, "tiempo_respuesta"),
    ]
    assert await _nivel(de_ana) == 2
    assert await _nivel(de_carla) == 1


async def test_la_fraccion_es_un_parametro_de_cada_regla(soporte: SoporteClient) -> None:
    admin = await soporte.usuario("admin", Rol.ADMIN)
    ana = await soporte.usuario("ana")
    regla = await _regla(soporte, admin, politica="clientes_vip", parametros={"fraccion": 0.25})
    assert regla["parametros"] == {"fraccion": 0.25}
    ticket = await _ticket(soporte, ana)
    t0 = await _esperando(ticket)
    # A quarter of 2 hours: level 1 at 30 minutes, level 2 at one hour.
    assert await _pasada(soporte, t0 + timedelta(minutes=29)) == []
    assert await _pasada(soporte, t0 + timedelta(minutes=30)) == [(ticket, 1, "clientes_vip")]
    assert await _pasada(soporte, t0 + timedelta(hours=1)) == [(ticket, 2, "clientes_vip")]


async def test_una_fraccion_invalida_es_un_400_en_su_campo(soporte: SoporteClient) -> None:
    admin = await soporte.usuario("admin", Rol.ADMIN)
    body = {
        "politica": "clientes_vip",
        "tiempo_respuesta_maximo": 2,
        "prioridades_escalamiento": ["ALTA"],
        "niveles_escalamiento": 1,
        "notificaciones_automaticas": False,
        "parametros": {"fraccion": 2, "mitad": True},
    }
    r = await soporte.post(REGLAS, json=body, headers=soporte.auth(admin))
    assert r.status == 400
    errores = (await r.json())["errors"]
    assert set(errores) == {"parametros.fraccion", "parametros.mitad"}
    assert errores["parametros.mitad"] == ["Campo no permitido."]
    # The default applies when the rule gives none.
    del body["parametros"]
    r = await soporte.post(REGLAS, json=body, headers=soporte.auth(admin))
    assert r.status == 201, await r.text()
    assert (await r.json())["parametros"] == {"fraccion": 0.5}


async def test_la_respuesta_de_un_agente_para_el_reloj_vip(soporte: SoporteClient) -> None:
    admin = await soporte.usuario("admin", Rol.ADMIN)
    agente = await soporte.usuario("agente", Rol.AGENTE)
    luis = await soporte.usuario("luis")
    await _regla(soporte, admin, politica="clientes_vip", tiempo_respuesta_maximo=4)
    ticket = await _ticket(soporte, luis)
    ahora = await _esperando(ticket) + timedelta(hours=3)  # Luis has waited three hours
    assert await _pasada(soporte, ahora) == [(ticket, 1, "clientes_vip")]
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket}/responder/",
        json={"mensaje": "Ya lo miramos"},
        headers=soporte.auth(agente),
    )
    assert r.status == 201, await r.text()
    assert await _pasada(soporte, ahora + timedelta(days=30)) == []


async def test_la_mitad_en_horas_laborables(soporte: SoporteClient) -> None:
    admin = await soporte.usuario("admin", Rol.ADMIN)
    ana = await soporte.usuario("ana")
    madrid = ZoneInfo("Europe/Madrid")
    await _regla(
        soporte,
        admin,
        politica="clientes_vip",
        horario={"zona": "Europe/Madrid", "intervalos": [["09:00", "18:00"]]},  # Monday–Friday
    )
    # Waiting since Friday 17:30: half an hour on Friday, nothing on the weekend.
    ticket = await _ticket(soporte, ana)
    await _esperando_desde(ticket, datetime(2026, 3, 6, 17, 30, tzinfo=madrid))
    assert await _pasada(soporte, datetime(2026, 3, 9, 9, 29, tzinfo=madrid)) == []
    assert await _pasada(soporte, datetime(2026, 3, 9, 9, 30, tzinfo=madrid)) == [
        (ticket, 1, "clientes_vip")
    ]
