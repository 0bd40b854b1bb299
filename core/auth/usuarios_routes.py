"""``/api/soporte/usuarios/``: finding users (agents) and administering them (admins).

Agents search users to assign or mention them; only admins create users, change roles, teams
or deactivate someone. Deactivating ends the user's sessions everywhere (the same path as a
logout everywhere: tokens deleted, sockets closed with 4401 in every process).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from tortoise.expressions import Q

from core.api.errors import BadRequest, Conflict, NotFound
from core.api.pagination import Page, paginate
from core.api.routing import Routes
from core.auth import cuentas, equipos, service
from core.auth.admin_schemas import UsuarioAdminOut, UsuarioNuevoIn, UsuarioPatch, UsuariosQuery
from core.auth.guards import current_user
from core.auth.models import Equipo, Rol, Usuario
from core.auth.names import impersonates_staff, normalize_name, skeleton
from core.i18n import N_
from core.keys import PASSWORDS, SESSIONS, SETTINGS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tortoise.queryset import QuerySet

routes = Routes(
    tag="usuarios",
    description="Finding users (agents) and administering accounts (admins).",
)

BASE = "/api/soporte/usuarios/"
DETALLE = r"/api/soporte/usuarios/{id:\d+}/"


def buscar(query: UsuariosQuery) -> QuerySet[Usuario]:
    """Users matching ``query``, by username then id.

    ``q`` is looked for in the username, the name and the e-mail without regard to case (as
    the database's ``LIKE``/``ILIKE`` folds it), and in the username's confusable skeleton,
    which also folds case and look-alike letters.
    """
    qs = Usuario.all()
    if query.rol is not None:
        qs = qs.filter(rol=query.rol)
    if query.activo is not None:
        qs = qs.filter(activo=query.activo)
    texto = normalize_name(query.q or "")
    if texto:
        condicion = (
            Q(username__icontains=texto) | Q(nombre__icontains=texto) | Q(email__icontains=texto)
        )
        if clave := skeleton(texto):
            condicion |= Q(username_skeleton__contains=clave)
        qs = qs.filter(condicion)
    return qs.order_by("username", "id")


async def cargar(ids: Sequence[int]) -> list[UsuarioAdminOut]:
    """The users ``ids`` in that order with their teams, in two queries."""
    usuarios = {u.id: u for u in await Usuario.filter(id__in=list(ids))}
    de = await equipos.equipos_por_usuario(ids)
    return [UsuarioAdminOut.de(usuarios[i], de[i]) for i in ids if i in usuarios]


@routes.get(BASE, auth=Rol.AGENTE)
async def listar_usuarios(request: web.Request, query: UsuariosQuery) -> Page[UsuarioAdminOut]:
    """Search users by username, name or e-mail (agents), filtered by `rol` and `activo`."""
    return await paginate(request, buscar(query), query, cargar, UsuarioAdminOut)


async def _equipos(ids: Sequence[int], rol: Rol) -> list[Equipo]:
    """The teams ``ids``; a 400 naming unknown ids, or any team for a customer."""
    unicos = sorted(set(ids))
    if unicos and rol == Rol.CLIENTE:
        raise BadRequest(
            "Datos inválidos.",
            errors={
                "equipos": [N_("Solo agentes y administradores pueden ser miembros de equipos.")]
            },
        )
    lista = list(await Equipo.filter(id__in=unicos)) if unicos else []
    desconocidos = sorted(set(unicos) - {e.id for e in lista})
    if desconocidos:
        nombres = ", ".join(map(str, desconocidos))
        raise BadRequest(
            "Datos inválidos.", errors={"equipos": [f"Equipos desconocidos: {nombres}."]}
        )
    return lista


async def _usuario(id: int) -> Usuario:
    usuario = await Usuario.filter(id=id).first()
    if usuario is None:
        raise NotFound()
    return usuario


async def _out(usuario: Usuario) -> UsuarioAdminOut:
    de = await equipos.equipos_por_usuario([usuario.id])
    return UsuarioAdminOut.de(usuario, de[usuario.id])


@routes.post(BASE, auth=Rol.ADMIN, status=201)
async def crear_usuario(request: web.Request, body: UsuarioNuevoIn) -> UsuarioAdminOut:
    """Create a user of any role (admins). Without `password`, a link to choose one is mailed
    to `email`; until then nobody can log in as them."""
    settings = request.app[SETTINGS]
    lista = await _equipos(body.equipos, body.rol)
    usuario = await service.crear_usuario(
        body.username,
        body.password,
        body.rol,
        nombre=body.nombre,
        email=body.email,
        hashing=request.app[PASSWORDS],
        password_min_length=settings.password_min_length,
    )
    if lista:
        await equipos.poner_equipos_de(usuario.id, [e.id for e in lista])
    if body.password is None:
        await cuentas.enviar_enlace_password(request, usuario)
    return await _out(usuario)


@routes.get(DETALLE, auth=Rol.ADMIN)
async def detalle_usuario(request: web.Request, id: int) -> UsuarioAdminOut:
    """One user with their teams (admins)."""
    return await _out(await _usuario(id))


@routes.patch(DETALLE, auth=Rol.ADMIN, errors=(409,))
async def actualizar_usuario(request: web.Request, id: int, body: UsuarioPatch) -> UsuarioAdminOut:
    """Change a user's role, state, name, e-mail or teams (admins; only the fields sent).

    Deactivating ends every session of the user everywhere (tokens revoked, sockets closed
    with 4401); reactivating revives none. A new role closes their open sockets (they reconnect
    with the new role). Admins may neither deactivate nor demote themselves (409), so there is
    always an admin. A user demoted to CLIENTE leaves every team.
    """
    yo = current_user(request)
    usuario = await _usuario(id)
    enviados = {k for k in body.model_fields_set if getattr(body, k) is not None}
    rol = Rol(body.rol) if "rol" in enviados and body.rol is not None else Rol(usuario.rol)
    if usuario.id == yo.id and (rol != Rol.ADMIN or body.activo is False):
        raise Conflict("No puedes desactivarte ni quitarte el rol ADMIN a ti mismo.")
    lista = await _equipos(body.equipos, rol) if body.equipos is not None else None
    campos: list[str] = []
    if body.nombre is not None:
        nombre = normalize_name(body.nombre)
        if rol == Rol.CLIENTE and impersonates_staff(nombre):
            raise BadRequest(
                "Datos inválidos.",
                errors={"nombre": [N_("El nombre de un cliente no puede parecer del personal.")]},
            )
        usuario.nombre = nombre
        campos.append("nombre")
    if body.email is not None and body.email != usuario.email:
        # An address an admin sets is taken as confirmed: nobody else could confirm it.
        usuario.email, usuario.email_verificado = body.email, True
        campos += ["email", "email_verificado"]
    rol_cambia = rol != usuario.rol
    if rol_cambia:
        usuario.rol = rol
        campos.append("rol")
    if campos:
        await usuario.save(update_fields=campos)
    if rol == Rol.CLIENTE and rol_cambia and lista is None:
        lista = []  # a customer is in no team
    if lista is not None:
        await equipos.poner_equipos_de(usuario.id, [e.id for e in lista])
    sesiones = request.app[SESSIONS]
    if body.activo is not None and body.activo != usuario.activo:
        if body.activo:
            await service.activar_usuario(usuario, sesiones)
        else:
            await service.desactivar_usuario(usuario, sesiones)
    elif rol_cambia:
        await sesiones.end_user(usuario.id)
    return await _out(usuario)
