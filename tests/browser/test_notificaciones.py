"""End to end in Chromium: the notifications bell, the live ticket pages and the agents' queue,
the notifications and preferences pages (plugin ``notificaciones``, real server and sockets).

Changes are made through the API by the other party, as another browser or client would; the
page under test must follow them without a reload.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from playwright.async_api import expect

from core.auth.models import Rol

if TYPE_CHECKING:
    from playwright.async_api import Page

    from core.auth.models import Usuario
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador

NOTIFICACIONES = "/api/soporte/notificaciones/"


async def crear_ticket(
    soporte: SoporteClient, cliente: Usuario, asunto: str, prioridad: str = "MEDIA"
) -> dict[str, Any]:
    """A ticket created by ``cliente`` through the API (as the portal's form does)."""
    r = await soporte.post(
        "/api/soporte/tickets/",
        json={
            "asunto": asunto,
            "categoria": "PAGOS",
            "prioridad": prioridad,
            "descripcion": "El cobro aparece dos veces en el extracto.",
        },
        headers=soporte.auth(cliente),
    )
    assert r.status == 201, await r.text()
    ticket: dict[str, Any] = await r.json()
    return ticket


async def responder(soporte: SoporteClient, autor: Usuario, ticket_id: int, mensaje: str) -> None:
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket_id}/responder/",
        json={"mensaje": mensaje},
        headers=soporte.auth(autor),
    )
    assert r.status == 201, await r.text()


async def cambiar(soporte: SoporteClient, agente: Usuario, ticket_id: int, **cambios: Any) -> None:
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket_id}/", json=cambios, headers=soporte.auth(agente)
    )
    assert r.status == 200, await r.text()


async def notificaciones(soporte: SoporteClient, usuario: Usuario) -> dict[str, Any]:
    r = await soporte.get(NOTIFICACIONES, headers=soporte.auth(usuario))
    assert r.status == 200, await r.text()
    datos: dict[str, Any] = await r.json()
    return datos


def campana(page: Page) -> Any:
    return page.locator("#campana-boton")


async def sin_leer(page: Page, n: int) -> None:
    """The bell says ``n`` unread, in its accessible name."""
    await expect(campana(page)).to_have_attribute("aria-label", f"Notificaciones, {n} sin leer")


async def test_la_respuesta_de_un_agente_llega_en_vivo_a_la_pagina_y_a_la_campana_del_cliente(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """An agent replies, assigns and raises the priority through the API: the customer's open
    ticket page shows the reply once and the new state, priority and agent without a reload
    (keeping the draft being typed); the bell's count goes up, its dropdown lists the
    notification, and clicking it marks it read and opens the ticket."""
    ana = await soporte.usuario("ana", Rol.CLIENTE, nombre="Ana Cliente")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Soporte")
    ticket = await crear_ticket(soporte, ana, "Cobro duplicado")

    page = await navegador.pagina()
    await navegador.entrar(page, "ana")
    await page.goto(f"/tickets/{ticket['id']}/")
    await expect(page.locator("#ticket-insignias .estado")).to_have_text("Abierto")
    antes = (await notificaciones(soporte, ana))["no_leidas"]
    await sin_leer(page, antes)
    await page.get_by_label("Respuesta", exact=True).fill("Un borrador a medias")

    await responder(soporte, carla, ticket["id"], "Hola Ana, ya vemos el cobro duplicado.")
    await expect(page.locator("#conversacion")).to_contain_text("ya vemos el cobro duplicado")
    await expect(page.locator("#ticket-insignias .estado")).to_have_text("En progreso")
    # Once, although both the chat socket and the notifications socket heard of it.
    await expect(page.locator("#conversacion .respuesta")).to_have_count(1)
    despues = await notificaciones(soporte, ana)
    assert despues["no_leidas"] > antes
    await sin_leer(page, despues["no_leidas"])

    # Changes that no chat message carries: priority and assignment.
    await cambiar(soporte, carla, ticket["id"], prioridad="ALTA", agente_asignado=carla.id)
    await expect(page.locator("#ticket-insignias .prioridad")).to_have_text("Alta")
    await expect(page.locator("#ticket-datos")).to_contain_text("Carla Soporte")
    await expect(page.get_by_label("Respuesta", exact=True)).to_have_value("Un borrador a medias")

    # From another page, the dropdown lists the reply's notification; clicking it marks it
    # read and opens the ticket.
    respuesta = next(n for n in despues["results"] if n["tipo"] == "respuesta_agente")
    await page.goto("/")
    await campana(page).click()
    await expect(campana(page)).to_have_attribute("aria-expanded", "true")
    item = page.locator(f'#campana-lista li[data-id="{respuesta["id"]}"]')
    await expect(item).to_have_class(re.compile(r"\bno-leida\b"))
    await expect(item).to_contain_text(respuesta["titulo"])
    await expect(item.locator("time")).to_have_text(re.compile(r"ahora|hace"))
    await item.get_by_role("link").click()
    await page.wait_for_url(re.compile(re.escape(respuesta["url"].split("#")[0]) + r"(#.*)?$"))
    await expect(page.locator("#ticket-titulo")).to_contain_text("Cobro duplicado")
    ahora = await notificaciones(soporte, ana)
    assert next(n for n in ahora["results"] if n["id"] == respuesta["id"])["leida"] is True
    assert ahora["no_leidas"] == despues["no_leidas"] - 1
    await sin_leer(page, ahora["no_leidas"])


async def test_la_cola_del_agente_y_los_tickets_del_cliente_siguen_los_cambios_en_vivo(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """A new ticket appears in the agent's filtered queue (filter kept, announced politely),
    the console's bell counts it; another agent's change reaches the open agent detail page
    (keeping an unsaved choice) and the customer's "Mis tickets"."""
    ana = await soporte.usuario("ana", Rol.CLIENTE, nombre="Ana Cliente")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Soporte")
    beto = await soporte.usuario("beto", Rol.AGENTE, nombre="Beto Soporte")
    primero = await crear_ticket(soporte, ana, "Primer problema", prioridad="ALTA")
    await crear_ticket(soporte, ana, "Una duda menor", prioridad="BAJA")

    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    await agente.goto("/agente/tickets/")
    await expect(agente.locator("#cola tr")).to_have_count(2)
    await agente.get_by_label("Prioridad").select_option("ALTA")
    await expect(agente.locator("#cola tr")).to_have_count(1)
    # The filter reloads twice (change, then the debounced input): both must be over, so
    # that only the live update can show the next ticket.
    await agente.wait_for_load_state("networkidle")
    await expect(agente.locator("#cola")).to_contain_text("Primer problema")
    await expect(campana(agente)).to_be_visible()

    nuevo = await crear_ticket(soporte, ana, "No llega el reembolso", prioridad="ALTA")
    await expect(agente.locator("#cola")).to_contain_text("No llega el reembolso")
    await expect(agente.locator("#cola tr")).to_have_count(2)
    await expect(agente.locator("#cola-anuncios")).to_have_text(f"Nuevo ticket {nuevo['numero']}")
    await expect(agente.get_by_label("Prioridad")).to_have_value("ALTA")
    await sin_leer(agente, (await notificaciones(soporte, carla))["no_leidas"])

    # A row changed by someone else is repainted in place.
    await cambiar(soporte, beto, primero["id"], estado="EN_PROGRESO")
    await expect(agente.get_by_label(f"Estado de {primero['numero']}")).to_have_value("EN_PROGRESO")

    # The agent's detail page: another agent's change arrives, an unsaved choice stays.
    await agente.goto(f"/agente/tickets/{nuevo['id']}/")
    await expect(agente.locator("#ticket-insignias .estado")).to_have_text("Abierto")
    await agente.locator("#gestion-prioridad").select_option("BAJA")
    await cambiar(soporte, beto, nuevo["id"], estado="EN_PROGRESO", agente_asignado=beto.id)
    await expect(agente.locator("#ticket-insignias .estado")).to_have_text("En progreso")
    await expect(agente.locator("#gestion-estado")).to_have_value("EN_PROGRESO")
    await expect(agente.locator("#gestion-agente")).to_have_text("Asignado a Beto Soporte")
    await expect(agente.locator("#gestion-prioridad")).to_have_value("BAJA")

    # The customer's list follows the state of their tickets.
    cliente = await navegador.pagina()
    await navegador.entrar(cliente, "ana")
    await cliente.goto("/tickets/")
    tarjeta = cliente.locator(".ticket-card", has_text="No llega el reembolso")
    await expect(tarjeta.locator(".estado")).to_have_text("En progreso")
    await expect(campana(cliente)).to_be_visible()
    await cambiar(soporte, beto, nuevo["id"], estado="RESUELTO")
    await expect(tarjeta.locator(".estado")).to_have_text("Resuelto")


async def test_las_preferencias_se_guardan_con_etiquetas_en_espanol(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """One row per type with its Spanish label; unticking "by e-mail" is saved and kept."""
    ana = await soporte.usuario("ana", Rol.CLIENTE)
    page = await navegador.pagina()
    await navegador.entrar(page, "ana")
    await page.goto("/notificaciones/preferencias/")
    correo = page.get_by_role(
        "checkbox", name="Un agente respondió a tu ticket Por correo electrónico"
    )
    en_app = page.get_by_role("checkbox", name="Un agente respondió a tu ticket En la aplicación")
    await expect(correo).to_be_checked()
    await expect(en_app).to_be_checked()
    # No type is shown by its code name.
    await expect(page.locator("#preferencias th")).not_to_contain_text(["respuesta_agente"])
    await correo.uncheck()
    await page.get_by_role("button", name="Guardar preferencias").click()
    await expect(page.locator("#avisos")).to_contain_text("Preferencias guardadas.")
    r = await soporte.get(NOTIFICACIONES + "preferencias/", headers=soporte.auth(ana))
    prefs = (await r.json())["preferencias"]
    assert prefs["respuesta_agente"] == {"app": True, "email": False}
    await page.reload()
    await expect(
        page.get_by_role("checkbox", name="Un agente respondió a tu ticket Por correo electrónico")
    ).not_to_be_checked()
    await expect(en_app).to_be_checked()


async def test_la_campana_se_usa_con_el_teclado_y_la_pagina_de_notificaciones_filtra(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """Enter opens the dropdown, arrows move through it, Escape closes it and gives the focus
    back to the bell; "Marcar todas como leídas" empties the count; the notifications page
    filters unread ones and follows a new one live; logging out stops the bell (4401)."""
    ana = await soporte.usuario("ana", Rol.CLIENTE)
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana, "Duda con la factura")
    await responder(soporte, carla, ticket["id"], "Primera respuesta")
    await responder(soporte, carla, ticket["id"], "Segunda respuesta")
    total = (await notificaciones(soporte, ana))["no_leidas"]
    assert total >= 2

    page = await navegador.pagina()
    await navegador.entrar(page, "ana")
    await sin_leer(page, total)
    boton = campana(page)
    await boton.focus()
    await page.keyboard.press("Enter")
    panel = page.locator("#campana-panel")
    await expect(panel).to_be_visible()
    await expect(page.locator("#campana-lista li")).to_have_count(total)
    await page.keyboard.press("ArrowDown")
    await expect(page.locator("#campana-panel :focus")).to_have_count(1)
    await page.keyboard.press("Escape")
    await expect(panel).to_be_hidden()
    await expect(boton).to_be_focused()
    await expect(boton).to_have_attribute("aria-expanded", "false")

    await page.keyboard.press("Enter")
    await page.get_by_role("button", name="Marcar todas como leídas").focus()
    await page.keyboard.press("Enter")
    await sin_leer(page, 0)
    assert (await notificaciones(soporte, ana))["no_leidas"] == 0
    await expect(page.locator("#campana-lista li.no-leida")).to_have_count(0)

    # The notifications page: the unread filter, and a new notification arrives live.
    await page.goto("/notificaciones/")
    await expect(page.locator("#notificaciones li.notificacion")).to_have_count(total)
    await page.get_by_label("Solo no leídas").check()
    await expect(page.get_by_text("No tienes notificaciones sin leer.")).to_be_visible()
    await expect(page).to_have_url(re.compile(r"\?no_leidas=true$"))
    await responder(soporte, carla, ticket["id"], "Tercera respuesta")
    await expect(page.locator("#notificaciones li.notificacion.no-leida")).to_have_count(1)
    await sin_leer(page, 1)

    # Logging the browser's token out elsewhere closes the socket with 4401: the bell goes.
    token = await page.evaluate("localStorage.getItem('authToken')")
    r = await soporte.post("/api/auth/logout/", headers={"Authorization": f"Bearer {token}"})
    assert r.status in {200, 204}, await r.text()
    await expect(page.locator("#campana")).to_be_hidden()
