"""The extension points of ``escalamiento``: other plugins add escalation policies and notifiers.

These hookspecs are added to the application's plugin manager by ``escalamiento`` itself
(core hook ``register_hookspecs``), so any plugin that ``requires = ("escalamiento",)`` may
implement them with ``from core import hookimpl``. Both fire at build time, once per
application (and once per ``soporte escalar`` command); the results are checked then, so a
broken policy stops the start-up with a message naming its plugin.

Third-party examples live in ``examples/soporte-escalamiento-vip/`` (walked through in
``docs/plugins.md``) and ``examples/soporte-politica-sin-asignar/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.hookspecs import hookspec

if TYPE_CHECKING:
    from collections.abc import Iterable

    from aiohttp import web


@hookspec
def register_escalation_policies(app: web.Application) -> Iterable[Any]:
    """Contribute escalation policies (classes, instantiated without arguments, or instances).

    Fires: at build time, once per application.
    ``app``: the application being built (read the plugin's settings from it, with
    ``core.plugin_settings.plugin_settings``). Implementations may omit it.
    Returns: policies, each with

    - ``name``: unique across every enabled plugin (a duplicate stops the start-up naming both
      plugins); it is what a rule's ``politica`` refers to; at most 100 characters;
    - ``description``: one sentence for ``GET /api/soporte/escalamiento/politicas/`` (a policy
      written before Plugin API v1 may still set ``descripcion``: it is read, with a
      ``DeprecationWarning`` naming the policy and its plugin);
    - ``nivel_objetivo(ticket, regla, ahora) -> int`` (may be ``async``): the level the ticket
      should be at now under ``regla`` (``0``: none). The plugin caps it at the rule's number
      of levels and does everything else — the history row, the ticket's level, the alert,
      the ``ticket_escalado`` event and the notifications — each level exactly once;

    and optionally (subclass :class:`plugins.escalamiento.api.PoliticaBase` to inherit them)

    - ``candidatos(regla, ahora) -> Criterios``: which tickets are worth evaluating, as
      :class:`plugins.escalamiento.api.Criterios` (default: open tickets of the rule's
      priorities and categories); narrow it — ``super().candidatos(regla, ahora).con(...)`` —
      with the criteria tickets serves from its indexes, so a pass never loads every ticket;
      the plugin keeps only ABIERTO/EN_PROGRESO and reads the candidates in batches. Anything
      else (e.g. a query set, as before Plugin API v1) skips the rule, with an error logged;
    - ``periodo(ticket) -> datetime | None``: when the clock that the levels count from
      started (default: the ticket's creation); ``None``: no clock runs, nothing escalates.
      When it changes, the levels start again from 1 for the new period; the ticket keeps its
      highest ``nivel_escalamiento``. Each level is applied only if, under the ticket's row
      lock, the period is still the one evaluated.
    - ``parameters``: a pydantic model class of the policy's per-rule settings. Its JSON Schema
      is listed by ``GET /api/soporte/escalamiento/politicas/`` (the rule editor renders a form
      from it: give fields a ``title`` and a ``description``); a rule's ``parametros`` are
      validated by it (a 400 naming ``parametros.<field>``; unknown names are refused) and
      stored with the defaults filled in; the policy reads them as ``regla.parametros``.
      Anything but a model class stops the start-up.

    Every method gets read-only views, never ORM rows: ``ticket`` is a
    :class:`~plugins.escalamiento.api.TicketVista` (``esperando_desde``, ``prioridad``,
    ``cliente_id``…) and ``regla`` a :class:`~plugins.escalamiento.api.ReglaVista`
    (``regla.limite``, ``regla.total_niveles``, ``regla.calendario`` for business hours with
    :func:`~plugins.escalamiento.api.segundos_habiles`). Import them from
    :mod:`plugins.escalamiento.api`. A policy must not write to the database.
    """
    raise NotImplementedError


@hookspec
def register_notifiers(app: web.Application) -> Iterable[Any]:
    """Contribute notification channels (e-mail, chat, paging…) for escalations.

    Fires: at build time, once per application.
    ``app``: the application being built (read its settings, e.g. a webhook URL, from
    ``app[core.keys.SETTINGS]``). Implementations may omit it.
    Returns: notifiers, each with a unique ``name`` and ``notificar(notificacion)`` (may be
    ``async``), where ``notificacion`` is a
    :class:`~plugins.escalamiento.api.Notificacion` (ticket, level, rule, recipients…).
    They are called after the escalation commits, only for rules with
    ``notificaciones_automaticas``; an exception or a call slower than 30 s is logged and never
    stops the escalation pass. A channel that talks to a slow or flaky service should queue the
    work in the background and return at once, as the built-in ``webhook`` does.

    Optionally a notifier has ``aclose()`` (may be ``async``): called once when the application
    shuts down (after the scheduler stopped) and when ``soporte escalar`` ends — finish or
    cancel the background work there, within a few seconds.
    """
    raise NotImplementedError
