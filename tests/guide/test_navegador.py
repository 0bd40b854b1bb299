"""The guide's React components, unchanged, in Chromium, from another origin, on the real server.

The page (``pagina.py``) is served by a second loopback server, so every call the components
make is cross-origin and — because the guide sends ``Content-Type: application/json`` on every
call — preflighted. Chromium maps the guide's hard-coded ``localhost:8000`` to the test server
in its own resolver (``--host-resolver-rules``): the preflights, the WebSocket handshakes and
the downloads are the browser's own, against the server's real CORS answers. (Playwright's
``page.route`` would answer preflights itself while routing is on, so it would test less.)

What is asserted is what a user sees: cards, the conversation, links, "Conectado", a message
from another browser, FAQs, the case form's 201, the dashboard's numbers and the monitor's
alerts — and no error in either page's console.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import aiohttp
from playwright.async_api import async_playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ESPERA_MS

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

    from tests.guide.conftest import ServidorGuia

expect.set_options(timeout=ESPERA_MS)

#: The escalation rule this test needs (ALTA tickets: level 1 after 1.8 s, 2 after 3.6 s).
REGLA = {
    "tiempo_respuesta_maximo": 0.0005,
    "prioridades_escalamiento": ["ALTA"],
    "niveles_escalamiento": 2,
    "notificaciones_automaticas": False,
    "nombre": "Prueba del navegador",
}


class Api:
    """Setup through the REST API (the data the components will show), as each user."""

    def __init__(self, http: aiohttp.ClientSession, servidor: ServidorGuia) -> None:
        self.http = http
        self.servidor = servidor

    def _auth(self, como: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.servidor.tokens[como]}"}

    async def json(self, metodo: str, ruta: str, como: str, cuerpo: Any = None) -> Any:
        """A JSON request; asserts a 2xx answer and returns its body."""
        async with self.http.request(
            metodo, self.servidor.base + ruta, json=cuerpo, headers=self._auth(como)
        ) as r:
            assert r.status < 300, (metodo, ruta, r.status, await r.text())
            return await r.json()

    async def responder(self, ticket: int, mensaje: str, como: str, archivo: str) -> Any:
        """A reply with one file, as the guide's FormData."""
        datos = aiohttp.FormData()
        datos.add_field("mensaje", mensaje)
        datos.add_field("archivo_0", b"contenido de prueba\n", filename=archivo)
        url = f"{self.servidor.base}/api/soporte/tickets/{ticket}/responder/"
        async with self.http.post(url, data=datos, headers=self._auth(como)) as r:
            assert r.status == 201, await r.text()
            return await r.json()


async def _preparar(api: Api) -> dict[str, int]:
    """A ticket with a conversation and files, an urgent case, and an escalating ticket."""
    await api.json("POST", "/api/soporte/escalamiento/reglas/", "admin", REGLA)
    escalando = await api.json(
        "POST",
        "/api/soporte/tickets/",
        "cliente2",
        {
            "asunto": "Sin confirmación de la reserva",
            "categoria": "RESERVAS",
            "prioridad": "ALTA",
            "descripcion": "Pagué y no recibí la confirmación.",
        },
    )
    ticket = await api.json(
        "POST",
        "/api/soporte/tickets/",
        "cliente",
        {
            "asunto": "Factura con datos erróneos",
            "categoria": "PAGOS",
            "prioridad": "MEDIA",
            "descripcion": "El NIF de la factura no es el mío.",
        },
    )
    await api.responder(ticket["id"], "Adjunto la factura recibida.", "cliente", "factura.pdf")
    await api.responder(ticket["id"], "Le enviamos la factura corregida.", "agente", "nueva.pdf")
    await api.json(
        "POST",
        "/api/soporte/casos/",
        "agente",
        {
            "tipo_caso": "INCIDENTE",
            "urgencia": "CRITICA",
            "titulo": "Caída del motor de reservas",
            "descripcion": "Nadie puede reservar.",
            "impacto_estimado": "MASIVO",
        },
    )
    return {"ticket": ticket["id"], "escalando": escalando["id"]}


async def _esperar_escalamiento(api: Api, ticket: int) -> None:
    """Until the escalation scheduler has taken ``ticket`` to its rule's last level."""
    for _ in range(100):
        monitor = await api.json("GET", "/api/soporte/escalamiento/monitor/", "agente")
        if any(
            t["id"] == ticket and t["nivel_escalamiento"] >= 2 for t in monitor["tickets_escalados"]
        ):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"ticket {ticket} not escalated: {monitor}")


async def _abrir(
    browser: Browser, servidor: ServidorGuia, usuario: str, query: str, errores: list[str]
) -> Page:
    """A fresh profile whose localStorage holds ``usuario``'s token, on the guide's page."""
    contexto = await browser.new_context(locale="es-ES", accept_downloads=True)
    contexto.set_default_timeout(ESPERA_MS)
    token = servidor.tokens[usuario]
    await contexto.add_init_script(
        f"if (location.origin === {servidor.origen_pagina!r}) "
        f"localStorage.setItem('authToken', {token!r});"
    )
    page = await contexto.new_page()

    def consola(msg: Any) -> None:
        if msg.type == "error":
            errores.append(f"{usuario}: {msg.text} ({msg.location.get('url')})")

    page.on("console", consola)
    page.on("pageerror", lambda exc: errores.append(f"{usuario}: {exc}"))
    await page.goto(f"{servidor.origen_pagina}/?{query}")
    await page.wait_for_function("window.montado === true")
    return page


async def test_los_componentes_de_la_guia_funcionan_en_chromium(
    servidor_guia: ServidorGuia,
) -> None:
    """Customer and agent pages with every component of the guide, talking to the server."""
    errores: list[str] = []
    async with aiohttp.ClientSession() as http, async_playwright() as pw:
        api = Api(http, servidor_guia)
        ids = await _preparar(api)
        regla = f"MAP localhost:8000 127.0.0.1:{servidor_guia.puerto}"
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--host-resolver-rules={regla}"]
        )
        try:
            await _cliente_y_agente(browser, servidor_guia, api, ids, errores)
        finally:
            await browser.close()
    assert not errores, "errors in the browser:\n" + "\n".join(errores)


async def _cliente_y_agente(
    browser: Browser, servidor: ServidorGuia, api: Api, ids: dict[str, int], errores: list[str]
) -> None:
    cliente = await _abrir(
        browser, servidor, "cliente", f"vista=cliente&ticket={ids['ticket']}", errores
    )

    # ListaTickets: cards "#TK-… - asunto" with the state (its CSS class lower-cased).
    lista = cliente.locator("#lista")
    tarjeta = lista.locator(".ticket-card", has_text="Factura con datos erróneos")
    await expect(tarjeta.locator("h3")).to_have_text(
        re.compile(r"^#TK-\d+ - Factura con datos erróneos$")
    )
    await expect(tarjeta.locator(".estado")).to_have_text("EN_PROGRESO")
    await expect(tarjeta.locator(".estado")).to_have_class("estado en_progreso")
    await expect(tarjeta.locator(".ticket-meta")).to_contain_text("Categoría: PAGOS")
    await expect(tarjeta.locator(".ticket-meta")).not_to_contain_text("Invalid Date")

    async def filtrar(select: int, valor: str, en_url: str) -> list[str]:
        """Choose a filter, wait for its request and for the list; the states shown."""
        async with cliente.expect_response(lambda r: "mis-tickets" in r.url and en_url in r.url):
            await lista.locator("select").nth(select).select_option(valor)
        await expect(lista.locator(".loading")).to_have_count(0)
        return await lista.locator(".ticket-card .estado").all_inner_texts()

    # The guide's own `crearTicket(nuevoTicket)` ran when the page loaded: an ABIERTO ticket.
    assert set(await filtrar(0, "ABIERTO", "estado=ABIERTO&")) == {"ABIERTO"}
    await expect(tarjeta).to_have_count(0)
    assert "EN_PROGRESO" in await filtrar(0, "", "estado=&")
    await expect(tarjeta).to_have_count(1)
    assert await filtrar(1, "TECNICO", "categoria=TECNICO&") == []
    assert await filtrar(1, "PAGOS", "categoria=PAGOS&")
    await expect(tarjeta).to_have_count(1)

    # DetalleTicket: header, conversation with authors, attachment links that download.
    detalle = cliente.locator("#detalle .ticket-detalle")
    await expect(detalle.locator("h2")).to_have_text(
        re.compile(r"^#TK-\d+ - Factura con datos erróneos$")
    )
    await expect(detalle.locator(".prioridad")).to_have_class("prioridad media")
    await expect(detalle.locator(".ticket-info")).not_to_contain_text("Invalid Date")
    respuestas = detalle.locator(".ticket-respuestas .respuesta")
    await expect(respuestas).to_have_count(2)
    await expect(respuestas.nth(0).locator("strong")).to_have_text("Lucía Fernández")
    await expect(respuestas.nth(1).locator("strong")).to_have_text("Carla Ruiz")
    await expect(respuestas.nth(1).locator("p")).to_have_text("Le enviamos la factura corregida.")
    enlace = respuestas.nth(1).locator(".respuesta-archivos a")
    await expect(enlace).to_have_text("nueva.pdf")
    href = await enlace.get_attribute("href") or ""
    assert href.startswith("http://localhost:8000/"), href
    # target="_blank" opens a tab whose navigation turns into a download (Content-Disposition:
    # attachment); Chromium reports it on the page that followed the link.
    async with cliente.expect_download() as descargada:
        await enlace.click()
    descarga = await descargada.value
    assert descarga.suggested_filename == "nueva.pdf"
    assert (await descarga.path()).read_bytes() == b"contenido de prueba\n"

    # ResponderTicket: a message with a file from <input type="file"> → 201.
    formulario = cliente.locator("#detalle form.responder-ticket")
    await formulario.locator("textarea").fill("Gracias, ya la recibí.")
    await formulario.locator("input[type=file]").set_input_files(
        files=[{"name": "recibo.txt", "mimeType": "text/plain", "buffer": b"recibo\n"}]
    )
    async with cliente.expect_response(
        lambda r: "/responder/" in r.url and r.request.method == "POST"
    ) as enviada:
        await formulario.get_by_role("button", name="Enviar Respuesta").click()
    assert (await enviada.value).status == 201
    await cliente.wait_for_function("window.respuestasEnviadas === 1")

    # ChatTicket: "Conectado", then the REST reply just sent arrives as a chat message.
    chat = cliente.locator("#chat .chat-ticket")
    await expect(chat.locator(".chat-status .status")).to_have_text("Conectado")
    await expect(chat.locator(".chat-status .status")).to_have_class("status conectado")
    await expect(chat.locator(".mensaje", has_text="Gracias, ya la recibí.")).to_have_count(1)

    # FAQ: the three FAQs, their categories, an accent-free search, an expanded answer.
    faq = cliente.locator("#faq .faq-container")
    await expect(faq.locator(".faq-item")).to_have_count(3)
    await expect(faq.locator(".faq-category-filter option")).to_have_text(
        ["Todas las categorías", "Pagos", "Reservas"], ignore_case=False
    )
    # Typed key by key, as a person does: the component fetches on every keystroke ("c", "cr",
    # …), and none of those partial queries may fail (the console would show it).
    await faq.locator(".faq-search").press_sequentially("credito", delay=30)
    await expect(faq.locator(".faq-item h3")).to_have_text(
        ["¿Puedo pagar mi reserva con tarjeta de crédito?"]
    )
    await faq.locator(".faq-pregunta").first.click()
    meta = faq.locator(".faq-respuesta .faq-meta")
    await expect(meta).to_contain_text("Categoría: Pagos")
    await expect(meta).to_contain_text(re.compile(r"Útil: \d+ ✓ / \d+ ✗"))

    # FormularioCaso: the default state plus what the user types → 201, onCasoCreado called.
    caso = cliente.locator("#caso form.formulario-caso")
    await caso.locator("input[type=text]").fill("La habitación no coincide con la reserva")
    await caso.locator("textarea").fill("Reservé doble y me dieron individual.")
    async with cliente.expect_response(
        lambda r: r.url.endswith("/api/soporte/casos/") and r.request.method == "POST"
    ) as creado:
        await caso.get_by_role("button", name="Crear Caso").click()
    assert (await creado.value).status == 201
    await cliente.wait_for_function("window.casosCreados.length === 1")
    assert await cliente.evaluate("window.casosCreados[0].tipo_caso") == "CONSULTA"
    await expect(caso.locator("input[type=text]")).to_have_value("")

    # WidgetSoporte inside SoporteProvider: the menu, then the FAQ view.
    widget = cliente.locator("#widget .widget-soporte")
    await widget.locator(".widget-toggle").click()
    await expect(widget.locator(".opcion-menu")).to_have_count(4)
    await widget.get_by_role("button", name=re.compile("Preguntas Frecuentes")).click()
    await expect(widget.locator(".faq-item")).to_have_count(3)

    # The agent, in another browser profile: dashboard, monitor and the same chat.
    await _esperar_escalamiento(api, ids["escalando"])
    agente = await _abrir(
        browser, servidor, "agente", f"vista=agente&ticket={ids['ticket']}", errores
    )
    numeros = agente.locator("#dashboard .stat-number")
    await expect(numeros).to_have_count(4)
    textos = await numeros.all_inner_texts()
    assert re.fullmatch(r"\d+", textos[0]), textos
    assert re.fullmatch(r"\d+(\.\d+)?h", textos[1]), textos
    assert re.fullmatch(r"\d+(\.\d+)?%", textos[2]), textos
    assert re.fullmatch(r"\d+", textos[3]) and int(textos[3]) >= 1, textos
    await expect(agente.locator("#dashboard .ticket-item").first).to_be_visible()
    await expect(agente.locator("#dashboard .ticket-item span").first).to_have_text(
        re.compile(r"^#TK-\d+$")
    )
    urgente = agente.locator("#dashboard .caso-item", has_text="Caída del motor de reservas")
    await expect(urgente.locator(".urgencia")).to_have_class("urgencia critica")
    tablero = await agente.locator("#dashboard").inner_text()
    assert not re.search(r"undefined|NaN|null", tablero), tablero

    alertas = agente.locator("#monitor .alertas .alerta")
    await expect(alertas.first).to_be_visible()
    for clase in await alertas.evaluate_all("els => els.map(e => e.className)"):
        assert clase in {"alerta info", "alerta advertencia", "alerta critica"}, clase
    await expect(agente.locator("#monitor .alerta.critica").first).to_be_visible()
    escalado = agente.locator(
        "#monitor .ticket-escalado", has_text="Sin confirmación de la reserva"
    )
    await expect(escalado).to_contain_text("Nivel: 2")
    await expect(escalado).to_contain_text(re.compile(r"Escalado hace: \S"))
    monitor = await agente.locator("#monitor").inner_text()
    assert not re.search(r"undefined|NaN|Invalid Date", monitor), monitor

    # The agent writes in the chat; the customer's chat shows it, with the agent's name.
    chat_agente = agente.locator("#chat .chat-ticket")
    await expect(chat_agente.locator(".chat-status .status")).to_have_text("Conectado")
    await chat_agente.locator("input[type=text]").fill("¿Le llegó la factura nueva?")
    await chat_agente.get_by_role("button", name="Enviar").click()
    recibido = chat.locator(".mensaje", has_text="¿Le llegó la factura nueva?")
    await expect(recibido.locator("strong")).to_have_text("Carla Ruiz")
    await expect(recibido.locator(".timestamp")).not_to_have_text("Invalid Date")
    await expect(
        chat_agente.locator(".mensaje", has_text="¿Le llegó la factura nueva?")
    ).to_have_count(1)

    # The control: the same call from an origin the server does not allow is blocked by the
    # browser (so the calls above passed the server's own CORS answers, preflights included).
    permitido, ajeno = (
        await _fetch_desde(browser, servidor.origen_pagina),
        await _fetch_desde(browser, servidor.origen_pagina.replace("127.0.0.1", "localhost")),
    )
    assert permitido == "200", permitido
    assert ajeno.startswith("TypeError"), ajeno


async def _fetch_desde(browser: Browser, origen: str) -> str:
    """The status of a guide-style GET (JSON content type → preflight) from ``origen``."""
    contexto = await browser.new_context()
    try:
        page = await contexto.new_page()
        await page.goto(f"{origen}/sin-pagina")  # a 404 page, but on that origin
        return str(
            await page.evaluate(
                """() => fetch('http://localhost:8000/api/soporte/faqs/?activas=true', {
                     headers: {'Content-Type': 'application/json'}
                   }).then(r => String(r.status), e => `${e.name}: ${e.message}`)"""
            )
        )
    finally:
        await contexto.close()
