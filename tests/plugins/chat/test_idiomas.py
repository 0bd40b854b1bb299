"""The chat socket's error frames in its user's language: the profile's, else the upgrade
request's ``Accept-Language``, Spanish by default."""

from __future__ import annotations

import json

import pytest

from core.auth.models import Rol
from tests.plugins.chat.test_chat import MAX_MENSAJES, crear_ticket, enviar, ruta

pytestmark = pytest.mark.plugins("tickets", "chat")

EN = {"Accept-Language": "en-US,en;q=0.8"}


async def abrir(soporte, ticket_id: int, usuario, cabeceras: dict[str, str] | None = None):
    """A chat socket of ``usuario`` opened with ``cabeceras``, past ``connection_status``."""
    ws = await soporte.client.ws_connect(
        ruta(ticket_id), params={"token": usuario.token}, headers=cabeceras or {}
    )
    await soporte.recibir(ws, "connection_status")
    return ws


async def detalle(soporte, ws, frame: str) -> str:
    """The ``detalle`` of the error frame that answers ``frame``."""
    await ws.send_str(frame)
    return (await soporte.recibir(ws, "error"))["detalle"]


@pytest.mark.parametrize(
    ("frame", "ingles", "espanol"),
    [
        ("esto no es json", "The frame is not valid JSON.", "El frame no es JSON válido."),
        (
            '{"tipo": "baile"}',
            "Unknown frame type: 'baile'.",
            "Tipo de frame desconocido: 'baile'.",
        ),
        ('{"tipo": "mensaje", "mensaje": "  "}', "The message is empty.", "El mensaje está vacío."),
        (
            json.dumps({"tipo": "mensaje", "mensaje": "x" * 5001}),
            "The message must be text of 1 to 5000 characters.",
            "El mensaje debe ser texto de 1 a 5000 caracteres.",
        ),
        (
            '{"tipo": "mensaje", "mensaje": "nota", "interna": true}',
            "Only agents can write internal notes.",
            "Solo los agentes pueden escribir notas internas.",
        ),
        (
            '{"tipo": "typing", "escribiendo": "sí"}',
            "'escribiendo' is missing.",
            "Falta 'escribiendo'.",
        ),
    ],
)
async def test_los_errores_en_el_idioma_del_navegador(soporte, frame, ingles, espanol):
    lucia = await soporte.usuario("lucia")
    ticket = await crear_ticket(soporte, lucia)
    en = await abrir(soporte, ticket["id"], lucia, EN)
    es = await abrir(soporte, ticket["id"], lucia)
    assert await detalle(soporte, en, frame) == ingles
    assert await detalle(soporte, es, frame) == espanol
    await en.close()
    await es.close()


async def test_el_perfil_manda_sobre_el_navegador(soporte):
    lucia = await soporte.usuario("lucia")
    agente = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, lucia)
    r = await soporte.patch("/api/auth/yo/", headers=soporte.auth(lucia), json={"idioma": "en"})
    assert r.status == 200
    ws = await abrir(soporte, ticket["id"], lucia, {"Accept-Language": "es"})
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket['id']}/",
        headers=soporte.auth(agente),
        json={"estado": "CERRADO"},
    )
    assert r.status == 200, await r.text()
    await enviar(ws, "¿sigue abierto?")
    error = await soporte.recibir(ws, "error")
    assert error == {
        "tipo": "error",
        "codigo": "ticket_cerrado",
        "detalle": "The ticket is closed: it accepts no replies.",
    }
    await ws.close()


async def test_el_limite_se_describe_en_su_idioma(soporte):
    lucia = await soporte.usuario("lucia")
    ticket = await crear_ticket(soporte, lucia)
    ws = await abrir(soporte, ticket["id"], lucia, EN)
    for i in range(MAX_MENSAJES + 1):
        await enviar(ws, f"m{i}")
    error = await soporte.recibir(ws, "error", espera=10)
    assert error["detalle"] == "Too many messages in this chat: at most 20 every 10 seconds."
    await ws.close()
