"""The escalation part of the dashboard's series: SLA met and breached per day.

"Breached" here is the escalation rules' own verdict: a ticket whose wait for an agent's
answer outlasted a rule's limit got ``nivel_escalamiento > 0``. The counts come from the
tickets' maintained totals (:mod:`plugins.tickets.agregados_periodo`, column ``escalados``),
by the ticket's creation day, within what the agent may see.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.auth.models import Usuario
from core.dashboard import Aporte, Periodo, Serie
from core.i18n import N_
from core.i18n import gettext as _
from plugins.tickets.api import totales_por_dia

D_CUMPLIDO = N_(
    "Tickets creados ese día que no han escalado: ninguna espera de respuesta superó el límite "
    "de una regla de escalamiento (los recientes aún pueden incumplir)."
)
D_INCUMPLIDO = N_(
    "Tickets creados ese día que han escalado al menos un nivel: su espera de una respuesta "
    "superó el límite de una regla de escalamiento."
)


class SeriesEscalamiento(BaseModel):
    """The escalation series of ``GET /api/soporte/dashboard/series/``."""

    sla_cumplido: Serie = Field(description=D_CUMPLIDO)
    sla_incumplido: Serie = Field(description=D_INCUMPLIDO)


async def series(usuario: Usuario, periodo: Periodo) -> Aporte:
    """``sla_cumplido`` and ``sla_incumplido``, one value per day."""
    d = await totales_por_dia(usuario, periodo)
    return Aporte(
        series={
            "sla_cumplido": Serie(
                titulo=_("SLA cumplido"),
                definicion=_(D_CUMPLIDO),
                unidad="",
                grafico="sla",
                valores=[float(x["creados"] - x["escalados"]) for x in d.dias],
            ),
            "sla_incumplido": Serie(
                titulo=_("SLA incumplido"),
                definicion=_(D_INCUMPLIDO),
                unidad="",
                grafico="sla",
                valores=[float(x["escalados"]) for x in d.dias],
            ),
        }
    )
