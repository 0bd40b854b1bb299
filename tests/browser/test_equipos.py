"""End to end in Chromium: an admin builds a team and gives a user a team in the console; the
queue filters by team and shows it; the ticket page moves a ticket and assigns a member."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.async_api import expect

from core.auth.models import Equipo, Rol, Usuario

if TYPE_CHECKING:
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador


async def test_equipos_usuarios_cola_y_detalle(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    lucia = await soporte.usuario("lucia", Rol.CLIENTE, nombre="Lucía Cliente")
    await soporte.usuario("ana", Rol.AGENTE, nombre="Ana Agente")
    await soporte.usuario("luis", Rol.AGENTE, nombre="Luis Agente")
    await soporte.usuario("diego", Rol.ADMIN, nombre="Diego Admin")

    admin = await navegador.pagina()
    await navegador.entrar(admin, "diego")
    await admin.get_by_role("link", name="Equipos", exact=True).click()
    await admin.get_by_role("button", name="Nuevo equipo").click()
    await admin.get_by_label("Nombre").fill("Pagos")
    await admin.get_by_label("Categorías que atiende (separadas por comas)").fill("pagos")
    await admin.get_by_label("Miembros (agentes y administradores)").select_option(
        label="Ana Agente (ana, AGENTE)"
    )
    await admin.get_by_role("button", name="Guardar").click()
    fila = admin.locator("#equipos-tabla tr", has_text="Pagos")
    await expect(fila).to_contain_text("PAGOS")
    await expect(fila).to_contain_text("Ana Agente")
    pagos = await Equipo.get(nombre="Pagos")

    # Users: search, then give luis the team.
    await admin.get_by_role("link", name="Usuarios", exact=True).click()
    await admin.get_by_label("Buscar (usuario, nombre o correo)").fill("luis")
    fila_luis = admin.locator("#usuarios-tabla tr", has_text="luis")
    await expect(admin.locator("#usuarios-tabla tr")).to_have_count(1)
    await fila_luis.get_by_role("button", name="Editar").click()
    await admin.get_by_label("Equipos").select_option(label="Pagos")
    await admin.get_by_role("button", name="Guardar").click()
    await expect(fila_luis).to_contain_text("Pagos")
    luis = await Usuario.get(username="luis")
    assert await pagos.miembros.filter(id=luis.id).exists()

    # A PAGOS ticket is routed to the team; the queue shows and filters it.
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(lucia),
        json={"asunto": "Cobro doble", "categoria": "PAGOS", "descripcion": "Dos cargos."},
    )
    ticket = await r.json()
    await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(lucia),
        json={"asunto": "No carga", "categoria": "TECNICO", "descripcion": "Error."},
    )
    await admin.goto("/agente/tickets/")
    await expect(admin.locator("#cola tr")).to_have_count(2)
    await admin.get_by_label("Equipo").select_option(label="Pagos")
    await expect(admin.locator("#cola tr")).to_have_count(1)
    await expect(admin.locator("#cola tr")).to_contain_text("Cobro doble")
    await expect(admin.locator("#cola tr")).to_contain_text("Pagos")

    # The detail: assign a member of the team.
    await admin.goto(f"/agente/tickets/{ticket['id']}/")
    await expect(admin.locator("#ticket-datos")).to_contain_text("Pagos")
    await admin.get_by_label("Asignar a").select_option(label="Ana Agente")
    await admin.get_by_role("button", name="Guardar equipo y asignación").click()
    await expect(admin.locator("#gestion-agente")).to_have_text("Asignado a Ana Agente")
    await admin.get_by_label("Equipo", exact=True).select_option(label="Sin equipo")
    await admin.get_by_role("button", name="Guardar equipo y asignación").click()
    await expect(admin.locator("#ticket-datos")).to_contain_text("Sin equipo")
