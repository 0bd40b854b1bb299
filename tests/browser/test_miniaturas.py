"""End to end in Chromium: an image attached by the customer (through the page's own form) shows
as a thumbnail that opens the full image, on the customer's and the agent's ticket pages and in
a case's conversation; a PDF stays a download link."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

import aiohttp
from PIL import Image
from playwright.async_api import expect

from core.auth.models import Rol
from core.testing import token_of

if TYPE_CHECKING:
    from playwright.async_api import Locator

    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador


def png(ancho: int = 900, alto: int = 600) -> bytes:
    """A real PNG, drawn by Pillow."""
    salida = io.BytesIO()
    Image.new("RGB", (ancho, alto), (30, 120, 200)).save(salida, "PNG")
    return salida.getvalue()


async def _es_miniatura_cargada(enlace: Locator, nombre: str) -> None:
    """``enlace`` is a thumbnail that loaded, and it opens the image inline."""
    imagen = enlace.get_by_role("img", name=f"Vista previa de {nombre}")
    await expect(imagen).to_be_visible()
    await expect(imagen).to_have_js_property("complete", True)
    ancho = await imagen.evaluate("img => img.naturalWidth")
    assert 0 < ancho <= 320
    assert "/api/descargas/" in (await enlace.get_attribute("href") or "")


async def test_las_imagenes_se_ven_en_miniatura(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    ana = await soporte.usuario("ana", Rol.CLIENTE, nombre="Ana Cliente")
    await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Soporte")

    cliente = await navegador.pagina()
    await navegador.entrar(cliente, "ana")
    await cliente.goto("/tickets/nuevo/")
    await cliente.get_by_label("Asunto").fill("La pantalla de pago se queda en blanco")
    await cliente.get_by_label("Descripción").fill("Adjunto una captura y el recibo.")
    await cliente.get_by_label("Archivos adjuntos").set_input_files(
        files=[
            {"name": "captura.png", "mimeType": "image/png", "buffer": png()},
            {"name": "recibo.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7 recibo"},
        ]
    )
    await cliente.get_by_role("button", name="Crear ticket").click()
    await cliente.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket_id = int(cliente.url.rstrip("/").rsplit("/", 1)[1])

    miniatura = cliente.locator("#ticket-adjuntos a.miniatura")
    await _es_miniatura_cargada(miniatura, "captura.png")
    recibo = cliente.locator("#ticket-adjuntos a", has_text="recibo.pdf")
    await expect(recibo).to_have_attribute("download", "recibo.pdf")
    await expect(recibo.locator("img")).to_have_count(0)

    # The thumbnail opens the full image in the browser (inline), not a download.
    async with cliente.context.expect_page() as nueva:
        await miniatura.click()
    completa = await nueva.value
    await completa.wait_for_load_state()
    assert await completa.evaluate("document.contentType") == "image/png"
    assert await completa.evaluate("document.images[0].naturalWidth") == 900
    await completa.close()

    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    await agente.goto(f"/agente/tickets/{ticket_id}/")
    await _es_miniatura_cargada(agente.locator("#ticket-adjuntos a.miniatura"), "captura.png")

    # A case's conversation shows an image the same way.
    r = await soporte.post(
        "/api/soporte/casos/",
        headers=soporte.auth(ana),
        json={
            "titulo": "Cobro duplicado",
            "descripcion": "Me cobraron dos veces.",
            "tipo_caso": "INCIDENTE",
            "urgencia": "ALTA",
        },
    )
    assert r.status == 201, await r.text()
    caso = await r.json()
    formulario = aiohttp.FormData()
    formulario.add_field("mensaje", "El extracto del banco")
    formulario.add_field(
        "archivo_0", png(400, 800), filename="extracto.png", content_type="image/png"
    )
    r = await soporte.post(
        f"/api/soporte/casos/{caso['id']}/responder/",
        headers={"Authorization": f"Bearer {token_of(ana)}"},
        data=formulario,
    )
    assert r.status == 201, await r.text()
    await cliente.goto(f"/casos/{caso['id']}/")
    await _es_miniatura_cargada(cliente.locator(".respuesta a.miniatura"), "extracto.png")
