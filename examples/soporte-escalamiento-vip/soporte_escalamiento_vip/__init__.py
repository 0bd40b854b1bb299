"""Plugin ``vip``: the escalation policy ``clientes_vip`` — VIP customers wait half as long.

The VIP customers are the usernames in ``SOPORTE_VIP_CLIENTES`` (``ana,luis``), read when the
application starts.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from core import hookimpl
from plugins.escalamiento.api import TiempoRespuesta, segundos_habiles

if TYPE_CHECKING:
    from datetime import datetime

    from plugins.escalamiento.api import Criterios, ReglaVista, TicketVista

name = "vip"
version = "0.1.0"
requires: tuple[str, ...] = ("escalamiento",)


class ClientesVip(TiempoRespuesta):
    """``tiempo_respuesta`` for VIP customers only, at half the rule's limit."""

    name = "clientes_vip"
    description = "Escala los tickets de clientes VIP a la mitad de tiempo_respuesta_maximo."

    def __init__(self) -> None:
        self.vip = [u.strip() for u in os.getenv("SOPORTE_VIP_CLIENTES", "").split(",")]

    def candidatos(self, regla: ReglaVista, ahora: datetime) -> Criterios:
        """Waiting tickets of VIP customers that have waited at least half the limit."""
        # The parent keeps those that waited a whole limit by its `ahora`: move it half ahead.
        return super().candidatos(regla, ahora + regla.limite / 2).con(clientes=self.vip)

    def nivel_objetivo(self, ticket: TicketVista, regla: ReglaVista, ahora: datetime) -> int:
        """Business seconds waited over half the limit (the plugin caps and applies it)."""
        if ticket.esperando_desde is None:
            return 0
        esperado = segundos_habiles(ticket.esperando_desde, ahora, regla.calendario)
        return int(esperado // (regla.limite.total_seconds() / 2))


@hookimpl
def register_escalation_policies() -> list[type]:
    """The policy ``clientes_vip``."""
    return [ClientesVip]
