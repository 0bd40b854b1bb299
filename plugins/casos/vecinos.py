"""What casos uses from the other parts of issue 17, in one place.

Notes' visibility rule (:mod:`core.auth.guards`), team membership (:mod:`core.auth.equipos`)
and the change history (:mod:`core.history`) are written by other branches at the same time.
Each is imported from its home when it exists; until then the fallbacks below implement the
same shared interface (docs: "Shared interfaces" of the issue), so the merge only deletes them.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from core.auth.models import Equipo, Rol, Usuario

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.queryset import QuerySet

__all__ = ["can_see_notes", "es_miembro", "record", "visible_replies"]

#: Roles that are staff (members of a team, readers of notes).
ROLES_PERSONAL = (Rol.AGENTE, Rol.ADMIN)


def _de(modulo: str, nombre: str, alternativa: Any) -> Any:
    """``modulo.nombre`` once its branch is merged, else ``alternativa`` (same interface)."""
    try:
        return getattr(importlib.import_module(modulo), nombre)
    except (ImportError, AttributeError):
        return alternativa


def _can_see_notes(usuario: Usuario) -> bool:
    """Whether ``usuario`` may read and write internal notes (agents and admins)."""
    return usuario.es_agente


def _visible_replies(usuario: Usuario, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """A customer's queryset of replies never holds internal notes (``interna=True``)."""
    return queryset if _can_see_notes(usuario) else queryset.filter(interna=False)


async def _es_miembro(usuario_id: int, equipo_id: int) -> bool:
    """Whether ``usuario_id`` is an active staff member of the active team ``equipo_id``."""
    return await Equipo.filter(
        id=equipo_id,
        activo=True,
        miembros__id=usuario_id,
        miembros__activo=True,
        miembros__rol__in=ROLES_PERSONAL,
    ).exists()


async def _record(
    conn: BaseDBAsyncClient | None,
    *,
    entidad: str,
    entidad_id: int,
    cambios: Mapping[str, Sequence[Any]],
    autor_id: int | None,
    canal: str,
    publico: bool = True,
) -> None:
    """No history store yet: nothing is recorded (the history branch provides it)."""
    return None


#: ``core.auth.guards.can_see_notes``.
can_see_notes = cast(
    "Callable[[Usuario], bool]", _de("core.auth.guards", "can_see_notes", _can_see_notes)
)
#: ``core.auth.guards.visible_replies``.
visible_replies = cast(
    "Callable[[Usuario, QuerySet[Any]], QuerySet[Any]]",
    _de("core.auth.guards", "visible_replies", _visible_replies),
)
#: ``core.auth.equipos.es_miembro``.
es_miembro = cast(
    "Callable[[int, int], Awaitable[bool]]", _de("core.auth.equipos", "es_miembro", _es_miembro)
)
#: ``core.history.record``.
record = cast("Callable[..., Awaitable[None]]", _de("core.history", "record", _record))
