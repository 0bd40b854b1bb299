"""The ``sin_asignar`` policy: a ticket nobody has taken climbs one level per limit.

Where ``tiempo_respuesta`` watches the customer's wait for an answer, this one watches
ownership: from the ticket's creation, every ``tiempo_respuesta_maximo`` hours (business hours,
if the rule has a ``horario``) without an ``agente_asignado`` adds a level, whether or not
someone has replied. Assigning an agent stops it; the levels reached stay.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

# A plugin imports only from `core` and from the public `api` of the plugins it requires.
from plugins.escalamiento.api import PoliticaBase, segundos_habiles

if TYPE_CHECKING:
    from plugins.escalamiento.api import Criterios, ReglaVista, TicketVista


class SinAsignar(PoliticaBase):
    """Escalate open tickets of the rule's priorities that have no assigned agent."""

    name: ClassVar[str] = "sin_asignar"
    description: ClassVar[str] = (
        "Escala un nivel por cada tiempo_respuesta_maximo horas (dentro del horario, si lo hay) "
        "que un ticket abierto pasa sin agente asignado, haya respuestas o no."
    )

    def candidatos(self, regla: ReglaVista, ahora: datetime) -> Criterios:
        """Unassigned open tickets created at least one limit ago (cheap, indexed filters)."""
        return (
            super().candidatos(regla, ahora).con(sin_agente=True, creado_hasta=ahora - regla.limite)
        )

    def periodo(self, ticket: TicketVista) -> datetime | None:
        """One clock for the ticket's whole life: from its creation."""
        return ticket.fecha_creacion

    def nivel_objetivo(self, ticket: TicketVista, regla: ReglaVista, ahora: datetime) -> int:
        """``floor(business time since creation / limit)`` while nobody is assigned."""
        if ticket.agente_asignado_id is not None:
            return 0
        transcurrido = segundos_habiles(ticket.fecha_creacion, ahora, regla.calendario)
        return int(transcurrido // regla.limite.total_seconds())
