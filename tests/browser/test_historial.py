"""The console's "Historial" timeline on a ticket's detail page: a PATCH made through the API
shows as "Prioridad: Alta → Baja" with its author and channel, and a change made on the page
itself appears without reloading."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.async_api import expect

from core.auth.models import Rol
from tests.plugins.tickets.conftest import crear

if TYPE_CHECKING:
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador


async def test_the_timeline_shows_a_patch_made_through_the_api(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    cliente = await soporte.usuario("ana", nombre="Ana Cliente")
    await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Soporte")
    pablo = await soporte.usuario("pablo", Rol.AGENTE, nombre="Pablo Gil")
    ticket = await crear(soporte, cliente, prioridad="ALTA")

    agente = await navegador.pagina()
    await navegador.entrar(agente, "carla")
    await agente.goto(f"/agente/tickets/{ticket['id']}/")
    historial = agente.locator("#historial .historial-entrada")
    await expect(historial).to_have_count(1)
    await expect(historial.first).to_contain_text("Ticket creado")
    await expect(historial.first).to_contain_text("Ana Cliente")

    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket['id']}/",
        json={"prioridad": "BAJA"},
        headers=soporte.auth(pablo),
    )
    assert r.status == 200, await r.text()
    await agente.reload()
    await expect(historial).to_have_count(2)
    await expect(historial.nth(1)).to_contain_text("Prioridad: Alta → Baja")
    await expect(historial.nth(1)).to_contain_text("Pablo Gil · web")

    # A change on the page reloads the timeline with the ticket.
    await agente.locator("#gestion-estado").select_option("EN_PROGRESO")
    await agente.get_by_role("button", name="Guardar cambios").click()
    await expect(historial).to_have_count(3)
    await expect(historial.nth(2)).to_contain_text("Estado: Abierto → En progreso")
    await expect(historial.nth(2)).to_contain_text("Carla Soporte")
