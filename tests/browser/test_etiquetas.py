"""End to end in Chromium: an admin curates tags on the "Etiquetas" page; an agent tags a ticket
on its page (autocompleted), sees the chip and the history entry; the queue filters by tag;
a bulk change of two selected tickets shows its per-ticket summary and the queue reloads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.async_api import expect

from core.auth.models import Rol
from core.tags_models import Etiqueta
from plugins.tickets.models import Ticket

if TYPE_CHECKING:
    from playwright.async_api import Dialog

    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador


async def test_etiquetas_y_lote(soporte: SoporteClient, navegador: Navegador) -> None:
    lucia = await soporte.usuario("lucia", Rol.CLIENTE, nombre="Lucía Cliente")
    await soporte.usuario("diego", Rol.ADMIN, nombre="Diego Admin")
    ids = []
    for asunto in ("Cobro doble", "No carga", "Otra cosa"):
        r = await soporte.post(
            "/api/soporte/tickets/",
            headers=soporte.auth(lucia),
            json={"asunto": asunto, "categoria": "PAGOS", "descripcion": "Texto."},
        )
        ids.append((await r.json())["id"])

    admin = await navegador.pagina()
    await navegador.entrar(admin, "diego")
    await admin.get_by_role("link", name="Etiquetas", exact=True).click()
    await admin.get_by_role("button", name="Nueva etiqueta").click()
    await admin.get_by_label("Nombre").fill("Facturación")
    await admin.get_by_role("button", name="Guardar").click()
    await expect(admin.locator("#etiquetas-tabla tr", has_text="Facturación")).to_have_count(1)
    assert await Etiqueta.exists(clave="facturacion")

    # The ticket page: add an existing tag (by another spelling) and a new one.
    await admin.goto(f"/agente/tickets/{ids[0]}/")
    campo = admin.get_by_label("Añadir etiqueta")
    await campo.fill("facturacion")
    await campo.press("Enter")
    await expect(admin.locator("#ticket-etiquetas .chip")).to_have_count(1)
    await campo.fill("VIP")
    await admin.locator("#ticket-etiquetas").get_by_role("button", name="Añadir").click()
    await expect(admin.locator("#ticket-etiquetas .chip")).to_have_count(2)
    await expect(admin.locator("#historial")).to_contain_text(
        "Etiquetas: Facturación → Facturación, VIP"
    )
    await admin.get_by_role("button", name="Quitar la etiqueta VIP").click()
    await expect(admin.locator("#ticket-etiquetas .chip")).to_have_count(1)

    # The queue: the chip on the row, the tag filter.
    await admin.goto("/agente/tickets/")
    await expect(admin.locator("#cola tr")).to_have_count(3)
    await expect(admin.locator(f'#cola tr[data-id="{ids[0]}"] .chip')).to_have_text("Facturación")
    await admin.get_by_label("Etiqueta", exact=True).fill("FACTURACIÓN")
    await admin.get_by_label("Etiqueta", exact=True).press("Enter")
    await expect(admin.locator("#cola tr")).to_have_count(1)
    await admin.get_by_label("Etiqueta", exact=True).fill("")
    await admin.get_by_label("Etiqueta", exact=True).press("Enter")
    await expect(admin.locator("#cola tr")).to_have_count(3)

    # Bulk: select two rows, lower their priority and tag them.
    await expect(admin.locator("#barra-lote")).to_be_hidden()
    for i in ids[1:]:
        await admin.locator(f'#cola tr[data-id="{i}"] input.lote-casilla').check()
    await expect(admin.locator("#lote-cuenta")).to_have_text("2 seleccionados")
    await admin.get_by_label("Cambiar prioridad").select_option("BAJA")
    await admin.locator("#barra-lote").get_by_label("Añadir etiqueta").fill("Lote")
    await admin.get_by_role("button", name="Aplicar").click()
    await expect(admin.locator("#lote-resultado")).to_contain_text("2 de 2 tickets actualizados.")
    await expect(admin.locator("#cola .chip", has_text="Lote")).to_have_count(2)
    for i in ids[1:]:
        assert (await Ticket.get(id=i)).prioridad == "BAJA"
    assert (await Ticket.get(id=ids[0])).prioridad == "MEDIA"

    # "All that match the filter": every ticket of the queue, state moved.
    await admin.locator(f'#cola tr[data-id="{ids[0]}"] input.lote-casilla').check()
    await admin.get_by_label("Seleccionar todos los que coinciden (3)").check()
    await admin.get_by_label("Cambiar estado").select_option("EN_PROGRESO")
    await admin.get_by_role("button", name="Aplicar").click()
    await expect(admin.locator("#lote-resultado")).to_contain_text("3 de 3 tickets actualizados.")
    assert await Ticket.filter(estado="EN_PROGRESO").count() == 3

    # A case: the same editor on its page, the chip in the agents' list.
    r = await soporte.post(
        "/api/soporte/casos/",
        headers=soporte.auth(lucia),
        json={"tipo_caso": "RECLAMO", "urgencia": "ALTA", "titulo": "Cobro", "descripcion": "x"},
    )
    caso = await r.json()
    await admin.goto(f"/agente/casos/{caso['id']}/")
    campo = admin.locator("#caso-etiquetas").get_by_label("Añadir etiqueta")
    await campo.fill("Facturación")
    await campo.press("Enter")
    await expect(admin.locator("#caso-etiquetas .chip")).to_have_text("Facturación×")
    await expect(admin.locator("#caso-historial")).to_contain_text("Etiquetas — → Facturación")
    await admin.goto("/agente/casos/")
    await expect(admin.locator(f'tr[data-id="{caso["id"]}"] .chip')).to_have_text("Facturación")

    # Merging "Lote" into "Facturación" on the admin page (a prompt, then a confirmation).
    async def responder(dialogo: Dialog) -> None:
        await dialogo.accept("facturacion" if dialogo.type == "prompt" else None)

    admin.on("dialog", responder)
    await admin.goto("/agente/etiquetas/")
    await (
        admin.locator("#etiquetas-tabla tr", has_text="Lote")
        .get_by_role("button", name="Fusionar…")
        .click()
    )
    await expect(admin.locator("#etiquetas-tabla tr", has_text="Lote")).to_have_count(0)
    await expect(admin.locator("#etiquetas-tabla tr", has_text="Facturación")).to_contain_text("3")
    assert not await Etiqueta.exists(clave="lote")
    assert navegador.errores == []
