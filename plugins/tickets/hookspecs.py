"""The extension points of ``tickets``: checking the booking ids that tickets and cases refer
to, and the actions of bulk changes.

``tickets`` adds these hookspecs to the application's plugin manager itself (core hook
``register_hookspecs``). The booking system belongs to the host platform, not to soporte, so a
plugin of that platform implements ``validate_reserva`` with ``from core import hookimpl``;
it declares ``requires = ("tickets",)`` or marks the implementation
``@hookimpl(optionalhook=True)`` (without ``tickets`` enabled, nobody declares the hook).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.hookspecs import hookspec

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping

    from core.auth.models import Usuario
    from plugins.tickets.api import AccionLote


@hookspec
def validate_reserva(reserva_id: int, usuario: Usuario) -> str | Awaitable[str | None] | None:
    """Check a booking id that a ticket or case refers to.

    Fires: when a ticket is created with a ``reserva_relacionada``, and when a case is created
    with ``reservas_relacionadas`` (once per id) — ``casos`` does not require ``tickets``: it
    asks this hook when some enabled plugin declares it (``tickets`` is enabled) and otherwise
    stores the ids as given. May be async; called through pluggy, then awaited one by one.
    ``reserva_id``: the id sent by the client. ``usuario``: who is creating the object.
    Returns: ``None`` when the plugin has no objection (or no opinion), or an error message in
    Spanish; any message turns the request into a 400 listing it under the field. Without any
    implementation every id is accepted.
    """


@hookspec
def register_ticket_bulk_actions() -> Mapping[str, AccionLote]:
    """Contribute actions to ``POST /api/soporte/tickets/lote/`` beyond tickets' own.

    Fires: once, when the application starts (``tickets`` collects every plugin's answer).
    Returns: a mapping of action name (a lower-case word, the body's key: ``macro``) to an
    :class:`plugins.tickets.api.AccionLote`. A name tickets already has (``estado``,
    ``prioridad``, ``equipo``, ``agente_asignado``, ``etiquetas_agregar``…) or another plugin
    declared is an error at start-up.
    """
    raise NotImplementedError
