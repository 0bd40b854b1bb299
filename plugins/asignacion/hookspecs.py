"""The extension point of ``asignacion``: other plugins add assignment policies.

This hookspec is added to the application's plugin manager by ``asignacion`` itself (core hook
``register_hookspecs``), so any plugin that ``requires = ("asignacion",)`` may implement it
with ``from core import hookimpl``. It fires at build time, once per application; the results
are checked then, so a broken policy stops the start-up with a message naming its plugin.

A third-party example lives in ``examples/soporte-asignacion-capacidad/`` (walked through in
``docs/plugins.md``, "Assignment policies").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.hookspecs import hookspec

if TYPE_CHECKING:
    from collections.abc import Iterable

    from aiohttp import web


@hookspec
def register_assignment_policies(app: web.Application) -> Iterable[Any]:
    """Contribute assignment policies (classes, instantiated without arguments, or instances).

    Fires: at build time, once per application.
    ``app``: the application being built (read the plugin's settings from it, with
    ``core.plugin_settings.plugin_settings``). Implementations may omit it.
    Returns: policies, each with

    - ``name``: unique across every enabled plugin (a duplicate stops the start-up naming both
      plugins); it is what ``SOPORTE_ASIGNACION_POLICY`` names; at most 100 characters;
    - ``description``: one sentence for ``GET /api/soporte/asignacion/politicas/``;
    - ``elegir(ticket, agentes, ahora) -> int | None`` (may be ``async``): the id of the agent,
      one of ``agentes``, who gets ``ticket`` now, or ``None`` to leave it unassigned (the
      sweep asks again later). ``agentes`` are already the eligible ones — of the ticket's
      team (else every active agent), below capacity, on shift and, with
      ``SOPORTE_ASIGNACION_REQUIRE_ONLINE``, present — never empty, ordered by id. The plugin
      does everything else: the turn lock that makes the choices of every process see each
      other, the conditional update (a ticket is assigned once), the ``TicketActualizado``
      event (history, notifications) and the agent's round-robin state.

    Every argument is a read-only view, never an ORM row: ``ticket`` is a
    :class:`~plugins.tickets.api.TicketVista`, each agent an
    :class:`~plugins.asignacion.api.AgenteVista` (``abiertos``, ``capacidad``,
    ``ultima_asignacion``, ``asignados``, ``en_linea``…), read under the turn lock. Subclass
    :class:`~plugins.asignacion.api.PoliticaBase` and import from :mod:`plugins.asignacion.api`.
    A policy must not write to the database.
    """
    raise NotImplementedError
