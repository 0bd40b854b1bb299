"""The macros' rules, free of HTTP: who sees and edits which macro, saving, preview, applying.

Who **sees** a macro (anything else is a 404, so existence never leaks):

- ``PERSONAL``: its owner only (admins included: a personal macro is nobody else's business);
- ``EQUIPO``: the members of its team (an active team) and every admin;
- ``GLOBAL``: every agent.

Who **edits** (changes, deletes) one they see — otherwise a 403:

- ``PERSONAL``: its owner;
- ``EQUIPO``: admins and the team's members — a team curates its own canned replies, the
  way it shares its queue;
- ``GLOBAL``: admins.

The same rule decides whether the caller may create a macro in a scope, or move one there.
Customers never reach this module (the routes require AGENTE; :func:`_agente` checks again for
direct callers such as the bulk action).

Applying (:func:`aplicar`) renders the message for the ticket, then writes the reply (or note)
with ``tickets.api.responder`` and the field changes with ``tickets.api.actualizar`` inside one
:class:`core.events.UnitOfWork`, and counts the use in it too: if any part fails (an illegal
state move, an agent no longer active…) nothing is applied and no event is published.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, Subquery

from core import tags
from core.api.errors import BadRequest, Conflict, Forbidden, NotFound
from core.auth.equipos import es_miembro
from core.auth.guards import has_role
from core.auth.models import Equipo, Rol, Usuario
from core.events import UnitOfWork
from core.i18n import N_
from plugins.macros import plantillas
from plugins.macros.models import Ambito, Macro
from plugins.tickets import api as tickets

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tortoise.queryset import QuerySet

    from core.events import EventBus

#: Fields a PATCH may change.
CAMPOS: Final = ("nombre", "descripcion", "mensaje", "interna", "acciones", "activa")

#: The zone of ``{{ hoy }}``/``{{ ahora }}``; set from the plugin's setting at start-up
#: (:func:`configurar`). One per process: every app of a deployment shares its settings.
_ZONA: ZoneInfo = ZoneInfo("UTC")


def configurar(zona: str) -> None:
    """Render dates in ``zona`` (an IANA name, validated by the settings)."""
    global _ZONA
    _ZONA = ZoneInfo(zona)


def zona() -> ZoneInfo:
    """The zone dates are rendered in now."""
    return _ZONA


def _agente(usuario: Usuario) -> None:
    if not usuario.es_agente:
        raise Forbidden("Se requiere el rol AGENTE.")


def _es_admin(usuario: Usuario) -> bool:
    return has_role(usuario, Rol.ADMIN)


def alcance(ambito: Ambito, propietario_id: int | None, equipo_id: int | None) -> str:
    """The key names are unique within (see :class:`~plugins.macros.models.Macro`)."""
    if ambito == Ambito.PERSONAL:
        return f"PERSONAL:{propietario_id}"
    if ambito == Ambito.EQUIPO:
        return f"EQUIPO:{equipo_id}"
    return "GLOBAL"


# --- visibility --------------------------------------------------------------------------------


def visibles(usuario: Usuario) -> QuerySet[Macro]:
    """The macros ``usuario`` may see (see the module docstring); the teams are a sub-select."""
    _agente(usuario)
    condicion = Q(ambito=Ambito.GLOBAL) | Q(ambito=Ambito.PERSONAL, propietario_id=usuario.id)
    if _es_admin(usuario):
        condicion |= Q(ambito=Ambito.EQUIPO)
    else:
        mios = Subquery(Equipo.filter(activo=True, miembros__id=usuario.id).values("id"))
        condicion |= Q(ambito=Ambito.EQUIPO, equipo_id__in=mios)
    return Macro.filter(condicion)


async def obtener_visible(usuario: Usuario, macro_id: int) -> Macro:
    """The macro if ``usuario`` may see it; otherwise (or unknown) a 404."""
    macro = await visibles(usuario).filter(id=macro_id).first()
    if macro is None:
        raise NotFound("No existe esa macro.")
    return macro


async def _puede_en(usuario: Usuario, ambito: Ambito, equipo_id: int | None) -> bool:
    """Whether ``usuario`` may hold (create, edit) a macro of this scope, for its owner."""
    if ambito == Ambito.PERSONAL:
        return True
    if _es_admin(usuario):
        return True
    if ambito == Ambito.EQUIPO and equipo_id is not None:
        return await es_miembro(usuario.id, equipo_id)
    return False


async def editable(usuario: Usuario, macro: Macro) -> bool:
    """Whether ``usuario`` may change or delete ``macro`` (which they can see)."""
    if macro.ambito == Ambito.PERSONAL:
        return macro.propietario_id == usuario.id
    return await _puede_en(usuario, Ambito(macro.ambito), macro.equipo_id)


async def editables(usuario: Usuario, macros: list[Macro]) -> dict[int, bool]:
    """:func:`editable` of each macro, with one query for the caller's teams."""
    equipos: set[int] = set()
    if not _es_admin(usuario) and any(m.ambito == Ambito.EQUIPO for m in macros):
        # tortoise types every values_list() as tuples; flat=True returns the bare ids.
        ids: Any = await Equipo.filter(activo=True, miembros__id=usuario.id).values_list(
            "id", flat=True
        )
        equipos = {int(i) for i in ids}
    resultado: dict[int, bool] = {}
    for m in macros:
        if m.ambito == Ambito.PERSONAL:
            resultado[m.id] = m.propietario_id == usuario.id
        elif m.ambito == Ambito.GLOBAL or _es_admin(usuario):
            resultado[m.id] = _es_admin(usuario)
        else:
            resultado[m.id] = m.equipo_id in equipos
    return resultado


# --- saving ------------------------------------------------------------------------------------


async def _validar_acciones(acciones: Mapping[str, Any]) -> dict[str, Any]:
    """The ids of ``acciones`` as ``PATCH`` checks them (400 naming ``acciones.<campo>``)."""
    limpias = dict(acciones)
    agente_id = limpias.get("agente_asignado")
    if (
        agente_id is not None
        and not await Usuario.filter(
            id=agente_id, activo=True, rol__in=[Rol.AGENTE, Rol.ADMIN]
        ).exists()
    ):
        raise BadRequest(
            "Datos inválidos.",
            errors={
                "acciones.agente_asignado": [f"El usuario {agente_id} no es un agente activo."]
            },
        )
    equipo_id = limpias.get("equipo")
    if equipo_id is not None and not await Equipo.filter(id=equipo_id, activo=True).exists():
        raise BadRequest(
            "Datos inválidos.",
            errors={"acciones.equipo": [f"El equipo {equipo_id} no existe o está inactivo."]},
        )
    for campo in ("etiquetas_agregar", "etiquetas_quitar"):
        if campo in limpias:
            limpias[campo] = tags.validar(limpias[campo], f"acciones.{campo}")
    return limpias


async def _destino(
    usuario: Usuario, ambito: Ambito, equipo_id: int | None
) -> tuple[int | None, int | None]:
    """``(propietario_id, equipo_id)`` of a macro ``usuario`` puts in this scope (400/403)."""
    if ambito == Ambito.EQUIPO:
        if equipo_id is None:
            raise BadRequest(
                "Datos inválidos.",
                errors={"equipo": [N_("Una macro de equipo necesita su equipo.")]},
            )
        if not await Equipo.filter(id=equipo_id, activo=True).exists():
            raise BadRequest(
                "Datos inválidos.",
                errors={"equipo": [f"El equipo {equipo_id} no existe o está inactivo."]},
            )
    if not await _puede_en(usuario, ambito, equipo_id):
        if ambito == Ambito.GLOBAL:
            raise Forbidden("Solo un administrador puede crear o editar macros globales.")
        raise Forbidden("Solo los miembros del equipo (o un administrador) gestionan sus macros.")
    if ambito == Ambito.PERSONAL:
        return usuario.id, None
    if ambito == Ambito.EQUIPO:
        return None, equipo_id
    return None, None


def _repetida() -> Conflict:
    return Conflict("Ya existe una macro con ese nombre en ese ámbito.")


async def crear(usuario: Usuario, datos: Mapping[str, Any]) -> Macro:
    """Create a macro (``datos``: the fields of ``MacroIn``); the template is checked (400)."""
    _agente(usuario)
    plantillas.validar(datos["mensaje"])
    ambito = Ambito(datos.get("ambito", Ambito.PERSONAL))
    propietario_id, equipo_id = await _destino(usuario, ambito, datos.get("equipo"))
    acciones = await _validar_acciones(datos.get("acciones") or {})
    try:
        return await Macro.create(
            nombre=datos["nombre"],
            descripcion=datos.get("descripcion", ""),
            mensaje=datos["mensaje"],
            interna=bool(datos.get("interna", False)),
            acciones=acciones,
            ambito=ambito,
            propietario_id=propietario_id,
            equipo_id=equipo_id,
            alcance=alcance(ambito, propietario_id, equipo_id),
            activa=bool(datos.get("activa", True)),
        )
    except IntegrityError as exc:
        raise _repetida() from exc


async def actualizar(usuario: Usuario, macro_id: int, cambios: Mapping[str, Any]) -> Macro:
    """Change a macro ``usuario`` may edit (404 unseen, 403 not theirs to edit).

    Moving it to another scope (``ambito``, ``equipo``) needs the right to that scope too; a
    macro moved to PERSONAL becomes the caller's.
    """
    macro = await obtener_visible(usuario, macro_id)
    if not await editable(usuario, macro):
        raise Forbidden("No puede modificar esta macro.")
    updates: dict[str, Any] = {k: v for k, v in cambios.items() if k in CAMPOS}
    if "mensaje" in updates:
        plantillas.validar(updates["mensaje"])
    if "acciones" in updates:
        updates["acciones"] = await _validar_acciones(updates["acciones"])
    if "ambito" in cambios or "equipo" in cambios:
        ambito = Ambito(cambios.get("ambito", macro.ambito))
        equipo_id = cambios.get("equipo", macro.equipo_id)
        propietario_id, equipo_id = await _destino(usuario, ambito, equipo_id)
        if ambito == Ambito.PERSONAL and macro.ambito == Ambito.PERSONAL:
            propietario_id = macro.propietario_id  # the owner's own macro stays theirs
        updates.update(
            ambito=ambito,
            propietario_id=propietario_id,
            equipo_id=equipo_id,
            alcance=alcance(ambito, propietario_id, equipo_id),
        )
    if not updates:
        return macro
    updates["fecha_actualizacion"] = datetime.now(UTC)
    try:
        # Only the changed columns: a use counted meanwhile is never overwritten.
        await Macro.filter(id=macro.id).update(**updates)
    except IntegrityError as exc:
        raise _repetida() from exc
    return await Macro.get(id=macro.id)


async def eliminar(usuario: Usuario, macro_id: int) -> None:
    """Delete a macro ``usuario`` may edit (404 unseen, 403 not theirs to edit)."""
    macro = await obtener_visible(usuario, macro_id)
    if not await editable(usuario, macro):
        raise Forbidden("No puede eliminar esta macro.")
    await Macro.filter(id=macro.id).delete()


# --- rendering and applying --------------------------------------------------------------------


async def _contexto(usuario: Usuario, ticket: tickets.TicketVista) -> dict[str, Any]:
    cliente = await Usuario.get_or_none(id=ticket.cliente_id)
    return plantillas.variables(
        ticket={
            "numero": ticket.numero,
            "asunto": ticket.asunto,
            "estado": ticket.estado.value,
            "prioridad": ticket.prioridad.value,
            "categoria": ticket.categoria.value,
        },
        cliente={
            "nombre": cliente.nombre if cliente else "",
            "email": cliente.email if cliente else "",
        },
        agente={"nombre": usuario.nombre, "email": usuario.email},
        ahora=datetime.now(UTC),
        zona=_ZONA,
    )


async def vista_previa(
    usuario: Usuario, macro_id: int, ticket_id: int
) -> tuple[str, bool, dict[str, Any]]:
    """``(mensaje, interna, acciones)`` of the macro rendered for the ticket; nothing is
    written. A 404 unless ``usuario`` sees both; a 400 if the template fails for it."""
    macro = await obtener_visible(usuario, macro_id)
    ticket = await tickets.obtener_visible(usuario, ticket_id)
    mensaje = plantillas.renderizar(macro.mensaje, await _contexto(usuario, ticket))
    return mensaje, bool(macro.interna), dict(macro.acciones or {})


async def aplicar(
    bus: EventBus, usuario: Usuario, macro_id: int, ticket_id: int
) -> tuple[tickets.RespuestaVista, tickets.TicketVista]:
    """Apply a macro to a ticket in one transaction: the reply or note, the field changes and
    the use count, or nothing at all. Returns the reply and the ticket after the change.

    A 404 unless ``usuario`` sees the macro and the ticket; a 409 for an inactive macro;
    the template's 400 and the reply's and the changes' errors (400/403/409) as they are.
    """
    macro = await obtener_visible(usuario, macro_id)
    if not macro.activa:
        raise Conflict("La macro está inactiva.")
    ticket = await tickets.obtener_visible(usuario, ticket_id)
    mensaje = plantillas.renderizar(macro.mensaje, await _contexto(usuario, ticket))
    acciones = dict(macro.acciones or {})
    async with UnitOfWork(bus) as uow:
        respuesta = await tickets.responder(
            bus, usuario, ticket_id, mensaje, interna=bool(macro.interna)
        )
        if acciones:
            await tickets.actualizar(bus, usuario, ticket_id, acciones)
        await Macro.filter(id=macro.id).using_db(uow.connection).update(usos=F("usos") + 1)
    # Visibility was checked above; the macro may have handed the ticket to another team.
    despues = await tickets.obtener(ticket_id)
    if despues is None:  # deleted meanwhile
        raise NotFound()
    return respuesta, despues


async def accion_lote(bus: EventBus, usuario: Usuario, ticket_id: int, valor: Any) -> None:
    """The bulk action ``macro``: apply macro id ``valor`` (one ``usuario`` sees, else a 404
    for that ticket) to ticket ``ticket_id``; a 400 for a value that is no id."""
    if isinstance(valor, bool) or not isinstance(valor, int) or valor < 1:
        raise BadRequest("Datos inválidos.", errors={"macro": [N_("Debe ser el id de una macro.")]})
    await aplicar(bus, usuario, valor, ticket_id)
