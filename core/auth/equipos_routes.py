"""``/api/soporte/equipos/``: teams of agents — who serves which ticket categories.

Agents read teams (the queue filters by them, a ticket is moved to one); only admins create,
change or delete them. A team's members must be existing AGENTE/ADMIN users; its name is
unique without regard to case. Deleting a team leaves its tickets without a team.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.api.errors import BadRequest, Conflict, NotFound
from core.api.pagination import Page, paginate
from core.api.routing import Routes
from core.auth import equipos
from core.auth.admin_schemas import EquipoIn, EquipoOut, EquipoPatch, EquiposQuery
from core.auth.models import Equipo, Rol, Usuario
from core.auth.names import normalize_name
from core.i18n import N_
from core.i18n import gettext as _

if TYPE_CHECKING:
    from collections.abc import Sequence

routes = Routes(
    tag="equipos",
    description="Teams of agents and the ticket categories they serve (admins).",
)

BASE = "/api/soporte/equipos/"
DETALLE = r"/api/soporte/equipos/{id:\d+}/"
#: The longest category name a team may list.
MAX_CATEGORIA = 50


async def cargar(ids: Sequence[int]) -> list[EquipoOut]:
    """The teams ``ids`` in that order with their members, in two queries."""
    por_id = {e.id: e for e in await Equipo.filter(id__in=list(ids))}
    de = await equipos.miembros_por_equipo(ids)
    return [EquipoOut.de(por_id[i], de[i]) for i in ids if i in por_id]


def _categorias(valores: list[str]) -> list[str]:
    """Categories trimmed and upper-cased (as ``Categoria`` values are), without repeats."""
    limpias: list[str] = []
    for valor in valores:
        categoria = valor.strip().upper()
        if not categoria or len(categoria) > MAX_CATEGORIA:
            raise BadRequest(
                "Datos inválidos.",
                errors={"categorias": [f"Categoría inválida: {valor!r} (1–50 caracteres)."]},
            )
        if categoria not in limpias:
            limpias.append(categoria)
    return limpias


async def _agentes(ids: list[int]) -> list[Usuario]:
    """The users ``ids``; a 400 naming unknown ids, or users who are not agents or admins."""
    unicos = sorted(set(ids))
    usuarios = list(await Usuario.filter(id__in=unicos)) if unicos else []
    encontrados = {u.id for u in usuarios}
    desconocidos = [i for i in unicos if i not in encontrados]
    if desconocidos:
        lista = ", ".join(map(str, desconocidos))
        raise BadRequest(
            "Datos inválidos.", errors={"miembros": [f"Usuarios desconocidos: {lista}."]}
        )
    clientes = sorted(u.id for u in usuarios if u.rol == Rol.CLIENTE)
    if clientes:
        lista = ", ".join(map(str, clientes))
        raise BadRequest(
            "Datos inválidos.",
            errors={"miembros": [f"Solo agentes y administradores pueden ser miembros: {lista}."]},
        )
    return usuarios


async def _nombre_libre(nombre: str, excepto: int | None = None) -> str:
    """``nombre`` normalised; a 409 if another team has it (without regard to case)."""
    nombre = normalize_name(nombre)
    if not nombre:
        raise BadRequest("Datos inválidos.", errors={"nombre": [N_("El nombre está vacío.")]})
    otros = Equipo.filter(nombre__iexact=nombre)
    if excepto is not None:
        otros = otros.exclude(id=excepto)
    if await otros.exists():
        raise Conflict(_("Ya existe un equipo llamado «{nombre}».").format(nombre=nombre))
    return nombre


async def _guardar(equipo: Equipo, campos: dict[str, Any], miembros: list[Usuario] | None) -> None:
    """Write ``campos`` and (when given) the whole member set in one transaction; a name
    taken at the same moment by another request is the same 409."""
    try:
        async with in_transaction() as conn:
            for campo, valor in campos.items():
                setattr(equipo, campo, valor)
            await equipo.save(using_db=conn)
            if miembros is not None:
                await equipo.miembros.clear(using_db=conn)
                if miembros:
                    await equipo.miembros.add(*miembros, using_db=conn)
    except IntegrityError:
        raise Conflict(
            _("Ya existe un equipo llamado «{nombre}».").format(nombre=equipo.nombre)
        ) from None


async def _equipo(id: int) -> Equipo:
    equipo = await Equipo.filter(id=id).first()
    if equipo is None:
        raise NotFound()
    return equipo


@routes.get(BASE, auth=Rol.AGENTE)
async def listar_equipos(request: web.Request, query: EquiposQuery) -> Page[EquipoOut]:
    """Every team by name (agents read them; `activo` filters)."""
    qs = Equipo.all() if query.activo is None else Equipo.filter(activo=query.activo)
    return await paginate(request, qs.order_by("nombre", "id"), query, cargar, EquipoOut)


@routes.post(BASE, auth=Rol.ADMIN, status=201, errors=(409,))
async def crear_equipo(request: web.Request, body: EquipoIn) -> EquipoOut:
    """Create a team: name, description, the categories it serves, its members (admins)."""
    campos: dict[str, Any] = {
        "nombre": await _nombre_libre(body.nombre),
        "descripcion": body.descripcion,
        "categorias": _categorias(body.categorias),
        "activo": body.activo,
    }
    miembros = await _agentes(body.miembros)
    equipo = Equipo()
    await _guardar(equipo, campos, miembros)
    [out] = await cargar([equipo.id])
    return out


@routes.get(DETALLE, auth=Rol.AGENTE)
async def detalle_equipo(request: web.Request, id: int) -> EquipoOut:
    """One team with its member ids."""
    [out] = await cargar([(await _equipo(id)).id])
    return out


@routes.patch(DETALLE, auth=Rol.ADMIN, errors=(409,))
async def actualizar_equipo(request: web.Request, id: int, body: EquipoPatch) -> EquipoOut:
    """Change a team (admins): only the fields sent; `miembros` and `categorias` are replaced
    whole. A deactivated team routes nothing and counts for nobody's visibility."""
    equipo = await _equipo(id)
    enviados = body.model_fields_set
    campos: dict[str, Any] = {}
    if "nombre" in enviados and body.nombre is not None:
        campos["nombre"] = await _nombre_libre(body.nombre, excepto=equipo.id)
    if "descripcion" in enviados and body.descripcion is not None:
        campos["descripcion"] = body.descripcion
    if "categorias" in enviados and body.categorias is not None:
        campos["categorias"] = _categorias(body.categorias)
    if "activo" in enviados and body.activo is not None:
        campos["activo"] = body.activo
    miembros = None
    if "miembros" in enviados and body.miembros is not None:
        miembros = await _agentes(body.miembros)
    await _guardar(equipo, campos, miembros)
    [out] = await cargar([equipo.id])
    return out


@routes.delete(DETALLE, auth=Rol.ADMIN)
async def borrar_equipo(request: web.Request, id: int) -> None:
    """Delete a team (admins): its tickets keep no team, its members stay users."""
    equipo = await _equipo(id)
    await equipo.delete()
