"""Macros in Chromium: the picker of the agent's reply box previews a macro in the textarea and
applies it with its field changes; the "Macros" page creates one through its form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.async_api import expect

from core.auth.models import Rol
from plugins.macros.models import Macro
from plugins.tickets.models import Ticket

if TYPE_CHECKING:
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador


async def test_el_selector_previsualiza_y_aplica_una_macro(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    ana = await soporte.usuario("ana", Rol.CLIENTE, nombre="Ana Cliente")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Soporte")
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(ana),
        json={"asunto": "Factura", "categoria": "PAGOS", "descripcion": "No la encuentro"},
    )
    ticket = await r.json()
    for nombre, mensaje in (
        ("Factura reenviada", "Hola {{ cliente.nombre }}, te reenviamos {{ ticket.numero }}."),
        ("Despedida", "Un saludo"),
    ):
        r = await soporte.post(
            "/api/soporte/macros/",
            headers=soporte.auth(carla),
            json={"nombre": nombre, "mensaje": mensaje, "acciones": {"estado": "RESUELTO"}},
        )
        assert r.status == 201

    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    await agente.goto(f"/agente/tickets/{ticket['id']}/")
    selector = agente.get_by_label("Macro", exact=True)
    await expect(selector.locator("option")).to_have_count(3)
    await agente.get_by_label("Buscar macro").fill("factura")
    await expect(selector.locator("option")).to_have_count(2)
    await selector.select_option(label="Factura reenviada")
    texto = f"Hola Ana Cliente, te reenviamos {ticket['numero']}."
    await expect(agente.get_by_label("Respuesta", exact=True)).to_have_value(texto)
    await expect(agente.locator("#macro-resumen")).to_contain_text("estado → RESUELTO")

    await agente.get_by_role("button", name="Aplicar macro").click()
    await expect(agente.locator("#conversacion")).to_contain_text(texto)
    await expect(agente.locator("#ticket-insignias")).to_contain_text("Resuelto")
    await expect(agente.get_by_label("Respuesta", exact=True)).to_have_value("")
    assert (await Ticket.get(id=ticket["id"])).estado == "RESUELTO"


async def test_la_pagina_de_macros_crea_una_macro(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Soporte")
    pagina = await navegador.pagina()
    await navegador.entrar(pagina, "carla")
    await pagina.goto("/agente/macros/")
    await expect(pagina.locator("#macro-tabla")).to_contain_text("No hay macros.")
    await pagina.get_by_role("button", name="Nueva macro").click()
    await pagina.get_by_label("Nombre", exact=True).fill("Pedir captura")
    await pagina.get_by_label("Mensaje", exact=True).fill("¿Nos envías una captura?")
    await pagina.get_by_label("Prioridad").select_option("ALTA")
    await pagina.get_by_label("Añadir etiquetas").fill("captura, pendiente cliente")
    await pagina.get_by_role("button", name="Guardar").click()
    fila = pagina.locator("#macro-tabla tr", has_text="Pedir captura")
    await expect(fila).to_contain_text("prioridad → ALTA")
    await expect(fila).to_contain_text("Personal")
    macro = await Macro.get(nombre="Pedir captura")
    assert macro.acciones == {
        "prioridad": "ALTA",
        "etiquetas_agregar": ["captura", "pendiente cliente"],
    }
