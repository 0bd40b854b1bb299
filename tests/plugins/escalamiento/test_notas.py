"""Internal notes and escalation: a note does not stop the escalation clock (the customer still
waits for an answer), and the escalation webhook carries no reply text, so no note's."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from plugins.tickets.models import Ticket
from tests.plugins.escalamiento.test_notificadores import SECRETO, Receptor, _con_webhook

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.plugins.escalamiento.ayudas import Kit

pytestmark = pytest.mark.plugins("tickets", "escalamiento")

NOTA = "SECRETO-DE-LA-NOTA: el cliente amenaza con denunciar"


async def test_una_nota_no_para_el_reloj_y_el_webhook_no_la_lleva(
    arrancar: Callable[..., Awaitable[Kit]], aiohttp_server: Callable[..., Any]
) -> None:
    receptor = Receptor(SECRETO)
    kit, webhook = await _con_webhook(arrancar, aiohttp_server, receptor, webhook_secret=SECRETO)
    await kit.regla(niveles_escalamiento=1, nombre="SLA")
    ticket = await kit.ticket(esperando_hace=timedelta(hours=3))
    espera = (await Ticket.get(id=ticket)).esperando_desde
    r = await kit.soporte.post(
        f"/api/soporte/tickets/{ticket}/responder/",
        json={"mensaje": NOTA, "interna": True},
        headers=kit.soporte.auth(kit.agente),
    )
    assert r.status == 201, await r.text()
    assert (await Ticket.get(id=ticket)).esperando_desde == espera
    # Still waiting past the limit: the ticket escalates as if the note were not there.
    assert [e.ticket_id for e in await kit.pasada()] == [ticket]
    await webhook.esperar(5)
    ((_, cuerpo, valida),) = receptor.recibidas
    assert valida and json.loads(cuerpo)["ticket_id"] == ticket
    assert b"SECRETO-DE-LA-NOTA" not in cuerpo
