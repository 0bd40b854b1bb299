"""The console's "Exportar CSV" buttons download the list the agent is looking at: the queue's
and the cases list's current filters, through a signed link (no token in the download)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from core.auth.models import Rol
from plugins.casos.models import Caso
from plugins.tickets.models import Estado, Ticket
from tests.plugins.casos.ayudas import crear as crear_caso
from tests.plugins.tickets.conftest import crear

if TYPE_CHECKING:
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador


def filas(ruta: str) -> list[dict[str, str]]:
    """The rows of a downloaded CSV (its BOM checked)."""
    datos = Path(ruta).read_bytes()
    assert datos.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(datos.decode("utf-8-sig"), newline="")))


async def test_export_buttons_keep_the_lists_filters(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    lucia = await soporte.usuario("lucia")
    await soporte.usuario("carla", Rol.AGENTE)
    abierto = await crear(soporte, lucia, asunto="Sigue abierto")
    cerrado = await crear(soporte, lucia, asunto="Ya cerrado")
    await Ticket.filter(id=cerrado["id"]).update(estado=Estado.CERRADO)
    urgente = await crear_caso(soporte, lucia, urgencia="CRITICA", titulo="Urgente")
    await crear_caso(soporte, lucia, urgencia="BAJA", titulo="Sin prisa")

    pagina = await navegador.pagina()
    await navegador.entrar(pagina, "carla")
    await pagina.goto("/agente/tickets/")
    await pagina.locator("#filtro-estado").select_option("ABIERTO")
    async with pagina.expect_download() as descarga:
        await pagina.get_by_role("button", name="Exportar CSV").click()
    archivo = await descarga.value
    assert archivo.suggested_filename.startswith("tickets-")
    assert archivo.suggested_filename.endswith(".csv")
    assert [f["numero"] for f in filas(str(await archivo.path()))] == [abierto["numero"]]

    await pagina.goto("/agente/casos/")
    await pagina.locator("#filtro-urgencia").select_option("CRITICA")
    async with pagina.expect_download() as descarga:
        await pagina.get_by_role("button", name="Exportar CSV").click()
    archivo = await descarga.value
    assert archivo.suggested_filename.startswith("casos-")
    [fila] = filas(str(await archivo.path()))
    assert fila["numero"] == urgente["numero"]
    assert await Caso.all().count() == 2
    assert navegador.errores == []
