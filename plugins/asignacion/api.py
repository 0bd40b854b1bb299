"""The public face of ``asignacion``: for authors of assignment policies, and other plugins.

Import from this module only — never from ``models``, ``service`` or ``politicas``, which may
change at any time (``tests/core/test_boundaries.py`` fails on such an import). Everything
here is stable within Plugin API v1, and nothing here is an ORM class:

- **policies** (hook ``register_assignment_policies``, see :mod:`~plugins.asignacion.hookspecs`):
  the :class:`Politica` protocol, the :class:`PoliticaBase`, :class:`RoundRobin` and
  :class:`MenosAbiertos` classes to subclass, and what a policy gets: a
  :class:`~plugins.tickets.api.TicketVista` and :class:`AgenteVista` s;
- **running it** (tests, commands): :data:`REGISTRO` (the app's registry), :data:`ASIGNADOR`
  (the app's :class:`Asignador`, present when a policy is configured: ``asignar_ticket``,
  ``barrer``), :class:`Barrido` (what a sweep did), :data:`LATIDO` (the app's presence
  :class:`Latido`; ``await app[LATIDO].esperar()``: the socket changes so far are recorded),
  and :func:`marcar_presentes` (record agents as seen, e.g. a plugin with a presence channel
  of its own).
"""

from __future__ import annotations

from plugins.asignacion.politicas import (
    REGISTRO,
    AgenteVista,
    MenosAbiertos,
    Politica,
    PoliticaBase,
    Registro,
    RoundRobin,
)
from plugins.asignacion.service import (
    ASIGNADOR,
    LATIDO,
    Asignador,
    Barrido,
    Latido,
    marcar_presentes,
)
from plugins.tickets.api import TicketVista

__all__ = [
    "ASIGNADOR",
    "LATIDO",
    "REGISTRO",
    "AgenteVista",
    "Asignador",
    "Barrido",
    "Latido",
    "MenosAbiertos",
    "Politica",
    "PoliticaBase",
    "Registro",
    "RoundRobin",
    "TicketVista",
    "marcar_presentes",
]
