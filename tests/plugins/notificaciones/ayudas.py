"""Helpers of the notification tests: create tickets and replies through the API."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from core.mail import MAIL_CHANNEL, Mail
from core.outbox import running_outbox
from core.outbox_models import Envio

if TYPE_CHECKING:
    from core.auth.models import Usuario
    from core.testing import SoporteClient

TICKET = {"asunto": "No puedo pagar", "descripcion": "Error al pagar", "categoria": "PAGOS"}
CASO = {
    "tipo_caso": "RECLAMO",
    "urgencia": "ALTA",
    "titulo": "Cobro duplicado",
    "descripcion": "Me cobraron dos veces",
}
BASE = "/api/soporte/notificaciones/"
SOCKET = "/ws/soporte/notificaciones/"


async def crear_ticket(soporte: SoporteClient, cliente: Usuario, **mas: Any) -> dict[str, Any]:
    """A new ticket of ``cliente`` (201)."""
    r = await soporte.post(
        "/api/soporte/tickets/", json={**TICKET, **mas}, headers=soporte.auth(cliente)
    )
    assert r.status == 201, await r.text()
    return await r.json()


async def responder(soporte: SoporteClient, usuario: Usuario, ticket_id: int, texto: str) -> None:
    """``usuario`` replies on the ticket (201)."""
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket_id}/responder/",
        json={"mensaje": texto},
        headers=soporte.auth(usuario),
    )
    assert r.status == 201, await r.text()


async def cambiar(soporte: SoporteClient, usuario: Usuario, ticket_id: int, **cambios: Any) -> None:
    """``usuario`` PATCHes the ticket (200)."""
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket_id}/", json=cambios, headers=soporte.auth(usuario)
    )
    assert r.status == 200, await r.text()


async def lista(soporte: SoporteClient, usuario: Usuario, **query: Any) -> dict[str, Any]:
    """``usuario``'s page of notifications."""
    r = await soporte.get(BASE, params=query, headers=soporte.auth(usuario))
    assert r.status == 200, await r.text()
    return await r.json()


async def tipos(soporte: SoporteClient, usuario: Usuario) -> list[tuple[str, int | None]]:
    """``(tipo, ticket_id)`` of ``usuario``'s notifications, oldest first."""
    pagina = await lista(soporte, usuario, size=100)
    return [(n["tipo"], n["ticket_id"]) for n in reversed(pagina["results"])]


async def correos(para: str | None = None) -> list[dict[str, Any]]:
    """The queued mails as the outbox sends them (payload with its parts rendered, plus
    ``message_id``), oldest first, optionally to one address."""
    outbox = running_outbox()
    assert outbox is not None
    filas = await Envio.filter(canal=MAIL_CHANNEL).order_by("id")
    todos = [
        {**Mail.from_payload(f.payload, f.message_id).rendered(outbox.app).to_payload(),
         "message_id": f.message_id}
        for f in filas
    ]  # fmt: skip
    return [c for c in todos if para is None or c["to"] == [para]]


def con_correo(make_app: Any) -> Any:
    """``make_app`` for apps that mail (a sender, links) every notification: no coalescing,
    so that each reply's mail can be read."""
    return functools.partial(
        make_app,
        public_url="https://ayuda.example.com",
        mail_from="Soporte <soporte@ayuda.example.com>",
        plugin_settings={"notificaciones": {"mail_coalesce_minutes": 0}},
    )


async def crear_caso(soporte: SoporteClient, usuario: Usuario, **mas: Any) -> dict[str, Any]:
    """A new case opened by ``usuario`` (201)."""
    r = await soporte.post(
        "/api/soporte/casos/", json={**CASO, **mas}, headers=soporte.auth(usuario)
    )
    assert r.status == 201, await r.text()
    return await r.json()
