"""``POST /api/soporte/tickets/lote/``: one change applied to many tickets, each on its own.

The selection is a list of ids (at most :data:`MAX_IDS`) or a filter — the query parameters of
``GET /api/soporte/tickets/`` as an object, built through the same :class:`TicketsQuery`,
:class:`~plugins.tickets.service.Filtros` and :func:`~plugins.tickets.service.filtrar`, so
the caller's visibility applies. "All matching the filter" processes at most the setting
``SOPORTE_TICKETS_LOTE_MAXIMO`` tickets (lowest ids first) and says when more matched.

Each ticket is checked with :func:`~plugins.tickets.service.obtener_visible` (an unknown or
invisible one is that ticket's 404), then its field changes go through
:func:`~plugins.tickets.service.actualizar` — the same rules, events and history as one
PATCH — and the actions other plugins contribute (hook ``register_ticket_bulk_actions``) run
after them, all inside one :class:`~core.events.UnitOfWork`: one ticket's failure rolls back
that ticket only, and the others go on. The answer lists every ticket's status.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, cast

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from core import keys, tags
from core.api import BadRequest, Routes
from core.api.errors import Problem
from core.api.fields import Id
from core.api.routing import validate_model, validation_errors
from core.auth.guards import current_user
from core.auth.models import Rol
from core.events import UnitOfWork
from core.i18n import N_
from core.plugins import PluginError
from plugins.tickets import service
from plugins.tickets.models import Estado, Prioridad
from plugins.tickets.schemas import TicketsQuery

if TYPE_CHECKING:
    from core.auth.models import Usuario
    from core.events import EventBus
    from core.plugins import PluginHost
    from plugins.tickets.api import AccionLote

log = logging.getLogger("soporte.tickets.lote")

routes = Routes(tag="tickets")

#: Most ids one request may name.
MAX_IDS: Final = 1000
#: tickets' own actions: the fields of :func:`service.actualizar` a bulk change may set.
PROPIAS: Final = frozenset(
    {"estado", "prioridad", "equipo", "agente_asignado", "etiquetas_agregar", "etiquetas_quitar"}
)
#: What a contributed action may be called: a lower-case word (the body's key).
_NOMBRE: Final = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
#: Where the app keeps the contributed actions, collected once at build time.
ACCIONES: Final = web.AppKey("tickets_acciones_lote", dict)


def cargar_acciones(host: PluginHost) -> dict[str, AccionLote]:
    """The actions of hook ``register_ticket_bulk_actions`` of every enabled plugin.

    A :class:`~core.plugins.PluginError` (the start-up fails) for a name that is no lower-case
    word, one of tickets' own, or declared by two plugins (naming both), or a non-callable."""
    acciones: dict[str, AccionLote] = {}
    de: dict[str, str] = {}
    for plugin, resultado in host.call_plugin_hook("register_ticket_bulk_actions"):
        for nombre, accion in dict(resultado or {}).items():
            if not isinstance(nombre, str) or not _NOMBRE.match(nombre):
                raise PluginError(
                    f"bulk action {nombre!r} of plugin {plugin!r}: a name is a lower-case word"
                )
            if nombre in PROPIAS:
                raise PluginError(
                    f"bulk action {nombre!r} of plugin {plugin!r} is one of tickets' own"
                )
            if nombre in acciones:
                raise PluginError(
                    f"bulk action {nombre!r} is registered by both plugin {de[nombre]!r} "
                    f"and plugin {plugin!r}"
                )
            if not callable(accion):
                raise PluginError(f"bulk action {nombre!r} of plugin {plugin!r} is not callable")
            acciones[nombre] = accion
            de[nombre] = plugin
    return acciones


def acciones_de(app: web.Application) -> dict[str, AccionLote]:
    """The app's contributed actions (collected at build time by ``register_routes``)."""
    return cast("dict[str, AccionLote]", app.get(ACCIONES, {}))


# --- the request and the answer ------------------------------------------------------------


class LoteIn(BaseModel):
    """The selection (exactly one of ``ids`` and ``filtro``) and the actions."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Id] | None = Field(
        None, max_length=MAX_IDS, description=f"Ticket ids (at most {MAX_IDS})."
    )
    filtro: dict[str, Any] | None = Field(
        None,
        description="The query parameters of `GET /api/soporte/tickets/` as an object "
        "(estado, prioridad, categoria, equipo, agente_asignado, cliente, q, etiqueta…): "
        "every ticket they match, up to `SOPORTE_TICKETS_LOTE_MAXIMO`.",
    )
    acciones: dict[str, Any] = Field(
        min_length=1,
        description="Any of estado, prioridad, equipo, agente_asignado, etiquetas_agregar, "
        "etiquetas_quitar, and the actions plugins contribute (e.g. `macro`).",
    )

    @model_validator(mode="after")
    def _una_seleccion(self) -> LoteIn:
        if (self.ids is None) == (self.filtro is None):
            # A custom error: its message as written, without pydantic's "Value error, ".
            raise PydanticCustomError("seleccion", "Envíe exactamente uno de 'ids' o 'filtro'.")
        return self


class AccionesPropias(BaseModel):
    """The values of tickets' own actions, checked before any ticket is touched."""

    model_config = ConfigDict(extra="forbid")

    estado: Estado = Field(None)  # type: ignore[assignment]  # absent, never null
    prioridad: Prioridad = Field(None)  # type: ignore[assignment]  # absent, never null
    equipo: Id | None = None
    agente_asignado: Id | None = None
    etiquetas_agregar: list[str] = Field(None, max_length=100)  # type: ignore[arg-type]  # never null
    etiquetas_quitar: list[str] = Field(None, max_length=100)  # type: ignore[arg-type]  # never null


class ResultadoLote(BaseModel):
    """One ticket's outcome: ``estado`` is the status one PATCH would have answered."""

    id: int
    estado: int
    error: str | None = None


class LoteOut(BaseModel):
    """Every ticket's outcome, in the order processed."""

    total: int = Field(description="Tickets processed.")
    correctos: int = Field(description="Tickets changed (or left as they were) without error.")
    coincidentes: int = Field(description="Tickets the selection named or the filter matched.")
    truncado: bool = Field(
        description="The filter matched more than `SOPORTE_TICKETS_LOTE_MAXIMO`: only that "
        "many (lowest ids first) were processed; send the request again for the rest."
    )
    resultados: list[ResultadoLote]


# --- the work ------------------------------------------------------------------------------


def _separar(
    acciones: Mapping[str, Any], contribuidas: Mapping[str, AccionLote]
) -> tuple[dict[str, Any], list[tuple[AccionLote, Any]]]:
    """tickets' own changes (validated) and the contributed actions with their values; a 400
    naming every unknown action, before anything runs."""
    desconocidas = sorted(set(acciones) - PROPIAS - set(contribuidas))
    if desconocidas:
        raise BadRequest(
            "Datos inválidos.",
            errors={f"acciones.{n}": [N_("Acción desconocida.")] for n in desconocidas},
        )
    propias = {n: v for n, v in acciones.items() if n in PROPIAS}
    try:
        validas = AccionesPropias.model_validate(propias)
    except ValidationError as exc:
        errores = {f"acciones.{k}": v for k, v in validation_errors(exc).items()}
        raise BadRequest("Datos inválidos.", errors=errores) from exc
    cambios = {n: getattr(validas, n) for n in validas.model_fields_set}
    for campo in ("etiquetas_agregar", "etiquetas_quitar"):
        if campo in cambios:
            cambios[campo] = tags.validar(cambios[campo], f"acciones.{campo}")
    otras = [(contribuidas[n], v) for n, v in acciones.items() if n in contribuidas]
    return cambios, otras


async def _seleccion(usuario: Usuario, body: LoteIn, maximo: int) -> tuple[list[int], int, bool]:
    """The ids to process, how many the selection named or matched, and whether it was cut."""
    if body.ids is not None:
        ids = list(dict.fromkeys(body.ids))
        return ids, len(ids), False
    try:
        query = cast("TicketsQuery", validate_model(TicketsQuery, body.filtro or {}))
    except BadRequest as exc:
        raise BadRequest(
            "Datos inválidos.", errors={f"filtro.{k}": v for k, v in exc.errors.items()}
        ) from exc
    qs = service.filtrar(usuario, query.filtros())
    # A snapshot by id: changing the field filtered on cannot make the walk skip or repeat.
    ids = cast(
        "list[int]",
        list(await qs.order_by("id").limit(maximo + 1).values_list("id", flat=True)),
    )
    if len(ids) <= maximo:
        return ids, len(ids), False
    return ids[:maximo], await qs.count(), True


async def _uno(
    bus: EventBus,
    usuario: Usuario,
    ticket_id: int,
    cambios: Mapping[str, Any],
    otras: list[tuple[AccionLote, Any]],
) -> ResultadoLote:
    """One ticket in one unit of work; its problem (or an unexpected error) is its result."""
    try:
        ticket = await service.obtener_visible(usuario, ticket_id)
        async with UnitOfWork(bus):
            if cambios:
                await service.actualizar(bus, ticket, usuario, cambios)
            for accion, valor in otras:
                await accion(bus, usuario, ticket_id, valor)
    except Problem as exc:
        return ResultadoLote(id=ticket_id, estado=exc.status, error=_mensaje(exc))
    except Exception:  # one ticket's bug must not lose the others' results
        log.exception("bulk change of ticket %s failed", ticket_id)
        return ResultadoLote(id=ticket_id, estado=500, error="Error interno.")
    return ResultadoLote(id=ticket_id, estado=200)


def _mensaje(exc: Problem) -> str:
    """The problem's detail, with its field messages when it has them."""
    if not exc.errors:
        return exc.detail
    campos = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
    return f"{exc.detail} {campos}"


async def aplicar(
    bus: EventBus,
    usuario: Usuario,
    body: LoteIn,
    contribuidas: Mapping[str, AccionLote],
    maximo: int,
) -> LoteOut:
    """Apply ``body.acciones`` to the selected tickets one by one (see the module docstring)."""
    cambios, otras = _separar(body.acciones, contribuidas)
    ids, coincidentes, truncado = await _seleccion(usuario, body, maximo)
    resultados = [await _uno(bus, usuario, i, cambios, otras) for i in ids]
    return LoteOut(
        total=len(resultados),
        correctos=sum(1 for r in resultados if r.estado == 200),
        coincidentes=coincidentes,
        truncado=truncado,
        resultados=resultados,
    )


@routes.post("/api/soporte/tickets/lote/", auth=Rol.AGENTE)
async def lote(request: web.Request, body: LoteIn) -> LoteOut:
    """Change many tickets (agents): by `ids` or by `filtro`, each through the same rules and
    history as one PATCH, each on its own (a per-ticket result; unknown action names: 400)."""
    from plugins.tickets.plugin import ajustes

    return await aplicar(
        request.app[keys.EVENTS],
        current_user(request),
        body,
        acciones_de(request.app),
        ajustes(request.app).lote_maximo,
    )
