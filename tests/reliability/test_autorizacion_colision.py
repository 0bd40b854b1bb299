"""Authorization of the collision frames, by role: of everything the ticket socket says about
who is viewing and who is writing a note, a customer's socket receives nothing — the socket
row of tests/reliability/test_autorizacion.py (who may join) does not change, what a joined
socket is sent does.

Every role joins the same ticket, asking for ``viendo`` frames as the console does; then
everyone else comes and goes and an agent types a note and a public reply. Each socket's
frames are collected and checked against its role.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from core.auth.models import Rol

pytestmark = pytest.mark.plugins("tickets", "chat")


async def todo(ws: Any, espera: float = 0.4) -> list[dict[str, Any]]:
    """Every frame arriving within ``espera`` seconds."""
    recibidos: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(espera):
            while True:
                msg = await ws.receive()
                if msg.type.name != "TEXT":
                    break
                recibidos.append(json.loads(msg.data))
    except TimeoutError:
        pass
    return recibidos


@pytest.mark.parametrize("rol", [Rol.CLIENTE, Rol.AGENTE, Rol.ADMIN])
async def test_lo_que_recibe_cada_rol(soporte, rol):
    cliente = await soporte.usuario("cliente_a")
    agente = await soporte.usuario("agente", Rol.AGENTE)
    admin = await soporte.usuario("admin", Rol.ADMIN)
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(cliente),
        json={"asunto": "Pago", "categoria": "PAGOS", "descripcion": "No puedo pagar"},
    )
    ticket_id = (await r.json())["id"]
    ruta = f"/ws/soporte/ticket/{ticket_id}/"
    observado = {Rol.CLIENTE: cliente, Rol.AGENTE: agente, Rol.ADMIN: admin}[rol]
    otros = [u for u in (cliente, agente, admin) if u is not observado]
    ws = await soporte.ws(ruta, observado, historial="0", viendo="true")
    await soporte.recibir(ws, "connection_status")
    # Everyone else comes and goes; the staff member among them types a note, then a reply.
    escritor = next(u for u in otros if u.es_agente)
    sockets = [await soporte.ws(ruta, u, historial="0", viendo="true") for u in otros]
    for s in sockets:
        await soporte.recibir(s, "connection_status")
    ws_escritor = sockets[otros.index(escritor)]
    await ws_escritor.send_json({"tipo": "typing", "escribiendo": True, "interna": True})
    await ws_escritor.send_json({"tipo": "typing", "escribiendo": True})
    for s in sockets:
        await s.close()
    frames = await todo(ws)
    tipos = [f["tipo"] for f in frames]
    notas = [f for f in frames if f["tipo"] == "typing" and f["interna"]]
    publicos = [f for f in frames if f["tipo"] == "typing" and not f["interna"]]
    assert len(publicos) == 1  # the public typing reaches every role (the guide shows it)
    if rol is Rol.CLIENTE:
        assert "viendo" not in tipos
        assert notas == []
        assert "presencia" in tipos  # what customers always had
    else:
        assert "viendo" in tipos
        assert len(notas) == 1 and notas[0]["autor_id"] == escritor.id
