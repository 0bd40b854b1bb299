"""The labels of the escalation's enum values and fields (:mod:`core.labels`), Spanish msgids."""

from __future__ import annotations

from core import labels
from core.i18n import N_

labels.register_values(
    "nivel",
    {"info": N_("Información"), "advertencia": N_("Advertencia"), "critica": N_("Crítica")},
)
labels.register_fields(
    {
        "nivel": N_("el nivel"),
        "politica": N_("la política"),
        "tiempo_respuesta_maximo": N_("el tiempo máximo de respuesta"),
        "prioridades_escalamiento": N_("la lista de prioridades que escalan"),
        "niveles_escalamiento": N_("la lista de niveles de escalamiento"),
        "notificaciones_automaticas": N_("la configuración de notificaciones automáticas"),
    }
)
