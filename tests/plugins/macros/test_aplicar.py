"""Rendering, preview and applying macros: variables and fallbacks, one transaction for the
reply and the field changes (or nothing), internal notes, the bulk action."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from core import keys
from core.api.errors import BadRequest, NotFound
from core.tags_models import Etiqueta
from plugins.macros import plantillas, service
from plugins.macros.models import Macro
from plugins.tickets.events import RespuestaCreada, TicketActualizado
from plugins.tickets.models import Respuesta, Ticket

if TYPE_CHECKING:
    from tests.plugins.macros.conftest import Gente

pytestmark = pytest.mark.plugins("tickets", "macros")

BASE = "/api/soporte/macros/"

PLANTILLA = (
    "Hola {{ cliente.nombre | default('cliente') }} ({{ cliente.email }}):\n"
    "Tu ticket {{ ticket.numero }} «{{ ticket.asunto }}» está {{ ticket.estado }}, "
    "prioridad {{ ticket.prioridad }}.\n"
    "{{ agente.nombre }}, {{ hoy }}"
)


async def etiquetas_de(ticket_id: int) -> list[str]:
    ticket = await Ticket.get(id=ticket_id)
    return sorted(e.nombre for e in await ticket.etiquetas.all())


def test_dates_are_written_in_spanish() -> None:
    assert plantillas.fecha_larga(datetime(2026, 12, 3)) == "3 de diciembre de 2026"
    assert plantillas.fecha_larga(datetime(2027, 1, 31)) == "31 de enero de 2027"
    contexto = plantillas.variables(
        ticket={},
        cliente={},
        agente={},
        ahora=datetime(2026, 12, 3, 23, 30, tzinfo=UTC),
        zona=ZoneInfo("Europe/Madrid"),
    )
    # In the configured zone: already the 4th in Madrid.
    assert contexto["hoy"] == "4 de diciembre de 2026"
    assert contexto["ahora"] == "4 de diciembre de 2026, 00:30"


def test_missing_and_empty_values_fall_back() -> None:
    contexto = plantillas.variables(
        ticket={"numero": "TK-000001"},
        cliente={"nombre": "", "email": None},
        agente={},
        ahora=datetime.now(UTC),
        zona=ZoneInfo("UTC"),
    )
    texto = (
        "{{ cliente.nombre | default('cliente') }}|{{ cliente.email | d('sin correo') }}|"
        "{{ ticket.nada.mas }}|{{ agente.nombre }}|{{ ticket.numero | default('?') }}"
    )
    assert plantillas.renderizar(texto, contexto) == "cliente|sin correo|||TK-000001"


def test_render_errors_and_oversized_messages_are_400s() -> None:
    contexto = plantillas.variables(
        ticket={"numero": "TK-000001"}, cliente={}, agente={}, ahora=datetime.now(UTC),
        zona=ZoneInfo("UTC"),
    )  # fmt: skip
    with pytest.raises(BadRequest) as fallo:
        plantillas.renderizar("{{ ticket.numero + 1 }}", contexto)
    assert "no se pudo generar" in fallo.value.errors["mensaje"][0]
    largo = plantillas.variables(
        ticket={"asunto": "a" * 200}, cliente={}, agente={}, ahora=datetime.now(UTC),
        zona=ZoneInfo("UTC"),
    )  # fmt: skip
    assert len(plantillas.renderizar("{{ ticket.asunto }}" * 50, largo)) == 10_000
    with pytest.raises(BadRequest) as fallo:
        plantillas.renderizar("{{ ticket.asunto }}" * 51, largo)
    assert "10000" in fallo.value.errors["mensaje"][0]
    with pytest.raises(BadRequest) as fallo:
        plantillas.renderizar("{{ cliente.nombre }}  ", contexto)
    assert "vacío" in fallo.value.errors["mensaje"][0]
    # The sandbox still guards what a template could reach: unsafe attributes are undefined.
    assert plantillas.renderizar("x{{ ticket.__class__.__mro__ }}", contexto) == "x"


async def test_the_preview_renders_the_variables_for_the_ticket_and_writes_nothing(
    gente: Gente,
) -> None:
    g = gente
    ticket = await g.ticket()
    macro = await g.macro(mensaje=PLANTILLA, acciones={"prioridad": "ALTA"})
    r = await g.api(
        "POST", f"{BASE}{macro['id']}/vista-previa/", g.carla, json={"ticket_id": ticket["id"]}
    )
    assert r.status == 200, await r.text()
    vista = await r.json()
    hoy = plantillas.fecha_larga(datetime.now(UTC))
    assert vista["mensaje"] == (
        "Hola Ana Pérez (ana@example.test):\n"
        f"Tu ticket {ticket['numero']} «No puedo descargar la factura» está ABIERTO, "
        "prioridad MEDIA.\n"
        f"Carla Ruiz, {hoy}"
    )
    assert vista["interna"] is False
    assert vista["acciones"] == {"prioridad": "ALTA"}
    # A customer without a name gets the fallback.
    otro = await g.ticket(g.anonima)
    r = await g.api(
        "POST", f"{BASE}{macro['id']}/vista-previa/", g.carla, json={"ticket_id": otro["id"]}
    )
    assert (await r.json())["mensaje"].startswith("Hola cliente (anonima@example.test):")
    # Nothing was written.
    assert not await Respuesta.exists()
    assert (await Ticket.get(id=ticket["id"])).prioridad == "MEDIA"
    assert (await Macro.get(id=macro["id"])).usos == 0


async def test_the_preview_needs_a_visible_ticket_and_a_renderable_template(gente: Gente) -> None:
    g = gente
    macro = await g.macro(mensaje="{{ ticket.numero + 1 }}")
    ruta = f"{BASE}{macro['id']}/vista-previa/"
    r = await g.api("POST", ruta, g.carla, json={"ticket_id": 1_999_999})
    assert r.status == 404
    ticket = await g.ticket()
    r = await g.api("POST", ruta, g.carla, json={"ticket_id": ticket["id"]})
    assert r.status == 400
    assert "no se pudo generar" in (await r.json())["errors"]["mensaje"][0]


async def test_team_visibility_hides_foreign_tickets_from_preview_and_apply(
    start_app: object,
) -> None:
    """With SOPORTE_TEAM_VISIBILITY on, a ticket of a team the agent is not in is a 404."""
    from core.auth.models import Equipo, Rol

    s = await start_app(["tickets", "macros"], team_visibility=True)  # type: ignore[operator]
    cliente = await s.usuario("ana")
    agente = await s.usuario("luis", Rol.AGENTE)
    equipo = await Equipo.create(nombre="Ventas", categorias=["PAGOS"])
    r = await s.post(
        "/api/soporte/tickets/",
        json={"asunto": "A", "descripcion": "B", "categoria": "PAGOS"},
        headers=s.auth(cliente),
    )
    ticket = await r.json()
    assert (await Ticket.get(id=ticket["id"])).equipo_id == equipo.id
    r = await s.post(BASE, json={"nombre": "N", "mensaje": "Hola"}, headers=s.auth(agente))
    macro = await r.json()
    for accion in ("vista-previa", "aplicar"):
        r = await s.post(
            f"{BASE}{macro['id']}/{accion}/",
            json={"ticket_id": ticket["id"]},
            headers=s.auth(agente),
        )
        assert r.status == 404, accion
    assert not await Respuesta.exists()


async def test_applying_replies_and_changes_fields_and_tags_together(gente: Gente) -> None:
    g = gente
    ticket = await g.ticket()
    macro = await g.macro(
        mensaje="Hola {{ cliente.nombre }}, ya está. {{ agente.nombre }}",
        acciones={
            "estado": "RESUELTO",
            "prioridad": "ALTA",
            "equipo": g.pagos.id,
            "agente_asignado": g.carla.id,
            "etiquetas_agregar": ["Factura", "Resuelto por macro"],
        },
    )
    r = await g.api(
        "POST", f"{BASE}{macro['id']}/aplicar/", g.carla, json={"ticket_id": ticket["id"]}
    )
    assert r.status == 200, await r.text()
    hecho = await r.json()
    assert hecho["macro"] == macro["id"]
    assert hecho["respuesta"]["mensaje"] == "Hola Ana Pérez, ya está. Carla Ruiz"
    assert hecho["respuesta"]["interna"] is False
    assert hecho["respuesta"]["autor_id"] == g.carla.id
    assert hecho["ticket"]["estado"] == "RESUELTO"
    assert hecho["ticket"]["prioridad"] == "ALTA"
    assert hecho["ticket"]["equipo"] == g.pagos.id
    assert hecho["ticket"]["agente_asignado"] == g.carla.id

    fila = await Ticket.get(id=ticket["id"])
    assert (fila.estado, fila.prioridad, fila.equipo_id) == ("RESUELTO", "ALTA", g.pagos.id)
    assert await etiquetas_de(ticket["id"]) == ["Factura", "Resuelto por macro"]
    [respuesta] = await Respuesta.filter(ticket_id=ticket["id"])
    assert respuesta.mensaje == hecho["respuesta"]["mensaje"]
    assert (await Macro.get(id=macro["id"])).usos == 1
    # The customer sees the reply; the history has the changes, as one PATCH would record them.
    detalle = await g.ok("GET", f"/api/soporte/tickets/{ticket['id']}/", g.ana)
    assert [m["mensaje"] for m in detalle["respuestas"]] == [respuesta.mensaje]
    cambios = [e.cambios for e in g.s.events if isinstance(e, TicketActualizado)]
    assert {"estado": ["ABIERTO", "EN_PROGRESO"]} in cambios  # the reply's own move
    [patch] = [c for c in cambios if "prioridad" in c]
    assert patch["estado"] == ["EN_PROGRESO", "RESUELTO"]
    assert patch["etiquetas"] == [[], ["Factura", "Resuelto por macro"]]
    # Applying again counts again.
    await g.ok("POST", f"{BASE}{macro['id']}/aplicar/", g.carla, json={"ticket_id": ticket["id"]})
    assert (await Macro.get(id=macro["id"])).usos == 2


async def test_an_illegal_state_move_rolls_back_the_note_and_the_tags(gente: Gente) -> None:
    g = gente
    ticket = await g.ticket()
    await g.ok(
        "PATCH", f"/api/soporte/tickets/{ticket['id']}/", g.carla, json={"estado": "RESUELTO"}
    )
    eventos_antes = len(g.s.events)
    # A note does not move the state: RESUELTO → ABIERTO is then illegal (409).
    macro = await g.macro(
        mensaje="Reabrir",
        interna=True,
        acciones={"etiquetas_agregar": ["Reabierto"], "estado": "ABIERTO"},
    )
    r = await g.api(
        "POST", f"{BASE}{macro['id']}/aplicar/", g.carla, json={"ticket_id": ticket["id"]}
    )
    assert r.status == 409, await r.text()
    assert not await Respuesta.filter(ticket_id=ticket["id"]).exists()
    assert await etiquetas_de(ticket["id"]) == []
    assert not await Etiqueta.filter(nombre="Reabierto").exists()
    assert (await Ticket.get(id=ticket["id"])).estado == "RESUELTO"
    assert (await Macro.get(id=macro["id"])).usos == 0
    assert g.s.events[eventos_antes:] == []  # no event of the rolled-back work was published


async def test_a_failing_field_change_rolls_back_the_public_reply(gente: Gente) -> None:
    g = gente
    ticket = await g.ticket()
    macro = await g.macro(mensaje="Te paso con Luis", acciones={"agente_asignado": g.luis.id})
    g.luis.activo = False  # Luis left after the macro was written
    await g.luis.save()
    r = await g.api(
        "POST", f"{BASE}{macro['id']}/aplicar/", g.carla, json={"ticket_id": ticket["id"]}
    )
    assert r.status == 400
    assert "agente_asignado" in (await r.json())["errors"]
    fila = await Ticket.get(id=ticket["id"])
    assert not await Respuesta.exists()
    assert fila.estado == "ABIERTO"  # the reply's move to EN_PROGRESO is gone with it
    assert fila.primera_respuesta_agente is None
    assert not any(isinstance(e, RespuestaCreada) for e in g.s.events)


async def test_an_internal_note_macro_is_never_shown_to_the_customer(gente: Gente) -> None:
    g = gente
    ticket = await g.ticket()
    macro = await g.macro(mensaje="Nota: cliente VIP", interna=True)
    hecho = await g.ok(
        "POST", f"{BASE}{macro['id']}/aplicar/", g.carla, json={"ticket_id": ticket["id"]}
    )
    assert hecho["respuesta"]["interna"] is True
    assert hecho["ticket"]["estado"] == "ABIERTO"  # a note moves nothing
    cliente = await g.ok("GET", f"/api/soporte/tickets/{ticket['id']}/", g.ana)
    assert cliente["respuestas"] == []
    agente = await g.ok("GET", f"/api/soporte/tickets/{ticket['id']}/", g.carla)
    assert [(m["mensaje"], m["interna"]) for m in agente["respuestas"]] == [
        ("Nota: cliente VIP", True)
    ]


async def test_an_inactive_macro_or_a_render_error_applies_nothing(gente: Gente) -> None:
    g = gente
    ticket = await g.ticket()
    inactiva = await g.macro(nombre="Vieja", activa=False)
    r = await g.api(
        "POST", f"{BASE}{inactiva['id']}/aplicar/", g.carla, json={"ticket_id": ticket["id"]}
    )
    assert r.status == 409
    rota = await g.macro(nombre="Rota", mensaje="{{ ticket.numero + 1 }}")
    r = await g.api(
        "POST", f"{BASE}{rota['id']}/aplicar/", g.carla, json={"ticket_id": ticket["id"]}
    )
    assert r.status == 400
    r = await g.api("POST", f"{BASE}{rota['id']}/aplicar/", g.carla, json={"ticket_id": 1_999_999})
    assert r.status == 404
    assert not await Respuesta.exists()


async def test_the_bulk_action_applies_a_visible_macro_to_one_ticket(gente: Gente) -> None:
    g = gente
    bus = g.s.app[keys.EVENTS]
    host = g.s.app[keys.PLUGINS]
    acciones = {
        nombre: accion
        for plugin, respuesta in host.call_plugin_hook("register_ticket_bulk_actions")
        if plugin == "macros"
        for nombre, accion in respuesta.items()
    }
    accion = acciones["macro"]
    assert accion is service.accion_lote
    uno, dos = await g.ticket(), await g.ticket()
    macro = await g.macro(mensaje="En lote {{ ticket.numero }}", acciones={"prioridad": "BAJA"})
    for ticket in (uno, dos):
        await accion(bus, g.carla, ticket["id"], macro["id"])
    for ticket in (uno, dos):
        [respuesta] = await Respuesta.filter(ticket_id=ticket["id"])
        assert respuesta.mensaje == f"En lote {ticket['numero']}"
        assert (await Ticket.get(id=ticket["id"])).prioridad == "BAJA"
    assert (await Macro.get(id=macro["id"])).usos == 2
    # Carla's personal macro is not Luis's: a 404 for that ticket.
    with pytest.raises(NotFound):
        await accion(bus, g.luis, uno["id"], macro["id"])
    for valor in ("1", None, True, 0, [macro["id"]]):
        with pytest.raises(BadRequest):
            await accion(bus, g.carla, uno["id"], valor)
    assert await Respuesta.filter(ticket_id=uno["id"]).count() == 1


def test_the_timezone_setting_sets_the_zone_of_the_dates(make_app: Any) -> None:
    from core.plugins import PluginError

    make_app(["tickets", "macros"], plugin_settings={"macros": {"timezone": "America/Bogota"}})
    assert service.zona() == ZoneInfo("America/Bogota")
    with pytest.raises(PluginError, match="timezone"):
        make_app(["tickets", "macros"], plugin_settings={"macros": {"timezone": "Marte/Olimpo"}})
    make_app(["tickets", "macros"])  # back to the default for the tests that follow
    assert service.zona() == ZoneInfo("UTC")


async def test_a_macro_through_the_bulk_endpoint(gente: Gente) -> None:
    # End to end: POST /api/soporte/tickets/lote/ with {"macro": id} replies on each selected
    # ticket with the macro rendered for it and applies its fields; a ticket the macro cannot
    # apply to (closed) is that ticket's 409 and rolls back alone.
    g = gente
    uno, dos, cerrado = await g.ticket(), await g.ticket(), await g.ticket()
    await g.ok(
        "PATCH", f"/api/soporte/tickets/{cerrado['id']}/", g.carla, json={"estado": "CERRADO"}
    )
    macro = await g.macro(
        mensaje="Hola {{ cliente.nombre }}, su {{ ticket.numero }}",
        acciones={"etiquetas_agregar": ["Macro en lote"]},
    )
    body = await g.ok(
        "POST",
        "/api/soporte/tickets/lote/",
        g.carla,
        json={
            "ids": [uno["id"], cerrado["id"], dos["id"]],
            "acciones": {"prioridad": "BAJA", "macro": macro["id"]},
        },
    )
    por_id = {r["id"]: r["estado"] for r in body["resultados"]}
    assert por_id == {uno["id"]: 200, dos["id"]: 200, cerrado["id"]: 409}
    for ticket in (uno, dos):
        [respuesta] = await Respuesta.filter(ticket_id=ticket["id"])
        assert respuesta.mensaje == f"Hola Ana Pérez, su {ticket['numero']}"
        assert await etiquetas_de(ticket["id"]) == ["Macro en lote"]
        assert (await Ticket.get(id=ticket["id"])).prioridad == "BAJA"
    assert not await Respuesta.filter(ticket_id=cerrado["id"]).exists()
    assert await etiquetas_de(cerrado["id"]) == []
    assert (await Macro.get(id=macro["id"])).usos == 2
    # A macro Luis cannot see is a 404 for each ticket, and nothing changes.
    body = await g.ok(
        "POST",
        "/api/soporte/tickets/lote/",
        g.luis,
        json={"ids": [uno["id"]], "acciones": {"macro": macro["id"]}},
    )
    assert [r["estado"] for r in body["resultados"]] == [404]
    assert await Respuesta.filter(ticket_id=uno["id"]).count() == 1
