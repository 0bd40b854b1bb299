"""Internal notes in Chromium: an agent writes a note from the ticket's reply form; the customer's
page, open at the same time, never shows it (live or after a reload); the agent's page shows it
labelled "Nota interna"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.async_api import expect

from core.auth.models import Rol

if TYPE_CHECKING:
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador

NOTA = "Nota: el cliente ya pidió reembolso, consultar con finanzas"


async def test_una_nota_del_agente_nunca_aparece_en_la_pagina_del_cliente(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    ana = await soporte.usuario("ana", Rol.CLIENTE, nombre="Ana Cliente")
    await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Soporte")
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

    cliente = await navegador.pagina()
    await navegador.entrar(cliente, "ana")
    await cliente.goto(f"/tickets/{ticket_id}/")
    await expect(cliente.locator("#chat-ticket .status")).to_have_text("Conectado")
    # The customer's form has no toggle: notes are the agents'.
    await expect(cliente.locator("#respuesta-interna")).to_have_count(0)

    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    await agente.goto(f"/agente/tickets/{ticket_id}/")
    await expect(agente.locator("#chat-ticket .status")).to_have_text("Conectado")

    # The note, from the reply form with the toggle on.
    await agente.get_by_label("Nota interna").check()
    await expect(agente.get_by_role("button", name="Guardar nota interna")).to_be_visible()
    await agente.get_by_label("Respuesta", exact=True).fill(NOTA)
    await agente.get_by_role("button", name="Guardar nota interna").click()
    nota = agente.locator("#conversacion .respuesta.nota-interna")
    await expect(nota).to_have_count(1)
    await expect(nota).to_contain_text(NOTA)
    await expect(nota.locator(".etiqueta-nota")).to_have_text("Nota interna")

    # Then a public reply over the chat: both pages show it live; the customer's page, which
    # received the reply after the note, has only the reply.
    await agente.get_by_label("Mensaje de chat").fill("Hola Ana, lo estamos revisando.")
    await agente.get_by_role("button", name="Enviar", exact=True).click()
    await expect(cliente.locator("#conversacion")).to_contain_text("lo estamos revisando")
    await expect(cliente.locator("#conversacion .respuesta")).to_have_count(1)
    assert NOTA not in await cliente.locator("body").inner_text()

    await cliente.reload()
    await expect(cliente.locator("#conversacion")).to_contain_text("lo estamos revisando")
    await expect(cliente.locator("#conversacion .respuesta")).to_have_count(1)
    assert NOTA not in await cliente.content()

    # The agent's page, reloaded: the note still labelled, the public reply not.
    await agente.reload()
    await expect(agente.locator("#conversacion .respuesta")).to_have_count(2)
    await expect(agente.locator("#conversacion .respuesta.nota-interna")).to_contain_text(NOTA)
    await expect(agente.locator("#conversacion .etiqueta-nota")).to_have_count(1)


async def test_la_nota_de_otro_agente_llega_en_vivo_marcada(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """A note written elsewhere (here: REST, as another agent) reaches an agent's open page
    live, labelled; the customer's open page gets nothing."""
    ana = await soporte.usuario("ana", Rol.CLIENTE)
    await soporte.usuario("carla", Rol.AGENTE)
    dani = await soporte.usuario("dani", Rol.AGENTE, nombre="Dani")
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(ana),
        json={"asunto": "Acceso", "categoria": "TECNICO", "descripcion": "No entro"},
    )
    ticket_id = (await r.json())["id"]
    cliente = await navegador.pagina()
    await navegador.entrar(cliente, "ana")
    await cliente.goto(f"/tickets/{ticket_id}/")
    await expect(cliente.locator("#chat-ticket .status")).to_have_text("Conectado")
    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    await agente.goto(f"/agente/tickets/{ticket_id}/")
    await expect(agente.locator("#chat-ticket .status")).to_have_text("Conectado")

    for mensaje, interna in ((NOTA, True), ("Respuesta pública", False)):
        r = await soporte.post(
            f"/api/soporte/tickets/{ticket_id}/responder/",
            headers=soporte.auth(dani),
            json={"mensaje": mensaje, "interna": interna},
        )
        assert r.status == 201
    await expect(agente.locator("#conversacion .respuesta")).to_have_count(2)
    await expect(agente.locator("#conversacion .respuesta.nota-interna")).to_contain_text(NOTA)
    await expect(cliente.locator("#conversacion")).to_contain_text("Respuesta pública")
    await expect(cliente.locator("#conversacion .respuesta")).to_have_count(1)
    assert NOTA not in await cliente.locator("body").inner_text()
