"""End to end in Chromium: an admin writes an escalation rule with everything the API takes —
business hours with a holiday, two named levels with recipients, a third-party policy and its
parameter — edits it, sees it all in the rules table, and a bad value shows the API's own
message next to the field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.async_api import expect

from core.auth.models import Rol
from plugins.escalamiento.models import Regla

if TYPE_CHECKING:
    from playwright.async_api import Page

    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador

# The third-party policy with a parameter is the example plugin `vip` (clientes_vip: fraccion).
pytestmark = pytest.mark.plugins("tickets", "escalamiento", "vip")

REGLAS = "/api/soporte/escalamiento/reglas/"


async def _mensaje_de_la_api(soporte: SoporteClient, admin: Any, campo: str, **cambios: Any) -> str:
    """What the API itself answers for a rule with ``cambios``: the message on ``campo``."""
    body = {
        "tiempo_respuesta_maximo": 2,
        "prioridades_escalamiento": ["ALTA"],
        "niveles_escalamiento": 1,
        "notificaciones_automaticas": True,
        **cambios,
    }
    r = await soporte.post(REGLAS, json=body, headers=soporte.auth(admin))
    assert r.status == 400
    return " ".join((await r.json())["errors"][campo])


async def _guardar(page: Page) -> None:
    await page.get_by_role("button", name="Guardar regla").click()


def _el_400_esperado(navegador: Navegador) -> None:
    """Chromium logs the refused save as a failed resource: exactly one, and no page error."""
    esperado = [e for e in navegador.errores if "status of 400" in e]
    assert len(esperado) == 1, navegador.errores
    navegador.errores.remove(esperado[0])


async def test_editor_completo_de_reglas(soporte: SoporteClient, navegador: Navegador) -> None:
    diego = await soporte.usuario("diego", Rol.ADMIN, nombre="Diego Admin")
    ana = await soporte.usuario("ana", Rol.AGENTE, nombre="Ana Agente")
    luis = await soporte.usuario("luis", Rol.AGENTE, nombre="Luis Agente")

    admin = await navegador.pagina()
    await navegador.entrar(admin, "diego")
    await admin.goto("/agente/escalamiento/reglas/")
    await admin.get_by_role("button", name="Nueva regla").click()
    await admin.get_by_label("Nombre", exact=True).fill("Guardia VIP")
    await admin.get_by_label("Tiempo de respuesta máximo (horas)").fill("2")
    await admin.get_by_label("Media").check()

    # Two named levels with recipients (the editor starts with three).
    await admin.get_by_role("button", name="Quitar el nivel 3").click()
    await expect(admin.locator("#regla-niveles > li")).to_have_count(2)
    await admin.get_by_label("Nombre del nivel 1").fill("Guardia")
    await admin.get_by_label("Destinatarios del nivel 1").select_option(label="Ana Agente (ana)")
    await admin.get_by_label("Nombre del nivel 2").fill("Dirección")
    await admin.get_by_label("Destinatarios del nivel 2").select_option(
        label="Todos los administradores"
    )

    # Business hours: a split day and a holiday.
    await admin.get_by_label("Contar solo el tiempo dentro del horario hábil").check()
    await admin.get_by_label("Zona horaria (IANA)").fill("Europe/Madrid")
    await admin.get_by_label("Fin de la franja 1").fill("14:00")
    await admin.get_by_role("button", name="Añadir franja").click()
    await admin.get_by_label("Inicio de la franja 2").fill("15:00")
    await admin.get_by_label("Fin de la franja 2").fill("18:00")
    await admin.get_by_role("button", name="Añadir festivo").click()
    await admin.get_by_label("Festivo 1").fill("2026-12-25")

    # The third-party policy renders its parameter; a bad value gets the API's message there.
    await admin.get_by_label("Política", exact=True).select_option("clientes_vip")
    fraccion = admin.get_by_label("Fracción del tiempo máximo")
    await expect(fraccion).to_have_value("0.5")
    await fraccion.fill("2")
    await _guardar(admin)
    esperado = await _mensaje_de_la_api(
        soporte, diego, "parametros.fraccion", politica="clientes_vip", parametros={"fraccion": 2}
    )
    error = admin.locator('[data-campo="parametros.fraccion"] .error-campo')
    await expect(error).to_have_text(esperado)
    await expect(fraccion).to_have_attribute("aria-invalid", "true")
    assert await Regla.all().count() == 0
    _el_400_esperado(navegador)
    await fraccion.fill("0.25")
    await _guardar(admin)

    fila = admin.locator("#reglas tr", has_text="Guardia VIP")
    for texto in (
        "Alta, Media",
        "Guardia: Ana Agente",
        "Dirección: Todos los administradores",
        "Europe/Madrid",
        "09:00–14:00, 15:00–18:00",
        "festivos: 2026-12-25",
        "clientes_vip",
        "fraccion: 0.25",
    ):
        await expect(fila).to_contain_text(texto)
    await expect(admin.locator(".error-campo")).to_have_count(0)
    regla = await Regla.get(nombre="Guardia VIP")
    assert regla.niveles_escalamiento == [
        {"nivel": 1, "nombre": "Guardia", "notificar": [ana.id]},
        {"nivel": 2, "nombre": "Dirección", "notificar": ["ADMIN"]},
    ]
    assert regla.horario["intervalos"] == [["09:00", "14:00"], ["15:00", "18:00"]]
    assert regla.horario["festivos"] == ["2026-12-25"]
    assert regla.parametros == {"fraccion": 0.25}

    # Edit: the form comes back filled in; rename level 2 and add a recipient.
    await fila.get_by_role("button", name="Editar").click()
    await expect(admin.get_by_label("Nombre del nivel 1")).to_have_value("Guardia")
    await expect(admin.get_by_label("Festivo 1")).to_have_value("2026-12-25")
    await expect(admin.get_by_label("Fracción del tiempo máximo")).to_have_value("0.25")
    await admin.get_by_label("Nombre del nivel 2").fill("Gerencia")
    await admin.get_by_label("Destinatarios del nivel 2").select_option(
        label=["Todos los administradores", "Luis Agente (luis)"]
    )
    await _guardar(admin)
    await expect(fila).to_contain_text("Gerencia: Todos los administradores, Luis Agente")
    await regla.refresh_from_db()
    assert regla.niveles_escalamiento[1] == {
        "nivel": 2,
        "nombre": "Gerencia",
        "notificar": ["ADMIN", luis.id],
    }

    # A bad working interval: the API's message next to the intervals, nothing saved.
    await fila.get_by_role("button", name="Editar").click()
    await admin.get_by_label("Fin de la franja 1").fill("25:00")
    await _guardar(admin)
    horario = {"zona": "Europe/Madrid", "intervalos": [["09:00", "25:00"], ["15:00", "18:00"]]}
    esperado = await _mensaje_de_la_api(soporte, diego, "horario.intervalos", horario=horario)
    error = admin.locator('[data-campo="horario.intervalos"] .error-campo')
    await expect(error).to_have_text(esperado)
    await expect(admin.get_by_label("Fin de la franja 1")).to_have_attribute("aria-invalid", "true")
    await regla.refresh_from_db()
    assert regla.horario["intervalos"] == [["09:00", "14:00"], ["15:00", "18:00"]]
    _el_400_esperado(navegador)
