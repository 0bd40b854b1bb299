"""The domain events of the ``tickets`` plugin, published after their transaction commits.

Values are plain JSON types (ids, strings), so the events can cross processes unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class TicketCreado(Event):
    """A customer opened a ticket (``canal``: ``API``, or ``CORREO`` for a ticket opened by
    e-mail — a :class:`core.history.Canal` value, for the history's creation entry)."""

    name: ClassVar[str] = "ticket_creado"
    ticket_id: int
    cliente_id: int
    canal: str = "API"
    # Added later (defaults keep events built the first way valid): what the listeners of
    # every new ticket need, so that none reads the ticket or its customer again inside the
    # creating transaction. ``numero == ""`` means "not carried, read it".
    #: ``TK-000123``.
    numero: str = ""
    asunto: str = ""
    #: ``BAJA``, ``MEDIA``, ``ALTA``.
    prioridad: str = ""
    #: The team routing gave it (``None``: none).
    equipo_id: int | None = None
    #: The name others see of the customer.
    cliente_nombre: str = ""


@dataclass(frozen=True, kw_only=True)
class TicketActualizado(Event):
    """Fields of a ticket changed (PATCH, or the state machine on a reply).

    ``cambios`` maps each changed field to ``[antes, despues]``: enum values as strings, users
    as ids (``agente_asignado``), e.g. ``{"estado": ["ABIERTO", "EN_PROGRESO"]}``.
    ``actor_id``: who made the change (the PATCH's caller, the reply's author); ``None`` for
    the system's own changes (an escalation level) — so that listeners never tell the actor
    about what they did themself.
    ``canal``: where the change came from, a :class:`core.history.Canal` value — ``API`` (a
    PATCH, a reply through ``/responder/``), ``CHAT``, ``CORREO`` (a reply by e-mail),
    ``SISTEMA`` (escalation, assignment policies).
    """

    name: ClassVar[str] = "ticket_actualizado"
    ticket_id: int
    cambios: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None
    canal: str = "API"


@dataclass(frozen=True, kw_only=True)
class RespuestaCreada(Event):
    """A reply was stored, from ``/responder/`` (``canal`` TICKET) or the chat (CHAT)."""

    name: ClassVar[str] = "respuesta_creada"
    ticket_id: int
    respuesta_id: int
    autor_id: int
    canal: str
    # Added later (defaults keep events built the first way valid): what listeners of every
    # reply need, as the reply's transaction left it, so that none of them reads the ticket
    # again (notifications run on each reply). ``numero == ""`` means "not carried, read it".
    #: The ticket's customer.
    cliente_id: int | None = None
    #: The ticket's agent after the reply (``None``: unassigned).
    agente_asignado_id: int | None = None
    #: ``TK-000123``.
    numero: str = ""
    asunto: str = ""
    #: The ticket's state after the reply (``EN_PROGRESO`` after an agent's first reply).
    estado: str = ""
    #: The author's role (``CLIENTE``, ``AGENTE``, ``ADMIN``) and the name others see.
    autor_rol: str = ""
    autor_nombre: str = ""
    #: The reply's text.
    mensaje: str = ""
    #: An internal note (staff only): a listener that tells a customer anything about a reply
    #: skips it (``core.auth.guards.reply_visible``); a note changes no ticket field.
    interna: bool = False
    #: When the reply was stored, ISO 8601 with its offset (``""``: not carried, read it) — with
    #: the fields above, everything the reply's view shows (``tickets.api.respuesta_de``).
    fecha_creacion: str = ""


@dataclass(frozen=True, kw_only=True)
class TicketValorado(Event):
    """The customer rated (or re-rated) a resolved or closed ticket."""

    name: ClassVar[str] = "ticket_valorado"
    ticket_id: int
    puntuacion: int
