"""Assignment policies: the protocol, what a policy sees, the built-in ``round_robin`` and
``menos_abiertos``, and the registry of every policy the enabled plugins contribute.

A policy only chooses among eligible agents; the plugin does the rest
(:mod:`plugins.asignacion.service`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from aiohttp import web

from core.plugins import PluginError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Sequence
    from datetime import datetime

    from core.plugins import PluginHost
    from plugins.tickets.api import TicketVista

__all__ = [
    "REGISTRO",
    "AgenteVista",
    "MenosAbiertos",
    "Politica",
    "PoliticaBase",
    "PoliticaRegistrada",
    "Registro",
    "RoundRobin",
    "cargar_registro",
]

_MAX_NOMBRE = 100


@dataclass(frozen=True, slots=True)
class AgenteVista:
    """An eligible agent as a policy sees them, read under the turn lock.

    ``abiertos``: open tickets assigned to them now; ``capacidad``: their effective limit
    (``None``: unlimited); ``ultima_asignacion``: the turn counter at their latest automatic
    assignment (``0``: never; the lowest had their turn longest ago); ``asignados``: tickets
    ever assigned to them automatically; ``en_linea``: present (a socket open, or seen
    recently) — always ``True`` when the plugin requires presence.
    """

    id: int
    username: str
    abiertos: int
    capacidad: int | None
    ultima_asignacion: int
    asignados: int
    en_linea: bool


@runtime_checkable
class Politica(Protocol):
    """What the ``register_assignment_policies`` hook returns (see its docstring)."""

    name: str
    description: str

    def elegir(
        self, ticket: TicketVista, agentes: Sequence[AgenteVista], ahora: datetime
    ) -> int | Awaitable[int | None] | None:
        """The id of the agent (one of ``agentes``) who gets ``ticket``; ``None``: nobody."""
        ...


class PoliticaBase:
    """A convenient base for policies: subclasses set ``name`` and ``description`` and
    implement :meth:`elegir`."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def elegir(
        self, ticket: TicketVista, agentes: Sequence[AgenteVista], ahora: datetime
    ) -> int | Awaitable[int | None] | None:
        """The id of the agent who gets ``ticket``."""
        raise NotImplementedError


class RoundRobin(PoliticaBase):
    """Each in turn: the eligible agent whose latest automatic assignment is the oldest.

    The turn is a counter shared by every process (written with the assignment), so the
    tickets spread evenly however many processes assign them.
    """

    name: ClassVar[str] = "round_robin"
    description: ClassVar[str] = (
        "Reparte por turnos: el agente disponible que hace más tiempo que no recibe un ticket."
    )

    def elegir(
        self, ticket: TicketVista, agentes: Sequence[AgenteVista], ahora: datetime
    ) -> int | None:
        """The agent with the lowest ``ultima_asignacion`` (ties: the lowest id)."""
        return min(agentes, key=lambda a: (a.ultima_asignacion, a.id)).id


class MenosAbiertos(PoliticaBase):
    """The eligible agent with the fewest open tickets (ties: whose turn came longest ago)."""

    name: ClassVar[str] = "menos_abiertos"
    description: ClassVar[str] = (
        "Asigna al agente disponible con menos tickets abiertos (a igualdad, por turnos)."
    )

    def elegir(
        self, ticket: TicketVista, agentes: Sequence[AgenteVista], ahora: datetime
    ) -> int | None:
        """The agent with the fewest ``abiertos``, then the lowest ``ultima_asignacion``, id."""
        return min(agentes, key=lambda a: (a.abiertos, a.ultima_asignacion, a.id)).id


@dataclass(frozen=True)
class PoliticaRegistrada:
    """A policy with the plugin that registered it."""

    nombre: str
    politica: Any
    plugin: str
    description: str = ""


@dataclass(frozen=True)
class Registro:
    """Every assignment policy of one application, by name."""

    politicas: dict[str, PoliticaRegistrada]


#: The application's registry, built at start-up from the hook.
REGISTRO: web.AppKey[Registro] = web.AppKey("asignacion_registro", Registro)


def cargar_registro(host: PluginHost, app: web.Application) -> Registro:
    """Collect the policies of the enabled plugins, checking each one.

    Raises :class:`~core.plugins.PluginError` (the start-up fails) when a name is invalid or
    taken twice (naming both plugins), or a policy has no ``elegir``.
    """
    politicas: dict[str, PoliticaRegistrada] = {}
    for plugin, resultado in host.call_plugin_hook("register_assignment_policies", app=app):
        for item in resultado or ():
            obj = item() if isinstance(item, type) else item
            nombre = getattr(obj, "name", None)
            if not isinstance(nombre, str) or not nombre.strip() or len(nombre) > _MAX_NOMBRE:
                raise PluginError(
                    f"plugin {plugin!r} registers an assignment policy without a valid name "
                    f"(a non-empty string of at most {_MAX_NOMBRE} characters): {obj!r}"
                )
            if not callable(getattr(obj, "elegir", None)):
                raise PluginError(
                    f"assignment policy {nombre!r} of plugin {plugin!r} has no elegir()"
                )
            if nombre in politicas:
                raise PluginError(
                    f"assignment policy {nombre!r} is registered by both plugin "
                    f"{politicas[nombre].plugin!r} and plugin {plugin!r}"
                )
            descripcion = str(getattr(obj, "description", "") or "")
            politicas[nombre] = PoliticaRegistrada(nombre, obj, plugin, descripcion)
    return Registro(politicas)
