"""The labels of the tickets' enum values and fields (:mod:`core.labels`), Spanish msgids."""

from __future__ import annotations

from core import labels
from core.i18n import N_

labels.register_values(
    "estado",
    {
        "ABIERTO": N_("Abierto"),
        "EN_PROGRESO": N_("En progreso"),
        "RESUELTO": N_("Resuelto"),
        "CERRADO": N_("Cerrado"),
    },
)
labels.register_values("prioridad", {"ALTA": N_("Alta"), "MEDIA": N_("Media"), "BAJA": N_("Baja")})
labels.register_values(
    "categoria",
    {
        "TECNICO": N_("Técnico"),
        "RESERVAS": N_("Reservas"),
        "PAGOS": N_("Pagos"),
        "GENERAL": N_("General"),
    },
)
# The core registers the history's channels (API, CHAT, CORREO, SISTEMA); a reply may also
# come from the ticket form.
labels.register_values("canal", {"TICKET": N_("Formulario")})
labels.register_fields(
    {
        "asunto": N_("el asunto"),
        "descripcion": N_("la descripción"),
        "categoria": N_("la categoría"),
        "prioridad": N_("la prioridad"),
        "estado": N_("el estado"),
        "contenido": N_("el contenido"),
        "mensaje": N_("el mensaje"),
        "agente_asignado": N_("el agente asignado"),
        "puntuacion": N_("la puntuación"),
        "comentario": N_("el comentario"),
        "canal": N_("el canal"),
        "interna": N_("la marca de nota interna"),
        "forzar": N_("la opción de forzar"),
        "ids": N_("la lista de tickets"),
        "acciones": N_("la lista de acciones"),
        "etiquetas_agregar": N_("la lista de etiquetas que agregar"),
        "etiquetas_quitar": N_("la lista de etiquetas que quitar"),
    }
)
