"""The change history of tickets: recorded with every change, served at ``…/historial/``.

Recording is an ``in_transaction`` listener of the tickets' own events, so that the history
row is written in the transaction of the change: a change that rolls back leaves none, and a
committed change (a PATCH, a reply moving the state, an escalation level, an assignment by a
policy — whoever emits ``TicketActualizado``) always has one. The reading is
:mod:`core.history`'s; who sees which entries is :func:`core.auth.guards.public_change`'s.
"""

from __future__ import annotations

from aiohttp import web

from core.api import TOKEN, Page, Routes
from core.api.history import CambioOut, HistoryQuery, history_page
from core.auth.guards import current_user
from core.events import Listener, current_connection
from core.history import CREADO, record
from plugins.tickets import service
from plugins.tickets.events import TicketActualizado, TicketCreado
from plugins.tickets.models import Estado

#: The ``entidad`` of tickets' history rows.
ENTIDAD = "ticket"

routes = Routes(tag="tickets")


async def ticket_creado(evento: TicketCreado) -> None:
    """The creation entry: by the customer, from the channel it came in by."""
    await record(
        current_connection(),
        entidad=ENTIDAD,
        entidad_id=evento.ticket_id,
        cambios={CREADO: [None, Estado.ABIERTO.value]},
        autor_id=evento.cliente_id,
        canal=evento.canal,
    )


async def ticket_actualizado(evento: TicketActualizado) -> None:
    """One entry per changed field, by the event's actor (``None``: the system)."""
    await record(
        current_connection(),
        entidad=ENTIDAD,
        entidad_id=evento.ticket_id,
        cambios=evento.cambios,
        autor_id=evento.actor_id,
        canal=evento.canal,
    )


#: What ``register_listeners`` subscribes.
LISTENERS = [
    Listener(TicketCreado, ticket_creado, "in_transaction"),
    Listener(TicketActualizado, ticket_actualizado, "in_transaction"),
]


@routes.get(r"/api/soporte/tickets/{id:\d+}/historial/", auth=TOKEN)
async def historial(request: web.Request, id: int, query: HistoryQuery) -> Page[CambioOut]:
    """A ticket's change history, oldest first: agents see every entry, its customer the public
    timeline (creation, state, priority, category, assigned agent); anyone else a 404."""
    usuario = current_user(request)
    await service.obtener_visible(usuario, id)
    return await history_page(request, usuario, ENTIDAD, id, query)
