"""The labels of the macros' enum values and fields (:mod:`core.labels`), Spanish msgids."""

from __future__ import annotations

from core import labels
from core.i18n import N_

labels.register_values(
    "ambito",
    {"PERSONAL": N_("Personal"), "EQUIPO": N_("Equipo"), "GLOBAL": N_("Global")},
)
labels.register_fields({"ambito": N_("el ámbito"), "texto": N_("el texto")})
