"""Chat rules, free of aiohttp: frames, who is in a room, and the per-socket rate limit.

Messages are never broadcast by the socket that received them: the socket stores them through
the tickets plugin's public service (``responder`` with ``canal=CHAT``), and the listener of
``respuesta_creada`` sends the stored reply to the ticket's group. So a chat message and a
``/responder/`` reply travel the same road, and nothing reaches a socket before it is stored.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from core.auth.models import Usuario

#: At most this many messages per socket within :data:`VENTANA_SEGUNDOS`.
MAX_MENSAJES = 20
VENTANA_SEGUNDOS = 10.0


def grupo(ticket_id: int) -> str:
    """The channel-layer group of a ticket's chat."""
    return f"ticket.{ticket_id}"


def usuario_frame(usuario: Usuario) -> dict[str, Any]:
    """How a participant is shown in frames."""
    return {"id": usuario.id, "nombre": usuario.nombre_visible, "rol": str(usuario.rol)}


def mensaje_frame(respuesta: Any) -> dict[str, Any]:
    """A stored reply as a ``mensaje`` frame (``autor`` is a plain string here, by contract)."""
    autor = respuesta.autor
    return {
        "tipo": "mensaje",
        "id": respuesta.id,
        "ticket_id": respuesta.ticket_id,
        "autor": autor.nombre_visible,
        "autor_id": autor.id,
        "rol": str(autor.rol),
        "contenido": respuesta.mensaje,
        "canal": str(respuesta.canal),
        "timestamp": respuesta.fecha_creacion.isoformat(),
    }


def error_frame(codigo: str, detalle: str) -> dict[str, Any]:
    """An error answer; the socket stays open."""
    return {"tipo": "error", "codigo": codigo, "detalle": detalle}


@dataclass
class LimiteMensajes:
    """A sliding-window limit: :data:`MAX_MENSAJES` per :data:`VENTANA_SEGUNDOS`."""

    maximo: int = MAX_MENSAJES
    ventana: float = VENTANA_SEGUNDOS
    _momentos: deque[float] = field(default_factory=deque)

    def permitir(self, ahora: float | None = None) -> bool:
        """Record one message now, or refuse it when the window is full."""
        ahora = time.monotonic() if ahora is None else ahora
        while self._momentos and ahora - self._momentos[0] >= self.ventana:
            self._momentos.popleft()
        if len(self._momentos) >= self.maximo:
            return False
        self._momentos.append(ahora)
        return True


@dataclass
class Salas:
    """Who is connected to which ticket in this process (for ``participantes`` and presence)."""

    _por_ticket: dict[int, dict[web.WebSocketResponse, Usuario]] = field(default_factory=dict)

    def entrar(self, ticket_id: int, ws: web.WebSocketResponse, usuario: Usuario) -> None:
        """Register a socket in a ticket's room."""
        self._por_ticket.setdefault(ticket_id, {})[ws] = usuario

    def salir(self, ticket_id: int, ws: web.WebSocketResponse) -> None:
        """Forget a socket (safe to call twice)."""
        sala = self._por_ticket.get(ticket_id)
        if sala is not None:
            sala.pop(ws, None)
            if not sala:
                del self._por_ticket[ticket_id]

    def participantes(self, ticket_id: int) -> list[dict[str, Any]]:
        """Distinct users connected to a ticket, in arrival order."""
        vistos: dict[int, dict[str, Any]] = {}
        for usuario in self._por_ticket.get(ticket_id, {}).values():
            vistos.setdefault(usuario.id, usuario_frame(usuario))
        return list(vistos.values())

    def sockets_de(self, ticket_id: int, usuario_id: int) -> int:
        """How many sockets of one user are in a ticket's room."""
        return sum(1 for u in self._por_ticket.get(ticket_id, {}).values() if u.id == usuario_id)
