"""Demo notifications for ``soporte demo``: a few for the demo customer and agent, loaded once."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from plugins.notificaciones.models import Notificacion
from plugins.notificaciones.reglas import url_ticket
from plugins.notificaciones.service import ahora
from plugins.tickets import api as tickets

if TYPE_CHECKING:
    from core.auth.models import Usuario


async def cargar_demo(usuarios: dict[str, Usuario]) -> None:
    """For the demo customer's three newest tickets: a reply and a state change to the
    customer, a customer reply to the agent (idempotent: nothing if they have any)."""
    cliente, agente = usuarios["cliente"], usuarios["agente"]
    if await Notificacion.filter(usuario_id__in=[cliente.id, agente.id]).exists():
        return
    suyos: list[tickets.TicketVista] = []
    async for lote in tickets.candidatos(tickets.Criterios(estados=None, clientes=("cliente",))):
        suyos += lote
    suyos = sorted(suyos, key=lambda t: t.id, reverse=True)[:3]
    momento = ahora()
    filas = []
    for i, t in enumerate(suyos):
        cuando = momento - timedelta(hours=2 * i + 1)
        filas += [
            Notificacion(
                usuario_id=cliente.id,
                tipo="respuesta_agente",
                titulo=f"Nueva respuesta en {t.numero}",
                mensaje=f"{agente.nombre_visible}: estamos revisando su caso.",
                url=url_ticket(t.id, agente=False),
                ticket_id=t.id,
                leida=i > 0,
                fecha_creacion=cuando,
            ),
            Notificacion(
                usuario_id=agente.id,
                tipo="respuesta_cliente",
                titulo=f"El cliente respondió en {t.numero}",
                mensaje=f"{cliente.nombre_visible}: «{t.asunto[:80]}»",
                url=url_ticket(t.id, agente=True),
                ticket_id=t.id,
                leida=i > 1,
                fecha_creacion=cuando,
            ),
        ]
    await Notificacion.bulk_create(filas)
