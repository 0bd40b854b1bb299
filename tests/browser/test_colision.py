"""Collision in the agent console, in Chromium: two agents on one ticket see each other
viewing and typing; a reply made stale by a newer one asks for confirmation, then is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.async_api import expect

from core.auth.models import Rol
from plugins.tickets.models import Respuesta

if TYPE_CHECKING:
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador


async def test_dos_agentes_se_ven_responder_y_la_respuesta_desactualizada_se_confirma(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    ana = await soporte.usuario("ana", Rol.CLIENTE, nombre="Ana Cliente")
    await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    await soporte.usuario("pedro", Rol.AGENTE, nombre="Pedro Gil")
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(ana),
        json={
            "asunto": "Cobro doble",
            "categoria": "PAGOS",
            "descripcion": "Me cobraron dos veces",
        },
    )
    ticket_id = (await r.json())["id"]

    carla = await navegador.pagina()
    await navegador.entrar(carla, "carla")
    await carla.goto(f"/agente/tickets/{ticket_id}/")
    await expect(carla.locator("#chat-ticket .status")).to_have_text("Conectado")
    pedro = await navegador.pagina()
    await navegador.entrar(pedro, "pedro")
    await pedro.goto(f"/agente/tickets/{ticket_id}/")
    await expect(pedro.locator("#chat-ticket .status")).to_have_text("Conectado")

    # Each sees the other viewing the ticket.
    await expect(carla.locator("#colision-viendo")).to_have_text(
        "Pedro Gil está viendo este ticket"
    )
    await expect(pedro.locator("#colision-viendo")).to_have_text(
        "Carla Ruiz está viendo este ticket"
    )

    # Carla writes a reply: Pedro sees it live, and it goes once she stops.
    await carla.get_by_label("Respuesta", exact=True).press_sequentially("Hola Ana")
    await expect(pedro.locator("#colision-escribiendo")).to_have_text(
        "Carla Ruiz está respondiendo…"
    )
    await expect(pedro.locator("#colision-escribiendo")).to_be_hidden()

    # A reply this page never got (its socket did not carry it; stored directly): Pedro's
    # answer is stale. He is shown the newer reply and asked to confirm.
    await Respuesta.create(ticket_id=ticket_id, autor=ana, mensaje="Ya se solucionó, gracias")
    await pedro.get_by_label("Respuesta", exact=True).fill("Le devolvemos el cobro hoy.")
    await pedro.get_by_role("button", name="Enviar Respuesta").click()
    confirmar = pedro.locator("#colision-confirmar")
    await expect(confirmar).to_be_visible()
    await expect(confirmar).to_contain_text("Ana Cliente respondió: «Ya se solucionó, gracias»")
    await expect(pedro.locator("#conversacion")).to_contain_text("Ya se solucionó, gracias")
    assert await Respuesta.filter(ticket_id=ticket_id, autor__username="pedro").count() == 0
    # Chromium logs the expected 409 as a failed resource: that one is no page error.
    esperado = [e for e in navegador.errores if "status of 409" in e]
    assert len(esperado) == 1
    navegador.errores.remove(esperado[0])

    await pedro.get_by_role("button", name="Enviar de todos modos").click()
    await expect(confirmar).to_be_hidden()
    await expect(pedro.locator("#conversacion")).to_contain_text("Le devolvemos el cobro hoy.")
    await expect(carla.locator("#conversacion")).to_contain_text("Le devolvemos el cobro hoy.")
    assert await Respuesta.filter(ticket_id=ticket_id, autor__username="pedro").count() == 1

    # Pedro leaves: Carla no longer sees him viewing.
    await pedro.close()
    await expect(carla.locator("#colision-viendo")).to_be_hidden()
