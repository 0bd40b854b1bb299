"""Hook implementations of the ``escalamiento`` plugin: thin wiring only.

Everything but the hookspecs is imported inside the hooks, so that discovering the plugin
through its entry point (enabled or not) imports nothing but this module.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from core import hookimpl, keys
from core.i18n import N_
from plugins.escalamiento import hookspecs, name, requires, version

if TYPE_CHECKING:
    import random
    from collections.abc import AsyncIterator, Iterable
    from datetime import datetime

    import click
    import pluggy
    from aiohttp import web
    from pydantic import BaseModel

    from core.api.routing import Endpoint
    from core.app import BackgroundContext
    from core.auth.models import Usuario
    from core.dashboard import Aporte, Partes, Periodo
    from core.pages import Page
    from core.synthetic import SyntheticUsers
    from plugins.escalamiento.politicas import Registro
    from plugins.escalamiento.settings import EscalamientoSettings

__all__ = ["name", "requires", "version"]


#: Name of the scheduler's asyncio task (tests and operators can find it by name).
NOMBRE_TAREA = "soporte-escalamiento"


@hookimpl
def register_hookspecs(plugin_manager: pluggy.PluginManager) -> None:
    """Declare ``register_escalation_policies`` and ``register_notifiers`` for other plugins."""
    plugin_manager.add_hookspecs(hookspecs)


@hookimpl
def register_settings() -> type[EscalamientoSettings]:
    """``interval``, ``webhook_url``, ``webhook_secret`` (``SOPORTE_ESCALAMIENTO_*``)."""
    from plugins.escalamiento.settings import EscalamientoSettings

    return EscalamientoSettings


def ajustes(app: web.Application) -> EscalamientoSettings:
    """This plugin's settings on ``app``."""
    from core.plugin_settings import plugin_settings
    from plugins.escalamiento.settings import EscalamientoSettings

    return plugin_settings(app, name, EscalamientoSettings)


def _registro(app: web.Application) -> Registro:
    """The app's policies and notifiers, collected once at build time (duplicates fail here)."""
    from plugins.escalamiento.politicas import REGISTRO, cargar_registro

    if REGISTRO not in app:
        app[REGISTRO] = cargar_registro(app[keys.PLUGINS], app)
    return app[REGISTRO]


@hookimpl
def register_models() -> Iterable[str]:
    """Rules, escalation history and state, alerts."""
    return ["plugins.escalamiento.models"]


@hookimpl
def register_routes(app: web.Application) -> Iterable[Endpoint]:
    """Rules CRUD (ADMIN), monitor, alert acknowledgement and policy list (AGENTE)."""
    from plugins.escalamiento.routes import endpoints

    return endpoints(sorted(_registro(app).politicas))


@hookimpl
def register_escalation_policies() -> Iterable[Any]:
    """The built-in policy ``tiempo_respuesta`` (the contract's rule)."""
    from plugins.escalamiento.politicas import TiempoRespuesta

    return [TiempoRespuesta]


@hookimpl
def register_notifiers(app: web.Application) -> Iterable[Any]:
    """``log`` always; ``webhook`` when ``SOPORTE_ESCALAMIENTO_WEBHOOK_URL`` is set, signing
    with ``SOPORTE_ESCALAMIENTO_WEBHOOK_SECRET`` (default: the key derived from the secret key
    for webhooks — never the secret key itself, which would let a receiver mint links)."""
    from core.keyring import WEBHOOKS, purpose_key
    from plugins.escalamiento.notificadores import notificadores_integrados

    propios = ajustes(app)
    url = propios.webhook_url
    secreto = (propios.webhook_secret or purpose_key(app, WEBHOOKS)) if url else None
    if url:
        # Escalations are domain events (``ticket_escalado``): with the webhooks plugin they
        # go out signed, logged, retried for a day and ordered per ticket. The old notifier
        # keeps working meanwhile, but is deprecated.
        import logging

        logging.getLogger("soporte.escalamiento").warning(
            "SOPORTE_ESCALAMIENTO_WEBHOOK_URL está obsoleto: suscribe esa URL al evento "
            "ticket_escalado (POST /api/soporte/webhooks/, plugin webhooks) y quita el ajuste"
        )
    try:
        return notificadores_integrados(url, secreto)
    except ValueError as exc:
        from core.plugins import PluginError

        raise PluginError(str(exc)) from exc


@hookimpl
def register_background(app: web.Application) -> Iterable[BackgroundContext]:
    """The scheduler: a pass every ``SOPORTE_ESCALAMIENTO_INTERVAL`` seconds (0: none); and,
    when a notifier works in the background (the webhook), its clean-up at shutdown."""
    intervalo = ajustes(app).interval
    registro = _registro(app)
    contextos: list[BackgroundContext] = []

    async def notificadores(app: web.Application) -> AsyncIterator[None]:
        from plugins.escalamiento.service import cerrar_notificadores

        yield
        # Clean-up runs in reverse order: the scheduler (below) has stopped by now, so no new
        # delivery can be queued while these finish.
        await cerrar_notificadores(registro)

    if any(hasattr(r.notificador, "aclose") for r in registro.notificadores.values()):
        contextos.append(notificadores)
    if intervalo <= 0:
        return contextos

    async def programador(app: web.Application) -> AsyncIterator[None]:
        from core.background import running
        from plugins.escalamiento.service import bucle

        trabajo = functools.partial(bucle, app[keys.EVENTS], registro, intervalo)
        # Let a pass in progress finish its transaction; cancel a stuck one.
        async with running(trabajo, name=NOMBRE_TAREA, grace=10):
            yield

    contextos.append(programador)
    return contextos


@hookimpl
def register_commands(cli: click.Group) -> None:
    """``soporte escalar [--once]``."""
    from plugins.escalamiento.comandos import escalar

    cli.add_command(escalar)


@hookimpl
def dashboard_stats_schema() -> type[BaseModel]:
    """``tickets_escalados``, an integer."""
    from plugins.escalamiento.schemas import EstadisticasEscalamiento

    return EstadisticasEscalamiento


@hookimpl
async def dashboard_stats(usuario: Usuario, desde: datetime) -> dict[str, Any]:
    """``tickets_escalados``: open tickets with ``nivel_escalamiento > 0``."""
    from plugins.escalamiento.service import contar_escalados

    return {"tickets_escalados": await contar_escalados()}


@hookimpl
def dashboard_series_schema() -> type[BaseModel]:
    """``sla_cumplido`` and ``sla_incumplido``, per day."""
    from plugins.escalamiento.tablero import SeriesEscalamiento

    return SeriesEscalamiento


@hookimpl
async def dashboard_series(usuario: Usuario, periodo: Periodo, partes: Partes) -> Aporte | None:
    """Tickets created each day that stayed within their escalation limits, and those that
    did not (series: nothing for the tables' request)."""
    from plugins.escalamiento.tablero import series

    return await series(usuario, periodo) if partes.series else None


@hookimpl
async def load_demo_data(usuarios: dict[str, Usuario]) -> None:
    """One business-hours rule for ALTA and MEDIA tickets (idempotent)."""
    from plugins.escalamiento.demo import cargar_demo

    await cargar_demo(usuarios)


@hookimpl
async def generate_synthetic_data(
    usuarios: SyntheticUsers, n_tickets: int, rng: random.Random, ahora: datetime
) -> dict[str, int]:
    """The escalation history the demo rule would have left on the tickets, in bulk."""
    from plugins.escalamiento.demo import generar_sinteticos

    return await generar_sinteticos(usuarios, n_tickets, rng, ahora)


@hookimpl
def register_pages(app: web.Application) -> Iterable[Page]:
    """The escalation monitor (agents) and the rule editor (admins)."""
    from core.auth.models import Rol
    from core.pages import Page

    return [
        Page(
            path="/agente/escalamiento/",
            template="escalamiento/monitor.html",
            title=N_("Monitor de escalamiento"),
            area="agente",
            nav=N_("Escalamiento"),
            order=40,
        ),
        Page(
            path="/agente/escalamiento/reglas/",
            template="escalamiento/reglas.html",
            title=N_("Reglas de escalamiento"),
            area="agente",
            nav=N_("Reglas"),
            order=50,
            rol=Rol.ADMIN,
        ),
    ]
