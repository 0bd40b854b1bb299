"""Escalation policies: the protocol, a base class, the built-in ``tiempo_respuesta``, and the
registry of every policy and notifier the enabled plugins contribute.

A policy holds only its rule: it says which level a ticket should be at; the plugin does the
rest (see :mod:`plugins.escalamiento.service`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from aiohttp import web

from core.plugins import PluginError
from plugins.escalamiento.horario import segundos_habiles
from plugins.tickets.service import ESTADOS_ABIERTOS, Ticket, en_espera

if TYPE_CHECKING:
    from collections.abc import Awaitable
    from datetime import datetime

    from tortoise.queryset import QuerySet

    from core.plugins import PluginHost
    from plugins.escalamiento.models import Regla
    from plugins.escalamiento.notificadores import Notificacion

__all__ = [
    "REGISTRO",
    "Notificador",
    "Politica",
    "PoliticaBase",
    "PoliticaRegistrada",
    "Registro",
    "TiempoRespuesta",
    "candidatos_de",
    "cargar_registro",
    "periodo_de",
]

_MAX_NOMBRE = 100


@runtime_checkable
class Politica(Protocol):
    """What the ``register_escalation_policies`` hook returns (see its docstring)."""

    name: str
    descripcion: str

    def nivel_objetivo(self, ticket: Ticket, regla: Regla, ahora: datetime) -> int | Awaitable[int]:
        """The level ``ticket`` should be at now under ``regla`` (0: none). May be async."""
        ...


@runtime_checkable
class Notificador(Protocol):
    """What the ``register_notifiers`` hook returns."""

    name: str

    def notificar(self, notificacion: Notificacion) -> Awaitable[None] | None:
        """Deliver one escalation. May be async; failures are logged by the caller."""
        ...


class PoliticaBase:
    """A convenient base for policies: default candidates and clock period.

    Subclasses set ``name`` and ``descripcion`` and implement :meth:`nivel_objetivo`.
    """

    name: ClassVar[str] = ""
    descripcion: ClassVar[str] = ""

    def candidatos(self, regla: Regla, ahora: datetime) -> QuerySet[Ticket]:
        """Open tickets of the rule's priorities (and categories, when it lists any)."""
        qs = Ticket.filter(
            estado__in=list(ESTADOS_ABIERTOS), prioridad__in=list(regla.prioridades_escalamiento)
        )
        if regla.categorias:
            qs = qs.filter(categoria__in=list(regla.categorias))
        return qs

    def periodo(self, ticket: Ticket) -> datetime | None:
        """When the clock started: the ticket's creation, unless a subclass says otherwise.

        ``None`` means no clock is running: the ticket is not escalated now.
        """
        return ticket.fecha_creacion

    def nivel_objetivo(self, ticket: Ticket, regla: Regla, ahora: datetime) -> int | Awaitable[int]:
        """The level ``ticket`` should be at now under ``regla``."""
        raise NotImplementedError


class TiempoRespuesta(PoliticaBase):
    """The contract's rule: level *k* after waiting *k* × ``tiempo_respuesta_maximo`` hours.

    The clock is the ticket's ``esperando_desde`` (kept by ``tickets``' state machine): an
    agent's answer, by REST or chat, stops it; the customer's next message starts a new period,
    whose levels count from 1 again. Only time inside the rule's ``horario`` counts, and none
    while the ticket is RESUELTO or CERRADO (those tickets do not wait).
    """

    name: ClassVar[str] = "tiempo_respuesta"
    descripcion: ClassVar[str] = (
        "Escala un nivel por cada tiempo_respuesta_maximo horas (dentro del horario, si lo hay) "
        "que el cliente lleva esperando la respuesta de un agente."
    )

    def candidatos(self, regla: Regla, ahora: datetime) -> QuerySet[Ticket]:
        """Waiting tickets of the rule's priorities/categories that waited at least one limit.

        Business time never exceeds wall time, so ``esperando_desde <= ahora - limite`` is a
        safe, indexed pre-filter.
        """
        return en_espera(regla.prioridades_escalamiento, regla.categorias or None).filter(
            esperando_desde__lte=ahora - regla.limite
        )

    def periodo(self, ticket: Ticket) -> datetime | None:
        """The waiting period: since when the customer waits (``None``: nobody waits)."""
        return ticket.esperando_desde

    def nivel_objetivo(self, ticket: Ticket, regla: Regla, ahora: datetime) -> int:
        """``floor(business seconds waited / limit)``, at most the rule's number of levels."""
        if ticket.esperando_desde is None or ticket.estado not in ESTADOS_ABIERTOS:
            return 0
        if ticket.prioridad not in regla.prioridades_escalamiento:
            return 0
        if regla.categorias and ticket.categoria not in regla.categorias:
            return 0
        limite = regla.limite.total_seconds()
        esperado = segundos_habiles(ticket.esperando_desde, ahora, regla.calendario)
        return min(regla.total_niveles, int(esperado // limite))


def candidatos_de(politica: Any, regla: Regla, ahora: datetime) -> QuerySet[Ticket]:
    """The policy's candidate tickets (its own ``candidatos``, or the base class's), open only."""
    elegir = getattr(politica, "candidatos", None)
    qs = elegir(regla, ahora) if elegir else PoliticaBase.candidatos(politica, regla, ahora)
    return qs.filter(estado__in=list(ESTADOS_ABIERTOS))


def periodo_de(politica: Any, ticket: Ticket) -> datetime | None:
    """The policy's clock period for ``ticket`` (its own ``periodo``, or the creation date);
    ``None`` when the policy says no clock runs."""
    elegir = getattr(politica, "periodo", None)
    return elegir(ticket) if elegir else ticket.fecha_creacion


@dataclass(frozen=True)
class PoliticaRegistrada:
    """A policy with the plugin that registered it."""

    nombre: str
    politica: Any
    plugin: str

    @property
    def descripcion(self) -> str:
        """The policy's one-sentence description (may be empty)."""
        return str(getattr(self.politica, "descripcion", "") or "")


@dataclass(frozen=True)
class NotificadorRegistrado:
    """A notifier with the plugin that registered it."""

    nombre: str
    notificador: Any
    plugin: str


@dataclass(frozen=True)
class Registro:
    """Every escalation policy and notifier of one application, by name."""

    politicas: dict[str, PoliticaRegistrada]
    notificadores: dict[str, NotificadorRegistrado]


#: The application's registry, built at start-up from the hooks.
REGISTRO: web.AppKey[Registro] = web.AppKey("escalamiento_registro", Registro)


def _instancia(item: Any) -> Any:
    return item() if isinstance(item, type) else item


def _nombre(obj: Any, plugin: str, que: str) -> str:
    nombre = getattr(obj, "name", None)
    if not isinstance(nombre, str) or not nombre.strip() or len(nombre) > _MAX_NOMBRE:
        raise PluginError(
            f"plugin {plugin!r} registers an escalation {que} without a valid name "
            f"(a non-empty string of at most {_MAX_NOMBRE} characters): {obj!r}"
        )
    return nombre


def cargar_registro(host: PluginHost, app: web.Application) -> Registro:
    """Collect the policies and notifiers of the enabled plugins, checking each one.

    Raises :class:`~core.plugins.PluginError` (the start-up fails) when a name is taken twice
    (naming both plugins) or an object lacks its method.
    """
    politicas: dict[str, PoliticaRegistrada] = {}
    for plugin, resultado in host.call_plugin_hook("register_escalation_policies", app=app):
        for item in resultado or ():
            obj = _instancia(item)
            nombre = _nombre(obj, plugin, "policy")
            if not callable(getattr(obj, "nivel_objetivo", None)):
                raise PluginError(
                    f"escalation policy {nombre!r} of plugin {plugin!r} has no nivel_objetivo()"
                )
            if nombre in politicas:
                raise PluginError(
                    f"escalation policy {nombre!r} is registered by both plugin "
                    f"{politicas[nombre].plugin!r} and plugin {plugin!r}"
                )
            politicas[nombre] = PoliticaRegistrada(nombre, obj, plugin)
    notificadores: dict[str, NotificadorRegistrado] = {}
    for plugin, resultado in host.call_plugin_hook("register_notifiers", app=app):
        for item in resultado or ():
            obj = _instancia(item)
            nombre = _nombre(obj, plugin, "notifier")
            if not callable(getattr(obj, "notificar", None)):
                raise PluginError(f"notifier {nombre!r} of plugin {plugin!r} has no notificar()")
            if nombre in notificadores:
                raise PluginError(
                    f"notifier {nombre!r} is registered by both plugin "
                    f"{notificadores[nombre].plugin!r} and plugin {plugin!r}"
                )
            notificadores[nombre] = NotificadorRegistrado(nombre, obj, plugin)
    return Registro(politicas, notificadores)
