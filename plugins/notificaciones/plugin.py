"""Hook implementations of the ``notificaciones`` plugin: thin wiring only."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from core import hookimpl
from core.events import Listener
from core.i18n import N_
from core.keys import CHANNELS, PLUGINS, SETTINGS
from plugins.notificaciones import name, requires, version

if TYPE_CHECKING:
    from collections.abc import Iterable

    from aiohttp import web

    from core.api.routing import Endpoint
    from core.auth.models import Usuario
    from core.events import Event
    from core.pages import Page
    from plugins.notificaciones.settings import NotificacionesSettings

__all__ = ["name", "requires", "version"]


def ajustes(app: web.Application) -> NotificacionesSettings:
    """This plugin's settings on ``app``."""
    from core.plugin_settings import plugin_settings
    from plugins.notificaciones.settings import NotificacionesSettings

    return plugin_settings(app, name, NotificacionesSettings)


@hookimpl
def register_settings() -> type[NotificacionesSettings]:
    """``new_ticket_recipients``, ``mail_coalesce_minutes`` (``SOPORTE_NOTIFICACIONES_*``)."""
    from plugins.notificaciones.settings import NotificacionesSettings

    return NotificacionesSettings


@hookimpl
def register_models() -> Iterable[str]:
    """Notifications and preferences."""
    return ["plugins.notificaciones.models"]


@hookimpl
def register_routes(app: web.Application) -> Iterable[Endpoint]:
    """The REST endpoints and the socket; also the app's socket registry, whose sockets are
    resynchronised from the database after a channel-layer gap."""
    from plugins.notificaciones.routes import CONEXIONES, Conexiones, resincronizar, routes

    app[CONEXIONES] = conexiones = Conexiones()
    app[CHANNELS].on_gap(lost=lambda: None, restored=functools.partial(resincronizar, conexiones))
    return routes.endpoints


@hookimpl
def register_listeners(app: web.Application) -> Iterable[Listener]:
    """Who hears what (:mod:`plugins.notificaciones.reglas`), written inside each change's
    transaction; pushed to the sockets after it commits."""
    from core.api.sockets import frame
    from core.outbox import EnvioFallido
    from plugins.notificaciones.correo import encolar_todas
    from plugins.notificaciones.difusion import Pendientes, enviar, grupo_usuario
    from plugins.notificaciones.events import NotificacionesLeidas
    from plugins.notificaciones.reglas import Reglas
    from plugins.notificaciones.schemas import Leidas, TicketFrame
    from plugins.tickets.events import RespuestaCreada, TicketActualizado, TicketCreado

    propios = ajustes(app)
    pendientes = Pendientes()
    reglas = Reglas(
        pendientes,
        coalescer=timedelta(minutes=propios.mail_coalesce_minutes),
        nuevos_a_agentes=propios.new_ticket_recipients == "todos",
        correo=functools.partial(encolar_todas, app),
        por_equipo=app[SETTINGS].team_visibility,
    )
    habilitados = set(app[PLUGINS].names)

    def despues(con_ticket: bool) -> Any:
        async def enviar_pendiente(evento: Event) -> None:
            pendiente = pendientes.sacar(evento)
            if pendiente is None:
                return
            ticket = None
            if con_ticket:
                ticket = frame(
                    TicketFrame(
                        evento=evento.name,
                        ticket_id=getattr(evento, "ticket_id", None),
                        cambios=getattr(evento, "cambios", {}) or {},
                    )
                )
            await enviar(app[CHANNELS], pendiente, ticket)

        return enviar_pendiente

    async def leidas(evento: NotificacionesLeidas) -> None:
        await app[CHANNELS].group_send(
            grupo_usuario(evento.usuario_id),
            frame(
                Leidas(
                    ids=evento.ids if evento.ids is not None else "todas",
                    no_leidas=evento.no_leidas,
                )
            ),
        )

    listeners = [
        Listener(TicketCreado, reglas.ticket_creado, "in_transaction"),
        Listener(RespuestaCreada, reglas.respuesta_creada, "in_transaction"),
        Listener(TicketActualizado, reglas.ticket_actualizado, "in_transaction"),
        Listener(TicketCreado, despues(True)),
        Listener(RespuestaCreada, despues(True)),
        Listener(TicketActualizado, despues(True)),
        Listener(NotificacionesLeidas, leidas),
        Listener(EnvioFallido, reglas.envio_fallido, "in_transaction"),
        Listener(EnvioFallido, despues(False)),
    ]
    if "escalamiento" in habilitados:
        from plugins.escalamiento.events import TicketEscalado

        listeners += [
            Listener(TicketEscalado, reglas.ticket_escalado, "in_transaction"),
            Listener(TicketEscalado, despues(False)),
        ]
    if "casos" in habilitados:
        from plugins.casos.events import CasoActualizado, CasoCreado

        listeners += [
            Listener(CasoCreado, reglas.caso_creado, "in_transaction"),
            Listener(CasoActualizado, reglas.caso_actualizado, "in_transaction"),
            Listener(CasoCreado, despues(False)),
            Listener(CasoActualizado, despues(False)),
        ]
    return listeners


@hookimpl
def register_pages(app: web.Application) -> list[Page]:
    """The notifications list (portal and console) and the preferences page (the target of
    every notification mail's ``List-Unsubscribe``; in the console too, for agents)."""
    from core.pages import Page

    def paginas(base: str, area: Literal["cliente", "agente"]) -> list[Page]:
        return [
            Page(
                path=base,
                template="notificaciones/lista.html",
                title=N_("Notificaciones"),
                area=area,
            ),
            Page(
                path=base + "preferencias/",
                template="notificaciones/preferencias.html",
                title=N_("Preferencias de notificaciones"),
                area=area,
            ),
        ]

    return paginas("/notificaciones/", "cliente") + paginas("/agente/notificaciones/", "agente")


@hookimpl
async def load_demo_data(usuarios: dict[str, Usuario]) -> None:
    """A few notifications for the demo users (idempotent)."""
    from plugins.notificaciones.demo import cargar_demo

    await cargar_demo(usuarios)
