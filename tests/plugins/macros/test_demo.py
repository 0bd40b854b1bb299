"""The demo macros: idempotent, valid templates that render and apply on a demo ticket."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from plugins.macros import plantillas
from plugins.macros.demo import cargar_demo
from plugins.macros.models import Macro
from plugins.tickets.models import Respuesta

if TYPE_CHECKING:
    from tests.plugins.macros.conftest import Gente

pytestmark = pytest.mark.plugins("tickets", "macros")


async def test_the_demo_macros_load_once_and_apply(gente: Gente) -> None:
    g = gente
    usuarios = {"agente": g.carla, "admin": g.admin}
    await cargar_demo(usuarios)
    await cargar_demo(usuarios)  # idempotent
    macros = await Macro.all().order_by("id")
    assert [(m.ambito, m.nombre) for m in macros] == [
        ("GLOBAL", "Saludo"),
        ("GLOBAL", "Factura reenviada"),
        ("GLOBAL", "Escalar a pagos"),
        ("PERSONAL", "Pedir captura"),
    ]
    assert macros[3].propietario_id == g.carla.id
    ticket = await g.ticket()
    for macro in macros:
        plantillas.validar(macro.mensaje)
        await g.ok(
            "POST", f"/api/soporte/macros/{macro.id}/aplicar/", g.carla,
            json={"ticket_id": ticket["id"]},
        )  # fmt: skip
    textos = [r.mensaje for r in await Respuesta.filter(ticket_id=ticket["id"]).order_by("id")]
    assert textos[0].startswith("Hola Ana Pérez:")
    assert "ana@example.test" in textos[1]
