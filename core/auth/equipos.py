"""Teams (:class:`core.auth.models.Equipo`) as the rest of the code reads them: plain ids.

Other modules (tickets' routing, assignment policies, cases, the visibility guard) ask these
questions and never walk the ORM relation themselves, so the rule for "active" lives here once:
an inactive team serves no category and counts for nobody's visibility, and only active
AGENTE/ADMIN users are a team's working members.

:func:`sql_team_for_category` is the routing rule as one scalar SQL sub-select, so that the
ticket ``INSERT`` routes the new ticket in the same statement (no extra round trip on the
hottest write) and :func:`equipo_para_categoria` asks the very same question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise.connection import connections

from core.auth.models import Equipo, Rol, Usuario
from core.db import placeholders

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from tortoise.backends.base.client import BaseDBAsyncClient

__all__ = [
    "equipo_para_categoria",
    "equipos_de",
    "equipos_por_usuario",
    "es_miembro",
    "miembros",
    "sql_team_for_category",
]


def _through() -> tuple[str, str, str]:
    """The membership table and its user and team columns, as the model declares them."""
    campo: Any = Equipo._meta.fields_map["miembros"]
    return campo.through, campo.forward_key, campo.backward_key


async def equipos_de(usuario_id: int) -> list[int]:
    """Ids of the active teams ``usuario_id`` belongs to, ascending."""
    ids = (
        await Equipo.filter(activo=True, miembros__id=usuario_id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return [int(i) for i in ids]  # type: ignore[call-overload]  # flat values are bare ids


async def miembros(equipo_id: int) -> list[int]:
    """Ids of the active AGENTE/ADMIN members of ``equipo_id``, ascending.

    Customers or deactivated users left in a team are no members for assignment or routing.
    An inactive or unknown team has none.
    """
    ids = (
        await Usuario.filter(
            equipos__id=equipo_id,
            equipos__activo=True,
            activo=True,
            rol__in=[Rol.AGENTE, Rol.ADMIN],
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    return [int(i) for i in ids]  # type: ignore[call-overload]  # flat values are bare ids


async def es_miembro(usuario_id: int, equipo_id: int) -> bool:
    """Whether ``usuario_id`` belongs to the active team ``equipo_id`` (one indexed lookup)."""
    return await Equipo.filter(id=equipo_id, activo=True, miembros__id=usuario_id).exists()


def sql_team_for_category(conn: BaseDBAsyncClient, marca: str) -> str:
    """A scalar sub-select: the lowest id of the active teams whose ``categorias`` contain the
    parameter ``marca`` (a placeholder of ``conn``'s dialect), or NULL.

    ``categorias`` is a JSON array: SQLite reads it with ``json_each``, PostgreSQL (``jsonb``)
    with the ``?`` containment operator, so a category that is a prefix of another never
    matches it.
    """
    tabla = Equipo._meta.db_table
    if conn.capabilities.dialect == "sqlite":
        contiene = f"EXISTS (SELECT 1 FROM json_each(e.categorias) WHERE json_each.value = {marca})"
    else:
        contiene = f"e.categorias ? {marca}"
    return f'(SELECT e.id FROM "{tabla}" e WHERE e.activo AND {contiene} ORDER BY e.id LIMIT 1)'


async def equipo_para_categoria(
    categoria: str, conn: BaseDBAsyncClient | None = None
) -> int | None:
    """The id of the active team serving ``categoria`` (the lowest id if several do), or
    ``None``. ``conn``: run inside that transaction (the creating unit of work)."""
    conn = conn or connections.get("default")
    [marca] = placeholders(conn, 1)
    filas = await conn.execute_query_dict(
        f"SELECT {sql_team_for_category(conn, marca)} AS equipo", [str(categoria)]
    )
    valor = filas[0]["equipo"] if filas else None
    return None if valor is None else int(valor)


async def equipos_por_usuario(usuario_ids: Iterable[int]) -> dict[int, list[int]]:
    """The teams (active or not) of each of ``usuario_ids``, in one query: the users admin
    lists a page of users with their teams without a query per row."""
    ids = sorted(set(usuario_ids))
    resultado: dict[int, list[int]] = {i: [] for i in ids}
    if not ids:
        return resultado
    tabla, col_usuario, col_equipo = _through()
    conn = connections.get("default")
    marcas = ", ".join(placeholders(conn, len(ids)))
    filas = await conn.execute_query_dict(
        f'SELECT "{col_usuario}" AS u, "{col_equipo}" AS e FROM "{tabla}" '
        f'WHERE "{col_usuario}" IN ({marcas}) ORDER BY "{col_equipo}"',
        ids,
    )
    for fila in filas:
        resultado[int(fila["u"])].append(int(fila["e"]))
    return resultado


async def nombres(equipo_ids: Sequence[int]) -> dict[int, str]:
    """``{id: nombre}`` of the given teams, in one query."""
    if not equipo_ids:
        return {}
    filas = await Equipo.filter(id__in=list(set(equipo_ids))).values_list("id", "nombre")
    return {int(i): str(n) for i, n in filas}
