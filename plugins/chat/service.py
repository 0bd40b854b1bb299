"""Chat rules, free of aiohttp: frames and who is in a room (rate limits: core.ratelimit).

Messages are never broadcast by the socket that received them: the socket stores them through
the tickets plugin's public service (``responder`` with ``canal=CHAT``), and the listener of
``respuesta_creada`` sends the stored reply to the ticket's group. So a chat message and a
``/responder/`` reply travel the same road, and nothing reaches a socket before it is stored.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from core.api.sockets import frame
from core.auth.models import Rol
from plugins.chat.schemas import CodigoError, ErrorChat, MensajeSaliente, Participante

if TYPE_CHECKING:
    from aiohttp import web

    from core.auth.models import Usuario
    from plugins.tickets.api import RespuestaVista


def grupo(ticket_id: int) -> str:
    """The channel-layer group of a ticket's chat."""
    return f"ticket.{ticket_id}"


def grupo_personal(ticket_id: int) -> str:
    """The staff-only group of a ticket: every agent/admin socket on the ticket joins it, and
    internal notes are sent to it only (a customer's socket is never in it)."""
    return f"ticket.{ticket_id}.personal"


def usuario_frame(usuario: Usuario) -> dict[str, Any]:
    """How a participant is shown in frames (:class:`~plugins.chat.schemas.Participante`)."""
    return frame(Participante(id=usuario.id, nombre=usuario.nombre_visible, rol=usuario.rol))


def mensaje_frame(respuesta: RespuestaVista) -> dict[str, Any]:
    """A stored reply as a ``mensaje`` frame (``autor`` is a plain string here, by contract)."""
    return frame(
        MensajeSaliente(
            id=respuesta.id,
            ticket_id=respuesta.ticket_id,
            autor=respuesta.autor_nombre,
            autor_id=respuesta.autor_id,
            rol=Rol(respuesta.autor_rol),
            contenido=respuesta.mensaje,
            canal=respuesta.canal,
            timestamp=respuesta.fecha_creacion.isoformat(),
            interna=respuesta.interna,
        )
    )


def error_frame(codigo: CodigoError, detalle: str) -> dict[str, Any]:
    """An error answer; the socket stays open."""
    return frame(ErrorChat(codigo=codigo, detalle=detalle))


#: The start of every ``mensaje`` frame as the channel layer serialises it (``tipo`` first).
_PREFIJO_MENSAJE = '{"tipo": "mensaje"'


@lru_cache(maxsize=256)
def id_de_mensaje(texto: str) -> int | None:
    """The reply id of a serialised ``mensaje`` frame, ``None`` for any other frame.

    Cached: one frame sent to a group is the same text for each of its sockets.
    """
    if not texto.startswith(_PREFIJO_MENSAJE):
        return None
    try:
        valor = json.loads(texto).get("id")
    except ValueError:
        return None
    return valor if isinstance(valor, int) else None


@dataclass
class Entregas:
    """The replies one socket has been sent: each reaches it once, and a gap can be replayed.

    A reply can reach a socket twice — by the history replay and live while it joins, or by a
    replay after a channel-layer gap and live — and a frame published while the layer could
    not deliver it never arrives. ``enviados`` drops the former; ``hueco_desde`` (the highest
    id sent when the gap began) says from where to replay the latter.
    """

    ticket_id: int
    enviados: set[int] = field(default_factory=set)
    ultimo: int = 0
    hueco_desde: int | None = None

    def registrar(self, respuesta_id: int) -> bool:
        """Record that ``respuesta_id`` is being sent; ``False`` if it already was."""
        if respuesta_id in self.enviados:
            return False
        self.enviados.add(respuesta_id)
        self.ultimo = max(self.ultimo, respuesta_id)
        return True

    def aceptar(self, texto: str) -> bool:
        """The channel layer's filter: every frame, but a ``mensaje`` already sent."""
        respuesta_id = id_de_mensaje(texto)
        return respuesta_id is None or self.registrar(respuesta_id)

    def abrir_hueco(self) -> None:
        """Frames from other processes stop arriving: remember from where to replay."""
        if self.hueco_desde is None:
            self.hueco_desde = self.ultimo


@dataclass
class Salas:
    """Who is connected to which ticket in this process (for ``participantes`` and presence),
    and what each socket has been sent."""

    _por_ticket: dict[int, dict[web.WebSocketResponse, Usuario]] = field(default_factory=dict)
    _entregas: dict[web.WebSocketResponse, Entregas] = field(default_factory=dict)
    _por_usuario: Counter[int] = field(default_factory=Counter)

    def entrar(self, ticket_id: int, ws: web.WebSocketResponse, usuario: Usuario) -> Entregas:
        """Register a socket in a ticket's room; returns its delivery record."""
        sala = self._por_ticket.setdefault(ticket_id, {})
        if ws not in sala:
            self._por_usuario[usuario.id] += 1
        sala[ws] = usuario
        return self._entregas.setdefault(ws, Entregas(ticket_id))

    def salir(self, ticket_id: int, ws: web.WebSocketResponse) -> None:
        """Forget a socket (safe to call twice)."""
        self._entregas.pop(ws, None)
        sala = self._por_ticket.get(ticket_id)
        if sala is not None:
            usuario = sala.pop(ws, None)
            if usuario is not None:
                self._por_usuario[usuario.id] -= 1
                if self._por_usuario[usuario.id] <= 0:
                    del self._por_usuario[usuario.id]
            if not sala:
                del self._por_ticket[ticket_id]

    def usuario_de(self, ticket_id: int, ws: web.WebSocketResponse) -> Usuario | None:
        """The user of one socket in a ticket's room (``None`` once it left)."""
        return self._por_ticket.get(ticket_id, {}).get(ws)

    def abiertos_de(self, usuario_id: int) -> int:
        """How many sockets one user holds open in this process, over every ticket."""
        return self._por_usuario.get(usuario_id, 0)

    def abrir_hueco(self) -> None:
        """Every socket of this process may miss frames from now on (the layer lost Redis)."""
        for entregas in self._entregas.values():
            entregas.abrir_hueco()

    def con_hueco(self) -> dict[int, list[tuple[web.WebSocketResponse, Entregas]]]:
        """Sockets with a gap to replay, by ticket."""
        por_ticket: dict[int, list[tuple[web.WebSocketResponse, Entregas]]] = {}
        for ws, entregas in list(self._entregas.items()):
            if entregas.hueco_desde is not None:
                por_ticket.setdefault(entregas.ticket_id, []).append((ws, entregas))
        return por_ticket

    def participantes(self, ticket_id: int) -> list[dict[str, Any]]:
        """Distinct users connected to a ticket, in arrival order."""
        vistos: dict[int, dict[str, Any]] = {}
        for usuario in self._por_ticket.get(ticket_id, {}).values():
            vistos.setdefault(usuario.id, usuario_frame(usuario))
        return list(vistos.values())

    def sockets_de(self, ticket_id: int, usuario_id: int) -> int:
        """How many sockets of one user are in a ticket's room."""
        return sum(1 for u in self._por_ticket.get(ticket_id, {}).values() if u.id == usuario_id)
