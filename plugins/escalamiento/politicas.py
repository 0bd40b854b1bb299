"""Escalation policies: the protocol, a base class, the built-in ``tiempo_respuesta``, and the
registry of every policy and notifier the enabled plugins contribute.

A policy holds only its rule: it says which level a ticket should be at; the plugin does the
rest (see :mod:`plugins.escalamiento.service`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from aiohttp import web
from pydantic import BaseModel, ValidationError

from core.api import BadRequest
from core.api.routing import validation_errors
from core.i18n import N_
from core.i18n import gettext as _
from core.plugins import PluginError
from plugins.escalamiento.horario import segundos_habiles
from plugins.tickets.api import ESTADOS_ABIERTOS, Categoria, Criterios, Prioridad, TicketVista

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping
    from datetime import datetime, timedelta

    from core.plugins import PluginHost
    from plugins.escalamiento.horario import Horario
    from plugins.escalamiento.models import Nivel, Regla
    from plugins.escalamiento.notificadores import Notificacion

__all__ = [
    "REGISTRO",
    "Notificador",
    "Politica",
    "PoliticaBase",
    "PoliticaRegistrada",
    "Registro",
    "ReglaVista",
    "TiempoRespuesta",
    "candidatos_de",
    "cargar_registro",
    "descripcion_de",
    "esquema_parametros",
    "parametros_validos",
    "periodo_de",
]

_MAX_NOMBRE = 100


@dataclass(frozen=True)
class ReglaVista:
    """A rule as a policy sees it: read once per pass, no ORM object inside.

    ``limite``: ``tiempo_respuesta_maximo`` as a duration; ``calendario``: the rule's business
    hours (``None``: time always counts), for :func:`segundos_habiles`; ``categorias`` empty
    means every category; ``parametros``: the rule's values of its policy's ``parameters``
    (validated when the rule was saved, defaults filled in; empty for a policy without any).
    """

    id: int
    nombre: str
    politica: str
    tiempo_respuesta_maximo: float
    limite: timedelta
    total_niveles: int
    prioridades_escalamiento: tuple[Prioridad, ...]
    categorias: tuple[Categoria, ...]
    calendario: Horario | None
    niveles: tuple[Nivel, ...]
    # A dict cannot be hashed: left out of the dataclass's hash (compared all the same).
    parametros: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def de(cls, regla: Regla) -> ReglaVista:
        """The view of a stored rule."""
        return cls(
            id=regla.id,
            nombre=regla.nombre,
            politica=regla.politica,
            tiempo_respuesta_maximo=regla.tiempo_respuesta_maximo,
            limite=regla.limite,
            total_niveles=regla.total_niveles,
            prioridades_escalamiento=tuple(Prioridad(p) for p in regla.prioridades_escalamiento),
            categorias=tuple(Categoria(c) for c in regla.categorias or ()),
            calendario=regla.calendario,
            niveles=tuple(regla.niveles),
            parametros=dict(regla.parametros or {}),
        )


@runtime_checkable
class Politica(Protocol):
    """What the ``register_escalation_policies`` hook returns (see its docstring)."""

    name: str
    description: str

    def nivel_objetivo(
        self, ticket: TicketVista, regla: ReglaVista, ahora: datetime
    ) -> int | Awaitable[int]:
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

    Subclasses set ``name`` and ``description`` and implement :meth:`nivel_objetivo`; a policy
    with settings of its own per rule sets ``parameters`` to a pydantic model (read the values
    from ``regla.parametros``).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    parameters: ClassVar[type[BaseModel] | None] = None

    def candidatos(self, regla: ReglaVista, ahora: datetime) -> Criterios:
        """Open tickets of the rule's priorities (and categories, when it lists any)."""
        return Criterios(
            prioridades=regla.prioridades_escalamiento, categorias=regla.categorias or None
        )

    def periodo(self, ticket: TicketVista) -> datetime | None:
        """When the clock started: the ticket's creation, unless a subclass says otherwise.

        ``None`` means no clock is running: the ticket is not escalated now.
        """
        return ticket.fecha_creacion

    def nivel_objetivo(
        self, ticket: TicketVista, regla: ReglaVista, ahora: datetime
    ) -> int | Awaitable[int]:
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
    description: ClassVar[str] = N_(
        "Escala un nivel por cada tiempo_respuesta_maximo horas (dentro del horario, si lo hay) "
        "que el cliente lleva esperando la respuesta de un agente."
    )

    def candidatos(self, regla: ReglaVista, ahora: datetime) -> Criterios:
        """Waiting tickets of the rule's priorities/categories that waited at least one limit.

        Business time never exceeds wall time, so ``esperando_desde <= ahora - limite`` is a
        safe, indexed pre-filter.
        """
        return super().candidatos(regla, ahora).con(esperando_hasta=ahora - regla.limite)

    def periodo(self, ticket: TicketVista) -> datetime | None:
        """The waiting period: since when the customer waits (``None``: nobody waits)."""
        return ticket.esperando_desde

    def nivel_objetivo(self, ticket: TicketVista, regla: ReglaVista, ahora: datetime) -> int:
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


def candidatos_de(politica: Any, regla: ReglaVista, ahora: datetime) -> Criterios:
    """The policy's candidate criteria (its own ``candidatos``, or the base class's), narrowed
    to open tickets. A policy returning anything but :class:`~plugins.tickets.api.Criterios`
    (e.g. a query set, as before Plugin API v1) is a ``TypeError``: its rule is skipped."""
    elegir = getattr(politica, "candidatos", None)
    criterios = elegir(regla, ahora) if elegir else PoliticaBase.candidatos(politica, regla, ahora)
    if not isinstance(criterios, Criterios):
        raise TypeError(
            "candidatos() must return plugins.tickets.api.Criterios, "
            f"not {type(criterios).__name__}"
        )
    return criterios.con(estados=ESTADOS_ABIERTOS)


def periodo_de(politica: Any, ticket: TicketVista) -> datetime | None:
    """The policy's clock period for ``ticket`` (its own ``periodo``, or the creation date);
    ``None`` when the policy says no clock runs."""
    elegir = getattr(politica, "periodo", None)
    return elegir(ticket) if elegir else ticket.fecha_creacion


def _mas_cercano(obj: Any, uno: str, otro: str) -> bool:
    """Whether attribute ``uno`` is set closer to ``obj`` than a non-empty ``otro`` (looking on
    the instance, then class by class along the MRO); an empty ``otro`` does not count.

    An old policy that subclasses :class:`TiempoRespuesta` and sets only ``descripcion``
    inherits the parent's non-empty ``description``: its own sentence is the nearer one.
    """
    duenos = [vars(obj)] if hasattr(obj, "__dict__") else []
    for dueno in (*duenos, *(vars(c) for c in type(obj).__mro__)):
        if dueno.get(otro):
            return False
        if uno in dueno:
            return True
    return True


def descripcion_de(politica: Any, nombre: str, plugin: str) -> str:
    """The policy's one-sentence ``description`` (may be empty).

    Policies written before Plugin API v1 set ``descripcion``: still read, with a
    ``DeprecationWarning`` naming the policy and its plugin.
    """
    texto = getattr(politica, "description", None)
    antigua = getattr(politica, "descripcion", None)
    if antigua and _mas_cercano(politica, "descripcion", "description"):
        warnings.warn(
            f"escalation policy {nombre!r} of plugin {plugin!r} sets `descripcion`: "
            "rename it `description` (the old name will stop working in Plugin API v2)",
            DeprecationWarning,
            stacklevel=2,
        )
        texto = antigua
    return str(texto or "")


@dataclass(frozen=True)
class PoliticaRegistrada:
    """A policy with the plugin that registered it."""

    nombre: str
    politica: Any
    plugin: str
    #: The policy's one-sentence description (see :func:`descripcion_de`).
    description: str = ""
    #: The model of the policy's per-rule parameters (``None``: it takes none).
    parameters: type[BaseModel] | None = None


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


#: The JSON Schema of a policy without parameters: an object that takes no property.
_SIN_PARAMETROS: dict[str, Any] = {
    "type": "object",
    "properties": {},
    "additionalProperties": False,
}


def esquema_parametros(registrada: PoliticaRegistrada) -> dict[str, Any]:
    """The JSON Schema of the policy's parameters (what the rule editor renders a form from)."""
    if registrada.parameters is None:
        return dict(_SIN_PARAMETROS)
    esquema = registrada.parameters.model_json_schema()
    esquema["additionalProperties"] = False
    return esquema


def parametros_validos(
    registro: Registro, politica: str, valores: Mapping[str, Any]
) -> dict[str, Any]:
    """``valores`` validated by the parameters model of ``politica``, with its defaults filled in
    (JSON types, as a rule stores them).

    Raises :class:`~core.api.BadRequest` naming each bad field as ``parametros.<campo>`` —
    unknown keys included, so a typo never passes silently — or on ``politica`` when no enabled
    plugin registers it.
    """
    registrada = registro.politicas.get(politica)
    if registrada is None:
        raise BadRequest(
            "Datos inválidos.",
            errors={
                "politica": [_("Política desconocida: {nombre}.").format(nombre=repr(politica))]
            },
        )
    modelo = registrada.parameters
    conocidos = set(modelo.model_fields) if modelo is not None else set()
    errores = {
        f"parametros.{k}": [N_("Campo no permitido.")] for k in valores if k not in conocidos
    }
    if modelo is None:
        if errores:
            raise BadRequest("Datos inválidos.", errors=errores)
        return {}
    try:
        validos = modelo.model_validate(dict(valores))
    except ValidationError as exc:
        # A model-level error has no field: it is the whole object's.
        for campo, mensajes in validation_errors(exc, prefix="").items():
            clave = "parametros" if campo == "non_field_errors" else f"parametros.{campo}"
            errores.setdefault(clave, []).extend(mensajes)
    if errores:
        raise BadRequest("Datos inválidos.", errors=errores)
    return validos.model_dump(mode="json")


def _parametros_de(obj: Any, nombre: str, plugin: str) -> type[BaseModel] | None:
    """The policy's ``parameters`` model, checked (``None`` when it declares none)."""
    modelo = getattr(obj, "parameters", None)
    if modelo is not None and not (isinstance(modelo, type) and issubclass(modelo, BaseModel)):
        raise PluginError(
            f"escalation policy {nombre!r} of plugin {plugin!r}: `parameters` must be a "
            f"pydantic model class, not {modelo!r}"
        )
    return modelo


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
            politicas[nombre] = PoliticaRegistrada(
                nombre,
                obj,
                plugin,
                descripcion_de(obj, nombre, plugin),
                _parametros_de(obj, nombre, plugin),
            )
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
