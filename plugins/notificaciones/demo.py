"""Demo notifications for ``soporte demo``: a few for the demo customer and agent, loaded once."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from core.i18n import N_
from plugins.notificaciones.models import Notificacion
from plugins.notificaciones.reglas import url_ticket
from plugins.notificaciones.service import MAX_MENSAJE, MAX_TITULO, ahora
from plugins.notificaciones.textos import Texto, columnas
from plugins.tickets import api as tickets

if TYPE_CHECKING:
    from core.auth.models import Usuario


async def cargar_demo(usuarios: dict[str, Usuario]) -> None:
    """For the demo customer's three newest tickets: a reply and a state change to the
    customer, a customer reply to the agent (idempotent: nothing if they have any); their
    texts read in each demo user's language, as the rules' do."""
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
                **columnas(
                    Texto(N_("Nueva respuesta en {numero}"), {"numero": t.numero}),
                    Texto(
                        N_("{autor}: estamos revisando su caso."),
                        {"autor": agente.nombre_visible},
                    ),
                    largos=(MAX_TITULO, MAX_MENSAJE),
                ),
                url=url_ticket(t.id, agente=False),
                ticket_id=t.id,
                leida=i > 0,
                fecha_creacion=cuando,
            ),
            Notificacion(
                usuario_id=agente.id,
                tipo="respuesta_cliente",
                **columnas(
                    Texto(N_("El cliente respondió en {numero}"), {"numero": t.numero}),
                    Texto(
                        N_("{cliente}: «{asunto}»"),
                        {"cliente": cliente.nombre_visible, "asunto": t.asunto[:80]},
                    ),
                    largos=(MAX_TITULO, MAX_MENSAJE),
                ),
                url=url_ticket(t.id, agente=True),
                ticket_id=t.id,
                leida=i > 1,
                fecha_creacion=cuando,
            ),
        ]
    await Notificacion.bulk_create(filas)
