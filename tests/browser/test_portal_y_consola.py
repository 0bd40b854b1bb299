"""End to end in Chromium: the customer portal, the agent console, live chat and the widget."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.async_api import expect

from core.auth.models import Rol

if TYPE_CHECKING:
    from playwright.async_api import Page

    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador


async def test_cliente_crea_ticket_con_archivo_y_chatea_en_vivo_con_un_agente(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """Ticket with a file → "Mis tickets"; both sides see each other's chat live; the agent
    resolves it and sees the dashboard's four numbers; the customer then rates it."""
    await soporte.usuario("ana", Rol.CLIENTE, nombre="Ana Cliente")
    await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Soporte")

    cliente = await navegador.pagina()
    await navegador.entrar(cliente, "ana")
    await expect(cliente).to_have_url(navegador.base + "/")
    await expect(cliente.locator("#sesion-nombre")).to_have_text("Ana Cliente")

    # A new ticket with a small generated file.
    await cliente.goto("/tickets/nuevo/")
    await cliente.get_by_label("Asunto").fill("No puedo pagar mi reserva")
    await cliente.get_by_label("Categoría").select_option("PAGOS")
    await cliente.get_by_label("Prioridad").select_option("ALTA")
    await cliente.get_by_label("Descripción").fill("El pago con tarjeta falla en el último paso.")
    await cliente.get_by_label("Archivos adjuntos").set_input_files(
        files=[{"name": "captura.txt", "mimeType": "text/plain", "buffer": b"error 402\n"}]
    )
    await cliente.get_by_role("button", name="Crear ticket").click()
    await cliente.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket_id = int(cliente.url.rstrip("/").rsplit("/", 1)[1])
    await expect(cliente.locator("#ticket-titulo")).to_have_text(
        re.compile(r"#TK-\d+ - No puedo pagar mi reserva")
    )
    adjunto = cliente.locator("#ticket-adjuntos a")
    await expect(adjunto).to_have_text("captura.txt")
    assert "/api/descargas/" in (await adjunto.get_attribute("href") or "")

    await cliente.goto("/tickets/")
    tarjeta = cliente.locator(".ticket-card", has_text="No puedo pagar mi reserva")
    await expect(tarjeta).to_be_visible()
    await expect(tarjeta.locator(".estado")).to_have_text("Abierto")
    await cliente.get_by_label("Estado").select_option("CERRADO")
    await expect(cliente.get_by_text("No tienes tickets con estos filtros.")).to_be_visible()
    await cliente.get_by_label("Estado").select_option("")
    await tarjeta.get_by_role("link").click()
    await expect(cliente.locator("#chat-ticket .status")).to_have_text("Conectado")

    # The agent, in another browser profile, opens the same ticket.
    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    await expect(agente).to_have_url(navegador.base + "/agente/")
    await agente.goto(f"/agente/tickets/{ticket_id}/")
    await expect(agente.locator("#chat-ticket .status")).to_have_text("Conectado")
    await expect(agente.locator("#ticket-datos")).to_contain_text("Ana Cliente")
    await expect(cliente.locator(".chat-presencia")).to_contain_text("Carla Soporte")

    # Both chat; each sees the other's message live, over the WebSocket.
    await cliente.get_by_label("Mensaje de chat").fill("Hola, ¿me ayudan con el pago?")
    await cliente.get_by_label("Mensaje de chat").press("Enter")
    await expect(agente.locator("#conversacion")).to_contain_text("Hola, ¿me ayudan con el pago?")
    await expect(cliente.locator("#conversacion")).to_contain_text("Hola, ¿me ayudan con el pago?")

    await agente.get_by_label("Mensaje de chat").press_sequentially("Claro")
    await expect(cliente.locator(".typing-indicator")).to_have_text(
        "Carla Soporte está escribiendo..."
    )
    await agente.get_by_label("Mensaje de chat").fill("Claro, Ana: ya lo estoy revisando.")
    await agente.get_by_role("button", name="Enviar", exact=True).click()
    await expect(cliente.locator("#conversacion")).to_contain_text(
        "Claro, Ana: ya lo estoy revisando."
    )
    await expect(cliente.locator(".typing-indicator")).to_have_text("")
    # The agent's first answer moved the ticket to EN_PROGRESO; the customer's page follows.
    await expect(cliente.locator("#ticket-insignias .estado")).to_have_text("En progreso")
    # Each message once on each side (REST history + live frames never duplicate).
    await expect(cliente.locator("#conversacion .respuesta")).to_have_count(2)
    await expect(agente.locator("#conversacion .respuesta")).to_have_count(2)

    # The agent assigns it to herself and resolves it.
    await agente.get_by_role("button", name="Asignarme").click()
    await expect(agente.locator("#gestion-agente")).to_have_text("Asignado a Carla Soporte")
    await agente.locator("#gestion-estado").select_option("RESUELTO")
    await agente.get_by_role("button", name="Guardar cambios").click()
    await expect(agente.locator("#ticket-insignias .estado")).to_have_text("Resuelto")

    await agente.get_by_role("link", name="Dashboard").click()
    # The guide's four numbers first, then any other plugin's (escalamiento adds its own).
    tarjetas = agente.locator(".stat-card h2")
    await expect(tarjetas.first).to_be_visible()
    titulos = await tarjetas.all_inner_texts()
    assert titulos[:4] == [
        "Tickets Abiertos",
        "Tiempo Promedio Respuesta",
        "Satisfacción",
        "Casos Críticos",
    ]
    await expect(agente.locator('[data-clave="tickets_abiertos"] .stat-number')).to_have_text("0")
    await expect(agente.locator(".tickets-recientes")).to_contain_text("No puedo pagar mi reserva")

    # The widget's live chat replays the conversation; its ticket list has the ticket.
    await cliente.goto("/")
    await cliente.get_by_role("button", name="Abrir ayuda").click()
    await cliente.get_by_role("button", name="Chat en Vivo").click()
    vista = cliente.locator("#widget-vista")
    await expect(vista.locator(".status")).to_have_text("Conectado")
    await expect(vista.locator(".chat-mensajes .mensaje")).to_have_count(2)
    await expect(vista.locator(".chat-mensajes")).to_contain_text("ya lo estoy revisando")
    await cliente.get_by_role("button", name="← Volver").click()
    await cliente.get_by_role("button", name="Mis Tickets").click()
    await expect(vista).to_contain_text("No puedo pagar mi reserva")

    # The customer rates the resolved ticket.
    await cliente.goto(f"/tickets/{ticket_id}/")
    await expect(cliente.locator("#bloque-valorar")).to_be_visible()
    await cliente.get_by_label("5 ★").check()
    await cliente.get_by_label("Comentario (opcional)").fill("Rápido y amable")
    await cliente.get_by_role("button", name="Enviar valoración").click()
    await expect(cliente.locator("#valoracion-actual")).to_have_text(
        "Tu valoración: 5 de 5. Puedes cambiarla."
    )
    await agente.reload()
    await expect(agente.locator('[data-clave="satisfaccion_promedio"] .stat-number')).to_have_text(
        "100%"
    )


async def test_el_widget_se_abre_en_cada_pagina_y_encuentra_una_faq(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """The floating widget offers the guide's four options and its FAQ search finds answers."""
    admin = await soporte.usuario("diego", Rol.ADMIN)
    for pregunta, respuesta in [
        ("¿Cómo solicito un reembolso?", "Desde Mis reservas, elige la reserva y pulsa Reembolso."),
        ("¿Puedo cambiar la fecha del vuelo?", "Sí, hasta 24 horas antes de la salida."),
    ]:
        r = await soporte.post(
            "/api/soporte/faqs/",
            json={"pregunta": pregunta, "respuesta": respuesta, "categoria": "Pagos"},
            headers=soporte.auth(admin),
        )
        assert r.status == 201, await r.text()

    page = await navegador.pagina()
    for ruta in ("/", "/faq/", "/entrar/"):
        await page.goto(ruta)
        await expect(page.locator("#widget-toggle")).to_be_visible()

    await page.goto("/")
    await page.get_by_role("button", name="Abrir ayuda").click()
    opciones = page.locator("#widget-menu .opcion-menu .label")
    await expect(opciones).to_have_text(
        ["Preguntas Frecuentes", "Crear Ticket", "Chat en Vivo", "Mis Tickets"]
    )
    await page.get_by_role("button", name="Preguntas Frecuentes").click()
    await page.locator("#widget-faq-q").fill("reembolso")
    encontrada = page.locator("#widget-vista .faq-item")
    await expect(encontrada).to_have_count(1)
    await encontrada.get_by_role("button").click()
    await expect(encontrada.locator(".faq-respuesta")).to_contain_text("pulsa Reembolso")

    # Without a session, the ticket views ask to log in.
    await page.get_by_role("button", name="← Volver").click()
    await page.get_by_role("button", name="Crear Ticket").click()
    await expect(page.locator("#widget-vista")).to_contain_text("Inicia sesión")
    await page.keyboard.press("Escape")
    await expect(page.locator("#widget-panel")).to_be_hidden()


async def test_faq_busqueda_categorias_y_votos(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """The FAQ page searches accent-insensitively, filters by category and counts votes."""
    admin = await soporte.usuario("diego", Rol.ADMIN)
    await soporte.usuario("ana", Rol.CLIENTE)
    for pregunta, categoria in [
        ("¿Aceptan tarjetas de crédito?", "Pagos"),
        ("¿Cuánto equipaje puedo llevar?", "Vuelos"),
    ]:
        r = await soporte.post(
            "/api/soporte/faqs/",
            json={
                "pregunta": pregunta,
                "respuesta": "Respuesta de prueba.",
                "categoria": categoria,
            },
            headers=soporte.auth(admin),
        )
        assert r.status == 201

    page = await navegador.pagina()
    await navegador.entrar(page, "ana")
    await page.goto("/faq/")
    await expect(page.locator(".faq-item")).to_have_count(2)
    await page.get_by_role("button", name="Vuelos (1)").click()
    await expect(page.locator(".faq-item")).to_have_count(1)
    await expect(page.locator(".faq-item")).to_contain_text("equipaje")
    await page.get_by_role("button", name="Todas").click()
    await expect(page.locator(".faq-item")).to_have_count(2)
    await page.get_by_role("searchbox", name="Buscar").fill("credito")
    await expect(page.locator(".faq-item")).to_have_count(1)
    await expect(page.locator(".faq-item")).to_contain_text("crédito")
    item = page.locator(".faq-item")
    await item.get_by_role("button", name=re.compile("tarjetas")).click()
    await item.get_by_role("button", name="Sí").click()
    await expect(item.locator(".faq-cuenta")).to_have_text("Útil: 1 ✓ / 0 ✗")
    await item.get_by_role("button", name="No").click()
    await expect(item.locator(".faq-cuenta")).to_have_text("Útil: 0 ✓ / 1 ✗")


async def test_guardias_de_area_y_rol(soporte: SoporteClient, navegador: Navegador) -> None:
    """Visitors go to the login page; customers are sent out of the console; admin-only
    pages and links are hidden from plain agents."""
    await soporte.usuario("ana", Rol.CLIENTE)
    await soporte.usuario("carla", Rol.AGENTE)

    anonimo = await navegador.pagina()
    await anonimo.goto("/tickets/?estado=ABIERTO")
    await anonimo.wait_for_url(re.compile(r"/entrar/\?siguiente="))
    await navegador.entrar(anonimo, "ana")
    await expect(anonimo).to_have_url(navegador.base + "/tickets/?estado=ABIERTO")
    await anonimo.goto("/agente/")
    await anonimo.wait_for_url(navegador.base + "/")

    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    await expect(agente.get_by_role("link", name="Escalamiento")).to_be_visible()
    await expect(agente.get_by_role("link", name="Reglas")).to_be_hidden()
    await expect(agente.get_by_role("link", name="FAQ", exact=True)).to_be_hidden()
    await agente.goto("/agente/escalamiento/reglas/")
    await agente.wait_for_url(navegador.base + "/agente/")

    await agente.get_by_role("button", name="Salir").click()
    await agente.wait_for_url(re.compile("/entrar/"))
    assert await agente.evaluate("localStorage.getItem('authToken')") is None


async def test_casos_escalamiento_y_gestion_de_faq_en_la_consola(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """A customer's critical case reaches the urgent lists; an admin writes a rule with a
    policy listed by the server, acknowledges an alert in the monitor and manages FAQs."""
    from datetime import UTC, datetime, timedelta

    from core import keys
    from plugins.escalamiento import service as escalamiento
    from plugins.escalamiento.politicas import REGISTRO

    ana = await soporte.usuario("ana", Rol.CLIENTE, nombre="Ana Cliente")
    await soporte.usuario("diego", Rol.ADMIN, nombre="Diego Admin")

    cliente = await navegador.pagina()
    await navegador.entrar(cliente, "ana")
    await cliente.goto("/casos/nuevo/")
    await cliente.get_by_label("Tipo de Caso").select_option("INCIDENTE")
    await cliente.get_by_label("Urgencia").select_option("CRITICA")
    await cliente.get_by_label("Título").fill("Cobro duplicado en mi tarjeta")
    await cliente.get_by_label("Descripción").fill("Me cobraron dos veces la reserva 77.")
    await cliente.get_by_label("Reservas relacionadas (opcional)").fill("77")
    await cliente.get_by_role("button", name="Crear Caso").click()
    await cliente.wait_for_url(navegador.base + "/casos/")
    caso = cliente.locator(".caso-card", has_text="Cobro duplicado en mi tarjeta")
    await expect(caso).to_contain_text("Reservas: #77")
    await expect(caso.locator(".urgencia")).to_have_text("Crítica")

    admin = await navegador.pagina()
    await navegador.entrar(admin, "diego")
    await expect(admin.locator('[data-clave="casos_criticos"] .stat-number')).to_have_text("1")
    await expect(admin.locator(".casos-urgentes")).to_contain_text("Cobro duplicado")

    await admin.get_by_role("link", name="Casos", exact=True).click()
    fila = admin.locator("#tabla-casos tr", has_text="Cobro duplicado")
    await fila.get_by_label(re.compile("^Estado de")).select_option("EN_INVESTIGACION")
    await expect(admin.locator("#avisos")).to_contain_text("actualizado")
    await expect(fila.get_by_label(re.compile("^Estado de"))).to_have_value("EN_INVESTIGACION")

    # The rule editor lists the server's policies; the new rule appears in the table.
    await admin.get_by_role("link", name="Reglas").click()
    await admin.get_by_role("button", name="Nueva regla").click()
    await expect(admin.locator("#regla-politica option")).to_contain_text(["tiempo_respuesta"])
    await admin.get_by_label("Nombre", exact=True).fill("Urgentes en 2 horas")
    await admin.get_by_label("Tiempo de respuesta máximo (horas)").fill("2")
    await admin.get_by_label("Media").check()
    await admin.get_by_role("button", name="Guardar regla").click()
    regla = admin.locator("#reglas tr", has_text="Urgentes en 2 horas")
    await expect(regla).to_contain_text("Alta, Media")
    await expect(regla).to_contain_text("tiempo_respuesta")

    # A ticket left unanswered is escalated; the monitor shows it and its alert.
    r = await soporte.post(
        "/api/soporte/tickets/",
        json={
            "asunto": "Sin respuesta",
            "categoria": "TECNICO",
            "prioridad": "ALTA",
            "descripcion": "Nadie me contesta.",
        },
        headers=soporte.auth(ana),
    )
    assert r.status == 201
    app = soporte.app
    hechos = await escalamiento.escalar(
        app[keys.EVENTS], app[REGISTRO], ahora=datetime.now(UTC) + timedelta(hours=2, minutes=5)
    )
    assert hechos
    await admin.get_by_role("link", name="Escalamiento").click()
    await expect(admin.locator(".ticket-escalado")).to_contain_text("Sin respuesta")
    alerta = admin.locator(".alerta").first
    await expect(alerta).to_be_visible()
    await alerta.get_by_role("button", name="Marcar como leída").click()
    await expect(admin.get_by_text("No hay alertas pendientes.")).to_be_visible()
    await admin.reload()
    await expect(admin.get_by_text("No hay alertas pendientes.")).to_be_visible()

    # FAQ management: create, then deactivate.
    await admin.get_by_role("link", name="FAQ", exact=True).click()
    await admin.get_by_role("button", name="Nueva pregunta").click()
    await admin.get_by_label("Pregunta", exact=True).fill("¿Cómo cambio mi contraseña?")
    await admin.get_by_label("Respuesta", exact=True).fill("Desde tu perfil, en Seguridad.")
    await admin.get_by_label("Categoría", exact=True).fill("Cuenta")
    await admin.get_by_role("button", name="Guardar").click()
    fila_faq = admin.locator("#faq-tabla tr", has_text="cambio mi contraseña")
    await expect(fila_faq).to_contain_text("Activa")
    await fila_faq.get_by_role("button", name="Desactivar").click()
    await expect(fila_faq).to_contain_text("Inactiva")
    r = await soporte.get("/api/soporte/faqs/", params={"q": "contraseña"})
    assert (await r.json())["count"] == 0


async def test_usable_a_360_px(soporte: SoporteClient, navegador: Navegador) -> None:
    """At 360 px wide no page scrolls sideways, and the widget and menus stay reachable."""
    ana = await soporte.usuario("ana", Rol.CLIENTE)
    await soporte.usuario("carla", Rol.AGENTE)
    r = await soporte.post(
        "/api/soporte/tickets/",
        json={
            "asunto": "Una consulta con un asunto bastante largo para una pantalla pequeña",
            "categoria": "GENERAL",
            "descripcion": "Texto.",
        },
        headers=soporte.auth(ana),
    )
    ticket = await r.json()

    async def sin_desborde(page: Page, ruta: str) -> None:
        await page.goto(ruta)
        await page.wait_for_load_state("networkidle")
        ancho = await page.evaluate("document.documentElement.scrollWidth")
        assert ancho <= 360, f"{ruta} is {ancho}px wide at 360px"

    movil = await navegador.pagina(ancho=360, alto=740)
    await navegador.entrar(movil, "ana")
    portal = ["/", "/tickets/", "/tickets/nuevo/", f"/tickets/{ticket['id']}/", "/faq/"]
    for ruta in [*portal, "/casos/", "/casos/nuevo/"]:
        await sin_desborde(movil, ruta)
    await movil.get_by_role("button", name="Abrir ayuda").click()
    await expect(movil.locator("#widget-panel")).to_be_in_viewport()

    agente = await navegador.pagina(ancho=360, alto=740)
    await navegador.entrar(agente, "carla")
    consola = ["/agente/", "/agente/tickets/", f"/agente/tickets/{ticket['id']}/"]
    for ruta in [*consola, "/agente/casos/", "/agente/escalamiento/"]:
        await sin_desborde(agente, ruta)
