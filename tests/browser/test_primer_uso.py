"""What a new customer and a new agent tripped on (issue 20), in Chromium: each test walks the
pages where it happened and fails on the old behaviour."""

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


async def crear(
    soporte: SoporteClient, ruta: str, usuario: Usuario, **datos: Any
) -> dict[str, Any]:
    """POST ``datos`` to ``ruta`` as ``usuario``; the created object."""
    r = await soporte.post(ruta, json=datos, headers=soporte.auth(usuario))
    assert r.status == 201, await r.text()
    creado: dict[str, Any] = await r.json()
    return creado


async def crear_ticket(soporte: SoporteClient, cliente: Usuario, asunto: str) -> dict[str, Any]:
    return await crear(
        soporte,
        "/api/soporte/tickets/",
        cliente,
        asunto=asunto,
        categoria="GENERAL",
        descripcion="Texto.",
    )


async def test_detalle_sin_insignia_null_y_respuesta_con_archivo_completa_en_vivo(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """No literal ``null`` badge; a reply sent with "Responder" and a file shows its file and
    no "chat" label at once, though the chat socket's frame (no files) may arrive first."""
    ana = await soporte.usuario("ana", Rol.CLIENTE, nombre="Ana Cliente")
    await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Soporte")
    ticket = await crear_ticket(soporte, ana, "Un ticket sin escalar")

    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    await agente.goto(f"/agente/tickets/{ticket['id']}/")
    await expect(agente.locator("#chat-ticket .status")).to_have_text("Conectado")
    insignias = agente.locator("#ticket-insignias")
    await expect(insignias).to_contain_text("Abierto")
    assert "null" not in (await insignias.inner_text())

    form = agente.locator("#form-responder")
    await form.locator("#respuesta-mensaje").fill("Adjunto la factura corregida.")
    await form.get_by_label("Archivos adjuntos").set_input_files(
        files=[{"name": "factura.txt", "mimeType": "text/plain", "buffer": b"total 10\n"}]
    )
    await form.locator("button[type=submit]").click()
    burbuja = agente.locator("#conversacion article", has_text="Adjunto la factura corregida.")
    await expect(burbuja.locator(".adjuntos a")).to_have_text("factura.txt")
    await expect(burbuja.locator(".canal")).to_have_count(0)
    await expect(burbuja).to_have_count(1)
    # And the customer, who only got the socket's frame live, sees the same after a reload.
    cliente = await navegador.pagina()
    await navegador.entrar(cliente, "ana")
    await cliente.goto(f"/tickets/{ticket['id']}/")
    otra = cliente.locator("#conversacion article", has_text="Adjunto la factura corregida.")
    await expect(otra.locator(".adjuntos a")).to_have_text("factura.txt")
    assert "null" not in (await cliente.locator("#ticket-insignias").inner_text())


async def test_pagina_404_en_el_layout_y_favicon(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    page = await navegador.pagina()
    respuesta = await page.goto("/esto-no-existe/")
    assert respuesta is not None and respuesta.status == 404
    assert respuesta.headers["content-type"].startswith("text/html")
    await expect(page.get_by_role("heading", name="Página no encontrada")).to_be_visible()
    await expect(page.locator("header.cabecera")).to_be_visible()
    await page.get_by_role("link", name="Ir al inicio").click()
    await page.wait_for_url(navegador.base + "/")
    icono = page.locator('link[rel="icon"]').first
    assert await icono.get_attribute("href") == "/favicon.ico"
    r = await page.request.get("/favicon.ico")
    assert r.status == 200 and r.headers["content-type"].startswith("image/")


def _se_cruzan(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


async def controles_tapados(page: Page) -> list[str]:
    """The visible controls any notice (#avisos) overlaps."""
    avisos = await page.locator("#avisos .aviso").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; })"
    )
    assert avisos, "no notice shown"
    controles = await page.evaluate(
        """() => [...document.querySelectorAll('a, button, input, select, textarea')]
          .filter(e => !e.closest('#avisos') && e.offsetParent !== null)
          .map(e => { const r = e.getBoundingClientRect();
            return {x: r.x, y: r.y, width: r.width, height: r.height,
                    nombre: e.id || e.name || e.textContent.trim().slice(0, 30)}; })
          .filter(r => r.width > 0 && r.height > 0 && r.y < innerHeight && r.y + r.height > 0)"""
    )
    return [c["nombre"] for c in controles if any(_se_cruzan(a, c) for a in avisos)]


async def test_avisos_sin_tapar_controles_y_pestanas_de_la_consola_a_390_px(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    ana = await soporte.usuario("ana", Rol.CLIENTE)
    await soporte.usuario("diego", Rol.ADMIN, nombre="Diego Admin")
    ticket = await crear_ticket(soporte, ana, "Cambiar el estado desde la cola")
    for ancho, alto in ((1280, 800), (390, 844)):
        page = await navegador.pagina(ancho=ancho, alto=alto)
        await navegador.entrar(page, "diego")
        await page.goto("/agente/tickets/")
        await page.get_by_label(f"Estado de {ticket['numero']}").select_option("EN_PROGRESO")
        await expect(page.locator("#avisos .aviso")).to_contain_text("actualizado")
        assert await controles_tapados(page) == [], ancho
        if ancho == 390:
            # Every tab of the console in sight: none clipped past the screen's edge.
            enlaces = page.locator(".navegacion a")
            assert await enlaces.count() >= 6
            for i in range(await enlaces.count()):
                enlace = enlaces.nth(i)
                if not await enlace.is_visible():
                    continue  # an admin-only tab hidden for this role
                caja = await enlace.bounding_box()
                assert caja is not None and caja["x"] >= 0 and caja["x"] + caja["width"] <= 390, (
                    await enlace.inner_text()
                )
            ancho_pagina = await page.evaluate("document.documentElement.scrollWidth")
            assert ancho_pagina <= 390


async def test_filtros_busqueda_y_pagina_en_la_url_con_vuelta_atras(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    ana = await soporte.usuario("ana", Rol.CLIENTE)
    await soporte.usuario("carla", Rol.AGENTE)
    for i in range(23):
        await crear_ticket(soporte, ana, f"Consulta número {i:02}")
    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    await agente.goto("/agente/tickets/")
    filas = agente.locator("#cola tr")
    await expect(filas).to_have_count(20)
    await agente.get_by_role("button", name="Siguiente →").click()
    await expect(agente).to_have_url(re.compile(r"/agente/tickets/\?page=2$"))
    await expect(filas).to_have_count(3)
    await agente.go_back()
    await expect(agente).to_have_url(navegador.base + "/agente/tickets/")
    await expect(filas).to_have_count(20)
    await agente.get_by_label("Estado", exact=True).select_option("ABIERTO")
    await agente.get_by_label("Buscar").fill("número 07")
    await expect(filas).to_have_count(1)
    consulta = await agente.evaluate("Object.fromEntries(new URLSearchParams(location.search))")
    assert consulta == {"estado": "ABIERTO", "q": "número 07"}, consulta
    await agente.reload()
    await expect(agente.get_by_label("Buscar")).to_have_value("número 07")
    await expect(agente.get_by_label("Estado", exact=True)).to_have_value("ABIERTO")
    await expect(filas).to_have_count(1)

    # The customer's list and the FAQ keep theirs too.
    cliente = await navegador.pagina()
    await navegador.entrar(cliente, "ana")
    await cliente.goto("/tickets/?estado=CERRADO")
    await expect(cliente.get_by_label("Estado")).to_have_value("CERRADO")
    await expect(cliente.get_by_text("No tienes tickets con estos filtros.")).to_be_visible()
    await cliente.get_by_label("Estado").select_option("")
    await expect(cliente).to_have_url(navegador.base + "/tickets/")
    await cliente.go_back()
    await expect(cliente.get_by_label("Estado")).to_have_value("CERRADO")
    await cliente.goto("/faq/")
    await cliente.get_by_label("Buscar", exact=True).fill("reserva")
    await expect(cliente).to_have_url(re.compile(r"/faq/\?q=reserva$"))
    await cliente.goto("/casos/?estado=ABIERTO")
    await expect(cliente.get_by_label("Estado")).to_have_value("ABIERTO")


async def test_categoria_por_defecto_casos_urgentes_enlazados_y_buscador_en_el_inicio(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    ana = await soporte.usuario("ana", Rol.CLIENTE)
    await soporte.usuario("carla", Rol.AGENTE)
    caso = await crear(
        soporte,
        "/api/soporte/casos/",
        ana,
        tipo_caso="RECLAMO",
        urgencia="CRITICA",
        titulo="Cobro duplicado",
        descripcion="Me cobraron dos veces.",
    )
    await crear(
        soporte,
        "/api/soporte/faqs/",
        await soporte.usuario("diego", Rol.ADMIN),
        pregunta="¿Cómo cancelo una reserva?",
        respuesta="Desde Mis reservas, con el botón Cancelar.",
        categoria="Reservas",
    )

    # Anonymous: the home has an FAQ search, answered by the FAQ search API as one types.
    visitante = await navegador.pagina()
    await visitante.goto("/")
    await visitante.get_by_role("search").get_by_label("Buscar").fill("cancelo")
    await expect(visitante.locator("#inicio-faq-resultados")).to_contain_text(
        "¿Cómo cancelo una reserva?"
    )
    await visitante.get_by_role("search").get_by_label("Buscar").press("Enter")
    await visitante.wait_for_url(re.compile(r"/faq/\?q=cancelo$"))
    await expect(visitante.locator("#faq-lista")).to_contain_text("¿Cómo cancelo una reserva?")

    # One default category for a new ticket, on its page and in the widget.
    cliente = await navegador.pagina()
    await navegador.entrar(cliente, "ana")
    await cliente.goto("/tickets/nuevo/")
    pagina = await cliente.locator("#ticket-categoria").input_value()
    prioridad = await cliente.locator("#ticket-prioridad").input_value()
    await cliente.get_by_role("button", name="Abrir ayuda").click()
    await cliente.locator("#widget-menu").get_by_text("Crear Ticket").click()
    await expect(cliente.locator("#widget-categoria")).to_have_value(pagina)
    await expect(cliente.locator("#widget-prioridad")).to_have_value(prioridad)
    assert (pagina, prioridad) == ("GENERAL", "MEDIA")

    # The dashboard's urgent cases are links to each case.
    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    enlace = agente.locator("#panel-casos-urgentes a", has_text="Cobro duplicado")
    await expect(enlace).to_have_attribute("href", f"/agente/casos/{caso['id']}/")
    await enlace.click()
    await agente.wait_for_url(re.compile(rf"/agente/casos/{caso['id']}/$"))


async def test_lo_enviado_o_escrito_antes_de_que_la_pagina_escuche_no_se_pierde(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """A page's module awaits the session before it listens. A form sent before then used to be
    the browser's own GET of the page (every field in the address, the files lost), and a
    search typed then was never run. With the session held back on purpose: the new ticket's
    form is held and sent once the page listens, and the FAQ search typed meanwhile runs."""
    import asyncio

    await soporte.usuario("ana", Rol.CLIENTE)
    cliente = await navegador.pagina()
    await navegador.entrar(cliente, "ana")
    soltar = asyncio.Event()

    async def retener(ruta: Any) -> None:
        await soltar.wait()
        await ruta.continue_()

    await cliente.route("**/api/auth/yo/", retener)
    await cliente.goto("/tickets/nuevo/")
    await cliente.get_by_label("Asunto").fill("Enviado antes de tiempo")
    await cliente.get_by_label("Descripción").fill("La página aún no escuchaba.")
    await cliente.get_by_role("button", name="Crear ticket").click()
    await cliente.wait_for_timeout(500)
    assert "asunto=" not in cliente.url and cliente.url.endswith("/tickets/nuevo/")
    soltar.set()
    await cliente.wait_for_url(re.compile(r"/tickets/\d+/$"))
    await expect(cliente.locator("#ticket-titulo")).to_contain_text("Enviado antes de tiempo")

    soltar.clear()
    await cliente.goto("/faq/")
    await cliente.get_by_label("Buscar", exact=True).fill("reserva")
    await cliente.wait_for_timeout(500)
    soltar.set()
    await expect(cliente).to_have_url(re.compile(r"/faq/\?q=reserva$"))


async def test_lo_escrito_en_un_filtro_antes_de_que_la_lista_lea_la_direccion_se_queda(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    """A list page fills its filters from the address once it is ready, which is after the
    session (and, for the FAQ, the categories) arrive. What the user typed into a filter before
    then used to be overwritten with the address's value (empty), the search lost. Now it stays,
    the address takes it, and the first load already applies it: in the agents' queue (which
    starts listening only after the session) and in the FAQ (whose search is debounced)."""
    import asyncio

    ana = await soporte.usuario("ana", Rol.CLIENTE)
    await soporte.usuario("carla", Rol.AGENTE)
    for i in range(3):
        await crear_ticket(soporte, ana, f"Consulta número {i:02}")
    soltar = asyncio.Event()

    async def retener(ruta: Any) -> None:
        await soltar.wait()
        await ruta.continue_()

    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    await agente.route("**/api/auth/yo/", retener)
    await agente.goto("/agente/tickets/?estado=ABIERTO&page=2")
    await agente.get_by_label("Buscar").fill("número 01")
    soltar.set()
    # Until the page is ready the table holds one "loading" row: wait for the ticket itself.
    await expect(agente.locator("#cola")).to_contain_text("Consulta número 01")
    await expect(agente.locator("#cola tr")).to_have_count(1)
    await expect(agente.get_by_label("Buscar")).to_have_value("número 01")
    # The address's own filter still applies where the user changed nothing; the page is the
    # first one again, since the filters changed.
    await expect(agente.get_by_label("Estado", exact=True)).to_have_value("ABIERTO")
    consulta = await agente.evaluate("Object.fromEntries(new URLSearchParams(location.search))")
    assert consulta == {"estado": "ABIERTO", "q": "número 01"}, consulta

    # The FAQ: typed and released at once, so the address is read before the debounced search.
    soltar.clear()
    await agente.unroute("**/api/auth/yo/")
    await agente.route("**/api/soporte/faqs/categorias/", retener)
    await agente.goto("/faq/")
    await agente.get_by_label("Buscar", exact=True).fill("reserva")
    soltar.set()
    await expect(agente).to_have_url(re.compile(r"/faq/\?q=reserva$"))
    await expect(agente.get_by_label("Buscar", exact=True)).to_have_value("reserva")
