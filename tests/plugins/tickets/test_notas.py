"""Internal notes on ``/responder/``: agents only, stored as ``interna``, no effect on the ticket,
and never in a customer's view of the conversation (issue 17, item 1)."""

from __future__ import annotations

import pytest

from core import keys
from core.auth.models import Rol
from plugins.tickets.events import RespuestaCreada, TicketActualizado
from plugins.tickets.models import Estado, Respuesta, Ticket
from tests.plugins.tickets.conftest import bearer, crear, formulario

pytestmark = pytest.mark.plugins("tickets")

NOTA = "El cliente ya pidió reembolso dos veces: revisar con finanzas"
PROHIBIDO = "Solo los agentes pueden escribir notas internas."


def url(ticket_id: int) -> str:
    return f"/api/soporte/tickets/{ticket_id}/responder/"


@pytest.fixture
async def gente(soporte):
    lucia = await soporte.usuario("lucia", nombre="Lucía Fernández")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    diego = await soporte.usuario("diego", Rol.ADMIN)
    return soporte, lucia, carla, diego


async def nota_json(soporte, usuario, ticket_id: int, mensaje: str = NOTA):
    return await soporte.post(
        url(ticket_id), headers=soporte.auth(usuario), json={"mensaje": mensaje, "interna": True}
    )


async def test_un_agente_escribe_una_nota_por_json_y_por_formulario(gente):
    soporte, lucia, carla, diego = gente
    ticket = await crear(soporte, lucia)
    r = await nota_json(soporte, carla, ticket["id"])
    assert r.status == 201, await r.text()
    cuerpo = await r.json()
    assert cuerpo["interna"] is True and cuerpo["mensaje"] == NOTA and cuerpo["canal"] == "TICKET"
    # Multipart, as the console's form sends it (a string field).
    r = await soporte.post(
        url(ticket["id"]),
        headers=bearer(diego),
        data=formulario({"mensaje": "Nota del admin", "interna": "true"}, {}),
    )
    assert r.status == 201, await r.text()
    assert (await r.json())["interna"] is True
    filas = await Respuesta.filter(ticket_id=ticket["id"]).order_by("id")
    assert [(f.mensaje, f.interna) for f in filas] == [(NOTA, True), ("Nota del admin", True)]
    # Without the field (the guide's form) a reply stays public.
    r = await soporte.post(
        url(ticket["id"]), headers=bearer(carla), data=formulario({"mensaje": "Hola"}, {})
    )
    assert (await r.json())["interna"] is False


async def test_un_cliente_no_puede_escribir_notas(gente):
    soporte, lucia, _, _ = gente
    ticket = await crear(soporte, lucia)
    r = await nota_json(soporte, lucia, ticket["id"])
    assert r.status == 403
    assert r.content_type == "application/problem+json"
    assert (await r.json())["detail"] == PROHIBIDO
    r = await soporte.post(
        url(ticket["id"]),
        headers=bearer(lucia),
        data=formulario(
            {"mensaje": "x", "interna": "true"}, {"archivo_0": ("a.txt", b"hola", "text/plain")}
        ),
    )
    assert r.status == 403
    assert await Respuesta.filter(ticket_id=ticket["id"]).count() == 0
    # The file the refused form carried is not left on disk.
    assert not [p for p in soporte.app[keys.SETTINGS].media_dir.rglob("*") if p.is_file()]
    # Someone else's ticket stays a 404: existence does not leak through the 403.
    marta = await soporte.usuario("marta")
    assert (await nota_json(soporte, marta, ticket["id"])).status == 404


async def test_una_nota_no_cambia_nada_del_ticket(gente):
    soporte, lucia, carla, _ = gente
    ticket = await crear(soporte, lucia)
    antes = await Ticket.get(id=ticket["id"])
    assert antes.estado == Estado.ABIERTO and antes.esperando_desde is not None
    soporte.events.clear()
    assert (await nota_json(soporte, carla, ticket["id"])).status == 201
    despues = await Ticket.get(id=ticket["id"])
    # No state move, the escalation clock still runs, no first answer, and no update the
    # customer could notice in their list.
    assert despues.estado == Estado.ABIERTO
    assert despues.esperando_desde == antes.esperando_desde
    assert despues.primera_respuesta_agente is None
    assert despues.segundos_primera_respuesta is None
    assert despues.fecha_actualizacion == antes.fecha_actualizacion
    assert not [e for e in soporte.events if isinstance(e, TicketActualizado)]
    [evento] = [e for e in soporte.events if isinstance(e, RespuestaCreada)]
    assert evento.interna is True and evento.mensaje == NOTA
    # An agent's public reply afterwards is still the first answer, and moves the state.
    r = await soporte.post(url(ticket["id"]), headers=soporte.auth(carla), json={"mensaje": "Hola"})
    assert r.status == 201
    fila = await Ticket.get(id=ticket["id"])
    assert fila.estado == Estado.EN_PROGRESO and fila.primera_respuesta_agente is not None
    assert fila.esperando_desde is None


async def test_una_nota_en_un_ticket_resuelto_no_lo_reabre(gente):
    soporte, lucia, carla, _ = gente
    ticket = await crear(soporte, lucia)
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket['id']}/",
        headers=soporte.auth(carla),
        json={"estado": "RESUELTO"},
    )
    assert r.status == 200
    assert (await nota_json(soporte, carla, ticket["id"])).status == 201
    fila = await Ticket.get(id=ticket["id"])
    assert fila.estado == Estado.RESUELTO and fila.esperando_desde is None


async def test_el_detalle_del_cliente_no_contiene_notas(gente):
    soporte, lucia, carla, diego = gente
    ticket = await crear(soporte, lucia)
    r = await soporte.post(
        url(ticket["id"]), headers=soporte.auth(carla), json={"mensaje": "Lo revisamos"}
    )
    assert r.status == 201
    assert (await nota_json(soporte, carla, ticket["id"])).status == 201
    r = await soporte.post(url(ticket["id"]), headers=soporte.auth(lucia), json={"mensaje": "Ok"})
    assert r.status == 201

    r = await soporte.get(f"/api/soporte/tickets/{ticket['id']}/", headers=soporte.auth(lucia))
    texto = await r.text()
    assert NOTA not in texto
    detalle = await r.json()
    assert [(x["mensaje"], x["interna"]) for x in detalle["respuestas"]] == [
        ("Lo revisamos", False),
        ("Ok", False),
    ]
    for agente in (carla, diego):
        r = await soporte.get(f"/api/soporte/tickets/{ticket['id']}/", headers=soporte.auth(agente))
        detalle = await r.json()
        assert [(x["mensaje"], x["interna"]) for x in detalle["respuestas"]] == [
            ("Lo revisamos", False),
            (NOTA, True),
            ("Ok", False),
        ]


async def test_una_nota_vacia_o_en_un_ticket_cerrado_se_rechaza(gente):
    """A blank note is refused like a blank reply; a note on a closed ticket is a 409."""
    soporte, lucia, carla, _ = gente
    ticket = await crear(soporte, lucia)
    assert (await nota_json(soporte, carla, ticket["id"], "   ")).status == 400
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket['id']}/",
        headers=soporte.auth(carla),
        json={"estado": "CERRADO"},
    )
    assert r.status == 200
    assert (await nota_json(soporte, carla, ticket["id"])).status == 409
