"""The domain event of the ``escalamiento`` plugin, published after its transaction commits.

Values are plain JSON types (ids, strings), so the event can cross processes unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class TicketEscalado(Event):
    """A ticket reached an escalation level (each level of each clock period fires once).

    ``nivel_anterior`` is the ticket's ``nivel_escalamiento`` before; it may be ``>= nivel``
    when a new waiting period escalates again (the ticket keeps its highest level).
    """

    name: ClassVar[str] = "ticket_escalado"
    ticket_id: int
    nivel: int
    nivel_anterior: int
    regla_id: int | None
    politica: str
    escalamiento_id: int
    alerta_id: int
    alerta_nivel: str
