"""Hook implementations of the ``asignacion`` plugin: thin wiring only.

Everything but the hookspecs is imported inside the hooks, so that discovering the plugin
through its entry point (enabled or not) imports nothing but this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import hookimpl, keys
from plugins.asignacion import hookspecs, name, requires, version

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    import pluggy
    from aiohttp import web

    from core.api.routing import Endpoint
    from core.events import Listener
    from core.plugin_contract import BackgroundContext
    from plugins.asignacion.politicas import Registro
    from plugins.asignacion.service import Asignador
    from plugins.asignacion.settings import AsignacionSettings

__all__ = ["name", "requires", "version"]

#: Names of the asyncio tasks (tests and operators can find them by name).
NOMBRE_BARRIDO = "soporte-asignacion-barrido"
NOMBRE_LATIDO = "soporte-asignacion-presencia"


@hookimpl
def register_hookspecs(plugin_manager: pluggy.PluginManager) -> None:
    """Declare ``register_assignment_policies`` for other plugins."""
    plugin_manager.add_hookspecs(hookspecs)


@hookimpl
def register_settings() -> type[AsignacionSettings]:
    """``policy``, ``capacity``, ``require_online``, ``reassign_off_shift``,
    ``sweep_seconds``, ``presence_seconds`` (``SOPORTE_ASIGNACION_*``)."""
    from plugins.asignacion.settings import AsignacionSettings

    return AsignacionSettings


def ajustes(app: web.Application) -> AsignacionSettings:
    """This plugin's settings on ``app``."""
    from core.plugin_settings import plugin_settings
    from plugins.asignacion.settings import AsignacionSettings

    return plugin_settings(app, name, AsignacionSettings)


def _registro(app: web.Application) -> Registro:
    """The app's policies, collected once at build time (duplicates fail here)."""
    from plugins.asignacion.politicas import REGISTRO, cargar_registro

    if REGISTRO not in app:
        app[REGISTRO] = cargar_registro(app[keys.PLUGINS], app)
    return app[REGISTRO]


def asignador(app: web.Application) -> Asignador | None:
    """The app's assigner, or ``None`` when no policy is configured (nothing is assigned).

    A ``policy`` no enabled plugin registers stops the start-up, naming the ones there are.
    """
    from plugins.asignacion.service import ASIGNADOR, Asignador

    if ASIGNADOR in app:
        return app[ASIGNADOR]
    propios = ajustes(app)
    if not propios.policy:
        return None
    registro = _registro(app)
    registrada = registro.politicas.get(propios.policy)
    if registrada is None:
        from core.plugins import PluginError

        raise PluginError(
            f"SOPORTE_ASIGNACION_POLICY={propios.policy!r} is not a registered assignment "
            f"policy (registered: {', '.join(sorted(registro.politicas)) or 'none'})"
        )
    app[ASIGNADOR] = Asignador(app[keys.EVENTS], registrada.politica, propios)
    return app[ASIGNADOR]


@hookimpl
def register_models() -> Iterable[str]:
    """Per-agent settings and turn, presence, the turn counter."""
    return ["plugins.asignacion.models"]


@hookimpl
def register_routes(app: web.Application) -> Iterable[Endpoint]:
    """Per-agent settings (ADMIN) and the policy list (AGENTE)."""
    from plugins.asignacion.routes import routes

    _registro(app)
    return routes.endpoints


@hookimpl
def register_assignment_policies() -> Iterable[Any]:
    """The built-in policies ``round_robin`` and ``menos_abiertos``."""
    from plugins.asignacion.politicas import MenosAbiertos, RoundRobin

    return [RoundRobin, MenosAbiertos]


@hookimpl
def register_listeners(app: web.Application) -> Iterable[Listener]:
    """With a policy: every new ticket is assigned once its creation commits."""
    from core.events import Listener
    from plugins.tickets.events import TicketCreado

    def al_crear(evento: TicketCreado) -> Any:
        trabajo = asignador(app)
        return None if trabajo is None else trabajo.asignar_ticket(evento.ticket_id)

    # Subscribed only with a policy: with the default (off) ticket creation does no more work.
    return [Listener(TicketCreado, al_crear)] if ajustes(app).policy else []


@hookimpl
def register_background(app: web.Application) -> Iterable[BackgroundContext]:
    """With a policy: the sweep every ``sweep_seconds`` (0: none) and the presence heartbeat."""
    trabajo = asignador(app)
    if trabajo is None:
        return []
    contextos: list[BackgroundContext] = []

    async def presencia(app: web.Application) -> AsyncIterator[None]:
        from core.background import running
        from plugins.asignacion.service import LATIDO, Latido

        latido = Latido(app[keys.SESSIONS], trabajo.ajustes.presence_seconds)
        app[LATIDO] = latido
        app[keys.SESSIONS].on_presence(latido.cambio)
        async with running(latido.bucle, name=NOMBRE_LATIDO, grace=2):
            yield
        await latido.esperar()

    contextos.append(presencia)
    if trabajo.ajustes.sweep_seconds > 0:

        async def barrido(app: web.Application) -> AsyncIterator[None]:
            from core.background import running

            async with running(trabajo.bucle, name=NOMBRE_BARRIDO, grace=10):
                yield

        contextos.append(barrido)
    return contextos
