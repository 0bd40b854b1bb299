"""The one place that decides who may see and do what — REST and WebSocket alike.

Rules of the contract: a ``CLIENTE`` sees only what is theirs; ``AGENTE`` and ``ADMIN`` see
everything; anything not visible is a 404 (never a 403, so existence does not leak). Roles rank
``CLIENTE < AGENTE < ADMIN``; an endpoint that requires ``AGENTE`` admits admins too.

Internal notes (replies with ``interna=True``) are staff-only: :func:`can_see_notes` and
:func:`visible_replies` are the one rule every place that shows or sends a reply applies.

Change history (:mod:`core.history`): agents see every entry; the customer who may see the
object sees its *public* timeline only — see :func:`public_change` for which fields that is.

Team visibility (``SOPORTE_TEAM_VISIBILITY``, off by default): an ``AGENTE`` then sees only
objects of their active teams, objects with no team and objects assigned to them; admins still
see everything. Objects that carry a team (tickets, cases) ask for it by naming their team and
assignee fields (``campo_equipo``, ``campo_agente``) in :func:`visible_to` and
:func:`visible_in_teams_or_404`. The setting reaches this module through a context variable
that the auth middleware sets for each request and socket (:func:`team_visibility`), so that
no caller has to thread it through, and with it off nothing here queries anything.
"""

from __future__ import annotations

import contextlib
import sqlite3
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from tortoise.expressions import Q, Subquery

from core import labels
from core.api.errors import Forbidden, NotFound, Unauthorized
from core.auth.equipos import es_miembro
from core.auth.models import Equipo, Rol, Token, Usuario
from core.auth.passwords import hash_token
from core.db import placeholders, reader
from core.i18n import gettext as _
from core.keys import USUARIO

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiohttp import web
    from tortoise.models import Model
    from tortoise.queryset import QuerySet

    from core.api.routing import Access

M = TypeVar("M", bound="Model")

_RANK = {Rol.CLIENTE: 0, Rol.AGENTE: 1, Rol.ADMIN: 2}


def has_role(usuario: Usuario, rol: Rol) -> bool:
    """Whether ``usuario`` holds ``rol`` or a higher one."""
    return _RANK[Rol(usuario.rol)] >= _RANK[rol]


def can_see(usuario: Usuario, propietario_id: int | None) -> bool:
    """Whether ``usuario`` may see an object owned by ``propietario_id``."""
    return usuario.es_agente or (propietario_id is not None and propietario_id == usuario.id)


#: Whether ``SOPORTE_TEAM_VISIBILITY`` is on for the request (or socket) being served.
_TEAM_VISIBILITY: ContextVar[bool] = ContextVar("soporte_team_visibility", default=False)


@contextlib.contextmanager
def team_visibility(enabled: bool) -> Iterator[None]:
    """Apply (or not) team visibility to every check made inside the block: the auth
    middleware wraps each request in it with the app's setting."""
    marca = _TEAM_VISIBILITY.set(enabled)
    try:
        yield
    finally:
        _TEAM_VISIBILITY.reset(marca)


def team_limited(usuario: Usuario) -> bool:
    """Whether team visibility narrows what ``usuario`` sees: an ``AGENTE`` while it is on
    (admins always see everything, customers only their own anyway). Lists use it to leave
    maintained totals aside, which count every ticket."""
    return _TEAM_VISIBILITY.get() and usuario.rol == Rol.AGENTE


def visible_to(
    usuario: Usuario,
    queryset: QuerySet[M],
    campo: str = "cliente_id",
    *,
    campo_equipo: str | None = None,
    campo_agente: str | None = None,
) -> QuerySet[M]:
    """Restrict ``queryset`` to what ``usuario`` may see (``campo`` holds the owner's id).

    ``campo_equipo`` (and ``campo_agente``): the fields of the object's team and assignee, for
    objects that team visibility applies to. The user's teams are a sub-select of the same
    query, so narrowing costs no query of its own.
    """
    if not usuario.es_agente:
        return queryset.filter(**{campo: usuario.id})
    if campo_equipo is None or not team_limited(usuario):
        return queryset
    mios = Subquery(Equipo.filter(activo=True, miembros__id=usuario.id).values("id"))
    sin_equipo: dict[str, Any] = {f"{campo_equipo}__isnull": True}
    de_los_mios: dict[str, Any] = {f"{campo_equipo}__in": mios}
    condicion = Q(**sin_equipo) | Q(**de_los_mios)
    if campo_agente is not None:
        suyo: dict[str, Any] = {campo_agente: usuario.id}
        condicion |= Q(**suyo)
    return queryset.filter(condicion)


def owner_scope(usuario: Usuario) -> int | None:
    """:func:`visible_to`'s rule for hand-written SQL: the owner id every row must have for
    ``usuario`` (a customer's own id), or ``None`` when they see every row (agents).

    Team visibility is not expressed here: when :func:`team_limited` holds for ``usuario``,
    a read must go through :func:`visible_to` (its sub-select of the user's teams) instead.
    """
    return None if usuario.es_agente else usuario.id


def visible_or_404(usuario: Usuario, obj: Any, campo: str = "cliente_id") -> Any:
    """``obj`` if ``usuario`` may see it; otherwise (or if it is ``None``) a 404."""
    if obj is None or not can_see(usuario, getattr(obj, campo)):
        raise NotFound()
    return obj


def can_see_notes(usuario: Usuario) -> bool:
    """Whether ``usuario`` may read and write internal notes (agents and admins)."""
    return usuario.es_agente


def visible_replies(usuario: Usuario, queryset: QuerySet[M]) -> QuerySet[M]:
    """Restrict a queryset of replies (``Respuesta``) to those ``usuario`` may see: a customer's
    never contains internal notes (``interna=True``); staff see them all."""
    return queryset if can_see_notes(usuario) else queryset.filter(interna=False)


def reply_visible(usuario: Usuario, interna: bool) -> bool:
    """Whether ``usuario`` may be shown one reply whose ``interna`` flag is given — the
    in-memory form of :func:`visible_replies`, for replies already loaded or in events."""
    return not interna or can_see_notes(usuario)


@dataclass(frozen=True)
class Audience:
    """Who may see an object of ``propietario_id`` (and, with ``interna``, a note about it), as
    a query over users reads it: every user whose role is in ``roles``, plus user ``owner_id``
    when it is not ``None``. The set form of :func:`can_see` and :func:`reply_visible`, for
    a statement that picks its recipients itself (notifications are written by one
    ``INSERT … SELECT``); ``tests/core/test_guards.py`` keeps the two forms in step."""

    roles: tuple[str, ...]
    owner_id: int | None


def audience(propietario_id: int | None, *, interna: bool = False) -> Audience:
    """The users who pass ``can_see(u, propietario_id)`` and ``reply_visible(u, interna)``."""
    staff = tuple(r.value for r in (Rol.AGENTE, Rol.ADMIN))  # Usuario.es_agente's roles
    return Audience(staff, None if interna else propietario_id)


#: The fields whose changes the customer's timeline shows: the creation, and what the
#: customer's own view of the object already shows and cares about (the state, the priority or
#: urgency, the category, who is handling it — agents' names already appear on their replies).
#: Everything else is internal: teams (how support organises itself), escalation levels,
#: links between cases, and any field not listed here (a new field starts internal).
PUBLIC_HISTORY_FIELDS = frozenset(
    {"creado", "estado", "prioridad", "urgencia", "categoria", "agente_asignado"}
)


def public_change(entidad: str, campo: str) -> bool:
    """Whether a history entry about ``campo`` of an ``entidad`` (``ticket``, ``caso``) is
    shown to the customer (see :data:`PUBLIC_HISTORY_FIELDS`); the same rule for both."""
    return campo in PUBLIC_HISTORY_FIELDS


async def visible_in_teams_or_404(
    usuario: Usuario,
    obj: Any,
    campo: str = "cliente_id",
    *,
    campo_equipo: str = "equipo_id",
    campo_agente: str | None = "agente_asignado_id",
) -> Any:
    """:func:`visible_or_404` plus team visibility, for an object with a team.

    A query only when it can matter: team visibility on, an ``AGENTE``, an object of a team
    and not assigned to them (then: are they a member of that active team?).
    """
    visible_or_404(usuario, obj, campo)
    if not team_limited(usuario):
        return obj
    equipo_id = getattr(obj, campo_equipo)
    if equipo_id is None or (campo_agente is not None and getattr(obj, campo_agente) == usuario.id):
        return obj
    if not await es_miembro(usuario.id, equipo_id):
        raise NotFound()
    return obj


async def user_from_token(token: str | None) -> Usuario | None:
    """The active user behind a raw token, or ``None`` for a missing, unknown or expired one.

    One indexed query; used by the HTTP middleware and by WebSocket handlers (``?token=``).
    """
    fila = await _token_row(token, with_expiry=False)
    if fila is None:
        return None
    usuario = Usuario._init_from_db(**fila)
    return usuario if usuario.activo else None


async def session_from_token(token: str | None) -> tuple[Usuario, datetime] | None:
    """The active user behind a raw token and when the token expires; ``None`` as
    :func:`user_from_token`. What :mod:`core.sessions` needs to end a socket's session."""
    fila = await _token_row(token, with_expiry=True)
    if fila is None:
        return None
    caduca: datetime = Token._meta.fields_map["expira"].to_python_value(fila.pop(_EXPIRA))
    usuario = Usuario._init_from_db(**fila)
    return (usuario, caduca) if usuario.activo else None


#: The alias of the token's expiry in :func:`session_from_token`'s row (no user column's name).
_EXPIRA = "token__expira"


async def _token_row(token: str | None, *, with_expiry: bool) -> dict[str, Any] | None:
    """The user row behind a live token (plus its expiry under ``_EXPIRA`` when asked: only
    sockets need it, and converting it costs every HTTP request time), or ``None``."""
    if not token or len(token) > 256 or token in ("null", "undefined"):
        return None
    # Every authenticated request runs this: one hand-written join instead of an ORM query
    # (whose building cost more than the query itself), on SQLite through the read connection
    # so that it never queues behind another request's writes.
    campos = ", ".join(f'u."{c}"' for c in Usuario._meta.db_fields)
    if with_expiry:
        campos += f', t."expira" AS "{_EXPIRA}"'
    valores = [
        hash_token(token),
        Token._meta.fields_map["expira"].to_db_value(datetime.now(UTC), Token),
    ]
    lector = reader()
    conn = None if lector is not None else Usuario._meta.db
    hash_, ahora = ("?", "?") if conn is None else placeholders(conn, 2)
    sql = (
        f'SELECT {campos} FROM "{Token._meta.db_table}" t JOIN "{Usuario._meta.db_table}" u '
        f"ON u.id = t.usuario_id WHERE t.key_hash = {hash_} AND t.expira > {ahora}"
    )
    if lector is not None:

        def fila_de(conexion: sqlite3.Connection) -> dict[str, Any] | None:
            cursor = conexion.execute(sql, valores)
            fila = cursor.fetchone()
            nombres = [d[0] for d in cursor.description]
            return dict(zip(nombres, fila, strict=True)) if fila else None

        return await lector.ejecutar(fila_de)
    assert conn is not None
    filas = await conn.execute_query_dict(sql, valores)
    return dict(filas[0]) if filas else None


def token_from_header(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (also ``Token <token>``)."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() not in ("bearer", "token") or not value.strip() or " " in value.strip():
        return None
    return value.strip()


def current_user(request: web.Request) -> Usuario:
    """The authenticated user of ``request``, or a 401."""
    # Request.get() is typed by the mapping's Any values, not by the key: annotated here.
    usuario: Usuario | None = request.get(USUARIO)
    if usuario is None:
        raise Unauthorized()
    return usuario


def enforce_access(request: web.Request, access: Access) -> Usuario | None:
    """Apply an endpoint's guard: 401 without a valid token, 403 without the role. An
    ``integration`` endpoint checks its own credential: no user here."""
    if access == "public":
        return request.get(USUARIO)
    if access == "integration":
        return None
    usuario = current_user(request)
    if isinstance(access, Rol) and not has_role(usuario, access):
        raise Forbidden(
            _("Se requiere el rol {rol} ({valor}).").format(
                rol=labels.value_label("rol", access.value), valor=access.value
            )
        )
    return usuario
