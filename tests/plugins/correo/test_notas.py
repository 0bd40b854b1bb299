"""Mail in never makes an internal note: an agent's mailed reply is a public reply."""

from __future__ import annotations

import pytest

from core.auth.models import Rol
from core.reply_address import reply_address
from plugins.tickets.models import Respuesta
from tests.plugins.correo.ayudas import arrancar, correo, entregar
from tests.plugins.correo.test_pipeline import nuevo_ticket

pytestmark = pytest.mark.plugins("tickets", "notificaciones", "correo")


async def test_la_respuesta_de_un_agente_por_correo_es_publica(start_app) -> None:
    soporte = await arrancar(start_app)
    carla = await soporte.usuario("carla", Rol.AGENTE)
    _, ticket = await nuevo_ticket(soporte)
    direccion = reply_address(soporte.app, ticket.numero)
    fila = await entregar(
        soporte,
        correo(de="Carla <carla@example.test>", para=direccion, cuerpo="Nota interna: lo miro."),
    )
    respuesta = await Respuesta.get(id=fila.respuesta_id)
    assert respuesta.autor_id == carla.id and respuesta.interna is False
    # Whoever reads it (the customer or an agent), it is part of the public conversation.
    r = await soporte.get(f"/api/soporte/tickets/{ticket.id}/", headers=soporte.auth(carla))
    assert [(x["mensaje"], x["interna"]) for x in (await r.json())["respuestas"]] == [
        ("Nota interna: lo miro.", False)
    ]
