"""Live delivery: the channel-layer groups, and the frames waiting for their commit.

Notifications are written inside the transaction of their change, but a socket must only hear
about committed data. So the ``in_transaction`` listener leaves the frames of what it wrote in
:class:`Pendientes`, keyed by the event, and the ``after_commit`` listener of the same event
takes them and sends them. A rolled-back event is never published: its frames stay behind and
are dropped after :data:`MAX_PENDIENTES` newer ones (or :data:`VIDA_PENDIENTE` seconds).

A notification's frame travels with its texts as message ids (:data:`TEXTOS`): each of the
recipient's sockets, in whatever process, renders them in its own language and drops the key
(the socket's filter, :mod:`plugins.notificaciones.routes`) — no client ever sees it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from core.api.sockets import frame
from plugins.notificaciones.schemas import NotificacionFrame

if TYPE_CHECKING:
    from core.events import Event
    from core.realtime import ChannelLayer

#: The group of every agent's notification sockets (the ``ticket`` frames).
GRUPO_AGENTES: Final = "notificaciones.agentes"
#: Frames kept for events not committed yet, at most (older ones are rolled-back leftovers).
MAX_PENDIENTES: Final = 10_000
#: Seconds after which a waiting entry is certainly a rolled-back leftover.
VIDA_PENDIENTE: Final = 600.0
#: The key of a live notification frame that carries its texts to the sockets.
TEXTOS: Final = "_textos"


def grupo_usuario(usuario_id: int) -> str:
    """The group of one user's notification sockets (all their tabs, in every process)."""
    return f"notificaciones.usuario.{usuario_id}"


def notificacion_frame(
    notificacion: dict[str, Any], textos: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The socket frame of one notification (a :class:`NotificacionFrame`); with ``textos``
    (``Notificacion.textos``), the group's frame that each socket renders in its language."""
    mensaje = frame(NotificacionFrame.model_validate({"notificacion": notificacion}))
    if textos is not None:
        mensaje[TEXTOS] = textos  # last: the frame still starts with its ``tipo``
    return mensaje


@dataclass
class Pendiente:
    """What one event's ``in_transaction`` listener left for after the commit."""

    evento: Event
    #: ``(usuario_id, its group frame)`` for each in-app notification written
    #: (:func:`notificacion_frame` with its texts).
    notificaciones: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    #: The ticket's customer, for the live ``ticket`` frame (``None``: not a ticket event).
    cliente_id: int | None = None
    creado: float = field(default_factory=time.monotonic)


class Pendientes:
    """The frames of events emitted in a transaction that has not committed yet."""

    def __init__(self) -> None:
        self._por_evento: OrderedDict[int, Pendiente] = OrderedDict()

    def de(self, evento: Event) -> Pendiente:
        """The entry of ``evento`` (created on first use)."""
        clave = id(evento)
        actual = self._por_evento.get(clave)
        if actual is not None and actual.evento is evento:
            return actual
        self._podar()
        nuevo = self._por_evento[clave] = Pendiente(evento)
        return nuevo

    def sacar(self, evento: Event) -> Pendiente | None:
        """Take the entry of ``evento`` (its commit happened), or ``None``."""
        actual = self._por_evento.pop(id(evento), None)
        # The entry holds the event, so its id cannot have been reused meanwhile.
        return actual if actual is not None and actual.evento is evento else None

    def __len__(self) -> int:
        return len(self._por_evento)

    def _podar(self) -> None:
        limite = time.monotonic() - VIDA_PENDIENTE
        while self._por_evento:
            primero = next(iter(self._por_evento.values()))
            if len(self._por_evento) < MAX_PENDIENTES and primero.creado > limite:
                break
            self._por_evento.popitem(last=False)


async def enviar(
    channels: ChannelLayer, pendiente: Pendiente, ticket: dict[str, Any] | None
) -> None:
    """Send a committed event's frames: its notifications to their users, and the ``ticket``
    frame (when given) to the agents and to the ticket's customer."""
    for usuario_id, mensaje in pendiente.notificaciones:
        await channels.group_send(grupo_usuario(usuario_id), mensaje)
    if ticket is not None:
        await channels.group_send(GRUPO_AGENTES, ticket)
        if pendiente.cliente_id is not None:
            await channels.group_send(grupo_usuario(pendiente.cliente_id), ticket)
