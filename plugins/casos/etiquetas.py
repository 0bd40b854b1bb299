"""The labels of the cases' enum values and fields (:mod:`core.labels`), Spanish msgids."""

from __future__ import annotations

from core import labels
from core.i18n import N_

labels.register_values(
    "tipo",
    {
        "CONSULTA": N_("Consulta"),
        "RECLAMO": N_("Reclamo"),
        "SUGERENCIA": N_("Sugerencia"),
        "INCIDENTE": N_("Incidente"),
    },
)
labels.register_values(
    "urgencia",
    {"CRITICA": N_("Crítica"), "ALTA": N_("Alta"), "MEDIA": N_("Media"), "BAJA": N_("Baja")},
)
labels.register_values(
    "impacto",
    {"INDIVIDUAL": N_("Individual"), "MULTIPLE": N_("Múltiple"), "MASIVO": N_("Masivo")},
)
labels.register_values(
    "estado_caso",
    {
        "ABIERTO": N_("Abierto"),
        "EN_INVESTIGACION": N_("En investigación"),
        "RESUELTO": N_("Resuelto"),
        "CERRADO": N_("Cerrado"),
    },
)
labels.register_fields(
    {
        "tipo": N_("el tipo"),
        "urgencia": N_("la urgencia"),
        "impacto": N_("el impacto"),
        "titulo": N_("el título"),
        "resolucion": N_("la resolución"),
    }
)
