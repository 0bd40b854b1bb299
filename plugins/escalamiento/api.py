"""The public face of ``escalamiento``: for authors of escalation policies and notifiers, and
for other plugins.

Import from this module and from :mod:`plugins.escalamiento.events` only — never from
``models``, ``service`` or ``politicas``, which may change at any time
(``tests/core/test_boundaries.py`` fails on such an import). Everything here is stable within
Plugin API v1, and nothing here is an ORM class:

- **policies** (hook ``register_escalation_policies``, see :mod:`~plugins.escalamiento.hookspecs`):
  the :class:`Politica` protocol, the :class:`PoliticaBase` and :class:`TiempoRespuesta`
  classes to subclass, and what a policy gets: a :class:`TicketVista` and a
  :class:`ReglaVista`; ``candidatos`` returns :class:`Criterios`; business time with
  :func:`segundos_habiles` (a rule's ``calendario`` is a :class:`Horario`);
- **notifiers** (hook ``register_notifiers``): the :class:`Notificador` protocol,
  :class:`Notificacion` and :class:`Destinatario`, and :func:`verificar_firma` for receivers
  of the built-in webhook; :func:`destinatarios_nivel`, the recipients of a rule's level (for
  a plugin that tells them itself, inside the escalation's transaction);
- **running a pass** (tests, commands): :data:`REGISTRO` (the app's registry), :func:`escalar`
  and its result :class:`Escalado`.
"""

from __future__ import annotations

from plugins.escalamiento.events import TicketEscalado
from plugins.escalamiento.horario import Horario, segundos_habiles
from plugins.escalamiento.models import MAX_NIVELES, Nivel
from plugins.escalamiento.notificadores import Destinatario, Notificacion, verificar_firma
from plugins.escalamiento.politicas import (
    REGISTRO,
    Notificador,
    Politica,
    PoliticaBase,
    Registro,
    ReglaVista,
    TiempoRespuesta,
)
from plugins.escalamiento.service import Escalado, destinatarios_nivel, escalar
from plugins.tickets.api import Criterios, TicketVista

__all__ = [
    "MAX_NIVELES",
    "REGISTRO",
    "Criterios",
    "Destinatario",
    "Escalado",
    "Horario",
    "Nivel",
    "Notificacion",
    "Notificador",
    "Politica",
    "PoliticaBase",
    "Registro",
    "ReglaVista",
    "TicketEscalado",
    "TicketVista",
    "TiempoRespuesta",
    "destinatarios_nivel",
    "escalar",
    "segundos_habiles",
    "verificar_firma",
]
