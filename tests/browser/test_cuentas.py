"""End to end in Chromium: the forgotten-password flow through a real SMTP server (the mail
arrives, its link is opened, the new password logs in) and the profile page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import expect

from core.testing import TEST_PASSWORD, SmtpSink

if TYPE_CHECKING:
    from collections.abc import Iterator

    from core.settings import Settings
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador

NUEVA = "una-clave-nueva-larga"
_ENLACE = re.compile(r"https?://\S+/restablecer/\?token=[\w-]+")


def olvidar_los_400(navegador: Navegador) -> None:
    """Chromium logs every 4xx answer as a console error: the 400s these tests provoke on
    purpose (a wrong current password, a used link) are not page errors."""
    navegador.errores[:] = [e for e in navegador.errores if "status of 400" not in e]


@pytest.fixture
def buzon() -> Iterator[SmtpSink]:
    """The SMTP server of this test (aiosmtpd on loopback)."""
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def soporte_settings(soporte_settings: Settings, buzon: SmtpSink) -> Settings:
    """The kit's settings, mailing through :func:`buzon`."""
    return soporte_settings.model_copy(update={"smtp_url": buzon.url})


async def test_olvido_el_correo_llega_y_su_enlace_cambia_la_contrasena(
    soporte: SoporteClient, navegador: Navegador, buzon: SmtpSink
) -> None:
    await soporte.usuario("ana", nombre="Ana Cliente")
    page = await navegador.pagina()
    await page.goto("/entrar/")
    await page.get_by_role("link", name="¿Olvidaste tu contraseña?").click()
    await expect(page).to_have_url(navegador.base + "/olvido/")
    await page.get_by_label("Correo electrónico").fill("ana@example.test")
    await page.get_by_role("button", name="Enviar enlace").click()
    await expect(page.locator("#olvido-ok")).to_contain_text("te enviaremos un enlace")

    [recibido] = await buzon.wait_for(1)
    assert recibido.rcpt_tos == ("ana@example.test",)
    assert recibido.message["Subject"] == "Restablece tu contraseña de Centro de ayuda"
    texto = recibido.message.get_body(("plain",))
    assert texto is not None
    match = _ENLACE.search(texto.get_content())
    assert match is not None
    enlace = match[0]
    assert enlace.startswith(navegador.base + "/restablecer/?token=")

    await page.goto(enlace)
    # The token leaves the address bar (and the history) as soon as the page has read it.
    await expect(page).to_have_url(navegador.base + "/restablecer/")
    await page.get_by_label("Contraseña nueva").fill(NUEVA)
    await page.get_by_label("Repite la contraseña").fill("otra-distinta-123")
    await page.get_by_role("button", name="Guardar contraseña").click()
    await expect(page.get_by_role("alert")).to_have_text("Las dos contraseñas no coinciden.")
    await page.get_by_label("Repite la contraseña").fill(NUEVA)
    await page.get_by_role("button", name="Guardar contraseña").click()
    await expect(page.locator("#restablecer-ok")).to_have_text(
        "Tu contraseña se ha cambiado. Ya puedes iniciar sesión con ella."
    )

    await page.get_by_role("link", name="Iniciar sesión").last.click()
    await navegador.entrar(page, "ana", NUEVA)
    await expect(page).to_have_url(navegador.base + "/")
    await expect(page.locator("#sesion-nombre")).to_have_text("Ana Cliente")

    # The link worked once: opened again, it is refused with a message.
    await page.goto(enlace)
    await page.get_by_label("Contraseña nueva").fill("y-otra-clave-mas")
    await page.get_by_label("Repite la contraseña").fill("y-otra-clave-mas")
    await page.get_by_role("button", name="Guardar contraseña").click()
    await expect(page.get_by_role("alert")).to_contain_text("ya se usó o caducó")
    olvidar_los_400(navegador)


async def test_perfil_cambia_nombre_y_contrasena(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    await soporte.usuario("ana", nombre="Ana Cliente")
    page = await navegador.pagina()
    await navegador.entrar(page, "ana")
    await page.get_by_role("link", name="Mi perfil").click()
    await expect(page).to_have_url(navegador.base + "/perfil/")
    await expect(page.get_by_label("Correo electrónico")).to_have_value("ana@example.test")

    await page.get_by_label("Nombre", exact=True).fill("Ana Renombrada")
    await page.get_by_label("Contraseña nueva").fill(NUEVA)
    await page.get_by_role("button", name="Guardar cambios").click()
    await expect(page.get_by_role("alert")).to_contain_text("contraseña actual")
    await page.get_by_label("Contraseña actual").fill("no-es-esta")
    await page.get_by_role("button", name="Guardar cambios").click()
    await expect(page.get_by_role("alert")).to_contain_text("La contraseña actual no es correcta.")
    await expect(page.get_by_label("Contraseña actual")).to_have_attribute("aria-invalid", "true")
    olvidar_los_400(navegador)

    await page.get_by_label("Contraseña actual").fill(TEST_PASSWORD)
    await page.get_by_role("button", name="Guardar cambios").click()
    await expect(page.locator("#perfil-ok")).to_have_text(
        "Cambios guardados. Tus otras sesiones se han cerrado."
    )
    await expect(page.locator("#sesion-nombre")).to_have_text("Ana Renombrada")
    # This session goes on; the new password is the one that logs in.
    await page.reload()
    await expect(page.get_by_label("Nombre", exact=True)).to_have_value("Ana Renombrada")
    await page.get_by_role("button", name="Salir").click()
    await page.wait_for_url(re.compile(r"/entrar/"))
    await navegador.entrar(page, "ana", NUEVA)
    await expect(page.locator("#sesion-nombre")).to_have_text("Ana Renombrada")
