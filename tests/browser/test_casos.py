"""A case from start to end in the browser: an agent opens it from the console's form (the
customer picked by searching their name, never by id), answers it and writes a note on its
page; the customer reads the answer, never the note, on theirs; the agent closes it through the
state buttons (RESUELTO → CERRADO), which only offer legal moves."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.async_api import expect

from core.auth.models import Rol
from plugins.casos.models import Caso

if TYPE_CHECKING:
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador


async def test_un_caso_se_abre_responde_y_cierra_desde_su_pagina(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    lucia = await soporte.usuario("lucia", Rol.CLIENTE, nombre="Lucía Fernández")
    await soporte.usuario("lucas", Rol.CLIENTE, nombre="Lucas Pérez")
    await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")

    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    await agente.goto("/agente/casos/")
    await agente.get_by_text("Nuevo caso").click()
    await agente.locator("#caso-tipo").select_option("RECLAMO")
    await agente.locator("#caso-urgencia").select_option("ALTA")
    await agente.get_by_label("Título").fill("Cobro duplicado de la reserva")
    await agente.get_by_label("Descripción").fill("La clienta ve dos cargos.")
    # The customer is found by name through the accessible combobox.
    buscador = agente.get_by_role("combobox", name="Cliente afectado (opcional)")
    await buscador.fill("Luc")
    opciones = agente.get_by_role("listbox", name="Cliente afectado (opcional)").get_by_role(
        "option"
    )
    await expect(opciones).to_have_count(2)
    await buscador.press("ArrowDown")
    await expect(buscador).to_have_attribute("aria-expanded", "true")
    await agente.get_by_role("option", name=re.compile("Lucía Fernández")).click()
    await expect(buscador).to_have_value("Lucía Fernández")
    await agente.get_by_role("button", name="Crear Caso").click()
    await agente.wait_for_url(re.compile(r"/agente/casos/\d+/$"))
    caso = await Caso.get(titulo="Cobro duplicado de la reserva")
    assert caso.cliente_afectado_id == lucia.id
    await expect(agente.locator("#caso-titulo")).to_have_text(f"#{caso.numero} - {caso.titulo}")

    # Only the legal moves of an ABIERTO case are offered.
    pasos = agente.locator("#caso-transiciones button")
    await expect(pasos).to_have_text(["Investigar", "Marcar resuelto", "Cerrar caso"])

    # An answer, then an internal note.
    await agente.get_by_label("Mensaje").fill("Ya pedimos la devolución del segundo cargo.")
    await agente.get_by_role("button", name="Enviar").click()
    conversacion = agente.locator("#caso-conversacion")
    await expect(conversacion.locator(".respuesta")).to_have_count(1)
    await agente.get_by_label("Mensaje").fill("Ojo: el banco tarda 5 días.")
    await agente.get_by_label("Nota interna").check()
    await agente.get_by_role("button", name="Enviar").click()
    await expect(conversacion.locator(".respuesta.interna")).to_contain_text("el banco tarda")
    await expect(conversacion.locator(".respuesta")).to_have_count(2)

    # The customer opens it from her list and sees the answer, never the note.
    cliente = await navegador.pagina()
    await navegador.entrar(cliente, "lucia")
    await cliente.goto("/casos/")
    await cliente.get_by_role("link", name=re.compile("Cobro duplicado de la reserva")).click()
    await cliente.wait_for_url(re.compile(rf"/casos/{caso.id}/$"))
    suya = cliente.locator("#caso-conversacion")
    await expect(suya).to_contain_text("Ya pedimos la devolución")
    await expect(suya.locator(".respuesta")).to_have_count(1)
    await expect(cliente.locator("body")).not_to_contain_text("el banco tarda")
    await expect(cliente.locator("#caso-transiciones")).to_have_count(0)
    await expect(cliente.get_by_label("Nota interna")).to_have_count(0)
    # She answers back.
    await cliente.get_by_label("Mensaje").fill("Gracias, quedo atenta.")
    await cliente.get_by_role("button", name="Enviar").click()
    await expect(suya.locator(".respuesta")).to_have_count(2)

    # The agent resolves and closes it through the buttons.
    await agente.reload()
    await expect(conversacion).to_contain_text("quedo atenta")
    await agente.get_by_role("button", name="Marcar resuelto").click()
    await expect(agente.locator("#caso-insignias")).to_contain_text("Resuelto")
    await expect(pasos).to_have_text(["Investigar", "Cerrar caso"])
    await agente.get_by_role("button", name="Cerrar caso").click()
    await expect(agente.locator("#caso-insignias")).to_contain_text("Cerrado")
    await expect(pasos).to_have_count(0)
    await expect(agente.locator("#caso-bloque-responder")).to_be_hidden()
    assert (await Caso.get(id=caso.id)).estado == "CERRADO"

    await cliente.reload()
    await expect(cliente.locator("#caso-insignias")).to_contain_text("Cerrado")
    await expect(cliente.locator("#caso-bloque-responder")).to_be_hidden()
