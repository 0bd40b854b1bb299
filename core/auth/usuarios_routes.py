"""``/api/soporte/usuarios/``: finding users (agents) and administering them (admins).

Agents search users to assign or mention them; only admins create users, change roles, teams
or deactivate someone. Deactivating ends the user's sessions everywhere (the same path as a
logout everywhere: tokens deleted, sockets closed with 4401 in every process).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from tortoise.expressions import Q

from core.api.pagination import Page, paginate
from core.api.routing import Routes
from core.auth import equipos
from core.auth.admin_schemas import UsuarioAdminOut, UsuariosQuery
from core.auth.models import Rol, Usuario
from core.auth.names import normalize_name, skeleton

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tortoise.queryset import QuerySet

routes = Routes(tag="usuarios")

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
