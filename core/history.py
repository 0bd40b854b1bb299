"""The change history of tickets and cases: who changed which field, when, from which channel.

Written by the features themselves, inside the transaction of the change (so a change that
rolls back leaves no history, and a committed change always has its row)::

    async with UnitOfWork(bus) as uow:
        ...  # the change
        await record(uow.connection, entidad="ticket", entidad_id=7,
                     cambios={"estado": ["ABIERTO", "EN_PROGRESO"]},
                     autor_id=agente.id, canal=Canal.API)

and read back with :func:`history` (or, paginated, :func:`cambios` + :func:`cargar`). Which
rows a customer may see is decided by :func:`core.auth.guards.public_change`, unless the
writer says so with ``publico=``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from core.auth.guards import public_change
from core.auth.models import Equipo, Usuario
from core.db import placeholders
from core.history_models import Cambio

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.queryset import QuerySet

__all__ = [
    "CREADO",
    "CambioVista",
    "Canal",
    "cambios",
    "cargar",
    "history",
    "record",
]

#: The ``campo`` of the entry that records an object's creation (``anterior`` ``None``).
CREADO = "creado"

#: Fields whose values are user ids: shown with the user's visible name.
_USER_FIELDS = frozenset({"agente_asignado", "cliente", "cliente_afectado"})
#: Fields whose values are team ids: shown with the team's name.
_TEAM_FIELDS = frozenset({"equipo"})

#: The columns of one row, in the order :func:`record` binds them.
_COLUMNAS = (
    "entidad",
    "entidad_id",
    "campo",
    "anterior",
    "nuevo",
    "autor_id",
    "canal",
    "publico",
    "fecha",
)


class Canal(StrEnum):
    """Where a change came from."""

    #: The REST API (the console, the portal, an integration).
    API = "API"
    #: The WebSocket chat (a reply that moved the state).
    CHAT = "CHAT"
    #: An e-mail (the ``correo`` plugin).
    CORREO = "CORREO"
    #: The system itself: escalation, assignment policies.
    SISTEMA = "SISTEMA"


@dataclass(frozen=True, kw_only=True)
class CambioVista:
    """One history entry as readers get it."""

    id: int
    entidad: str
    entidad_id: int
    campo: str
    anterior: Any
    nuevo: Any
    #: Display names of ``anterior``/``nuevo`` when they are ids (a user, a team), else ``None``.
    anterior_nombre: str | None
    nuevo_nombre: str | None
    autor_id: int | None
    #: The author's visible name (``None`` for the system's own changes).
    autor_nombre: str | None
    canal: str
    publico: bool
    fecha: datetime


def _json(valor: Any) -> str | None:
    """A value as the JSON column stores it (``None`` stays SQL ``NULL``)."""
    # Not JSONField.to_db_value: it takes a str for already-encoded JSON, and "ABIERTO" is not.
    return None if valor is None else json.dumps(valor, separators=(",", ":"), default=str)


async def record(
    conn: BaseDBAsyncClient | None,
    *,
    entidad: str,
    entidad_id: int,
    cambios: Mapping[str, Sequence[Any]],
    autor_id: int | None,
    canal: str,
    publico: bool | None = None,
) -> None:
    """Store one history row per changed field, on ``conn`` (the caller's transaction).

    ``cambios`` maps each field to ``[anterior, nuevo]`` (JSON values: enum values as strings,
    users and teams as ids), as ``TicketActualizado`` carries them; the creation entry is
    ``{CREADO: [None, <something>]}``. ``publico``: whether the customer's timeline shows the
    rows; ``None`` (the default) lets :func:`core.auth.guards.public_change` decide per field.
    All rows go in one multi-row ``INSERT``; nothing is written when ``cambios`` is empty.
    ``conn`` ``None`` uses the default connection (outside a transaction: tests, scripts).
    """
    if not cambios:
        return
    if conn is None:
        conn = Cambio._meta.db
    fecha = Cambio._meta.fields_map["fecha"].to_db_value(datetime.now(UTC), Cambio)
    filas: list[Any] = []
    for campo, par in cambios.items():
        anterior, nuevo = par
        filas += [
            entidad,
            int(entidad_id),
            campo,
            _json(anterior),
            _json(nuevo),
            autor_id,
            str(canal),
            public_change(entidad, campo) if publico is None else publico,
            fecha,
        ]
    marcas = placeholders(conn, len(filas))
    n = len(_COLUMNAS)
    valores = ", ".join("(" + ", ".join(marcas[i : i + n]) + ")" for i in range(0, len(marcas), n))
    columnas = ", ".join(f'"{c}"' for c in _COLUMNAS)
    await conn.execute_query(
        f'INSERT INTO "{Cambio._meta.db_table}" ({columnas}) VALUES {valores}', filas
    )


def cambios(entidad: str, entidad_id: int, *, solo_publico: bool) -> QuerySet[Cambio]:
    """The history rows of one object, oldest first (for :func:`core.api.paginate`)."""
    qs = Cambio.filter(entidad=entidad, entidad_id=entidad_id)
    if solo_publico:
        qs = qs.filter(publico=True)
    return qs.order_by("id")


async def cargar(ids: Sequence[int]) -> list[CambioVista]:
    """The entries with these ids, in that order, with authors' and values' names.

    Three queries at most, whatever the number: the rows with their authors, then the names
    of the users and teams the values refer to (only when some value is one).
    """
    if not ids:
        return []
    filas = await Cambio.filter(id__in=list(ids)).values(
        "id", "entidad", "entidad_id", "campo", "anterior", "nuevo", "autor_id", "canal",
        "publico", "fecha", "autor__nombre", "autor__username",
    )  # fmt: skip
    por_id = {f["id"]: f for f in filas}
    usuarios: set[int] = set()
    equipos: set[int] = set()
    for fila in filas:
        destino = (
            usuarios
            if fila["campo"] in _USER_FIELDS
            else equipos
            if fila["campo"] in _TEAM_FIELDS
            else None
        )
        if destino is not None:
            destino.update(v for v in (fila["anterior"], fila["nuevo"]) if isinstance(v, int))
    nombres_usuario: dict[int, str] = {}
    if usuarios:
        for u in await Usuario.filter(id__in=usuarios).only("id", "nombre", "username"):
            nombres_usuario[u.id] = u.nombre_visible
    nombres_equipo: dict[int, str] = {}
    if equipos:
        for e in await Equipo.filter(id__in=equipos).only("id", "nombre"):
            nombres_equipo[e.id] = e.nombre

    def nombre(campo: str, valor: Any) -> str | None:
        if not isinstance(valor, int):
            return None
        if campo in _USER_FIELDS:
            return nombres_usuario.get(valor)
        if campo in _TEAM_FIELDS:
            return nombres_equipo.get(valor)
        return None

    vistas = []
    for id_ in ids:
        if id_ not in por_id:
            continue
        fila = por_id[id_]
        autor = (fila["autor__nombre"] or fila["autor__username"]) if fila["autor_id"] else None
        vistas.append(
            CambioVista(
                id=fila["id"],
                entidad=fila["entidad"],
                entidad_id=fila["entidad_id"],
                campo=fila["campo"],
                anterior=fila["anterior"],
                nuevo=fila["nuevo"],
                anterior_nombre=nombre(fila["campo"], fila["anterior"]),
                nuevo_nombre=nombre(fila["campo"], fila["nuevo"]),
                autor_id=fila["autor_id"],
                autor_nombre=autor,
                canal=fila["canal"],
                publico=bool(fila["publico"]),
                fecha=fila["fecha"],
            )
        )
    return vistas


async def history(
    entidad: str, entidad_id: int, *, solo_publico: bool, limite: int = 500
) -> list[CambioVista]:
    """The first ``limite`` entries of one object's history, oldest first (``solo_publico``:
    only what the customer's timeline shows)."""
    consulta = cambios(entidad, entidad_id, solo_publico=solo_publico).limit(limite)
    # tortoise types every values_list() as tuples; flat=True returns the bare ids.
    ids = cast("list[int]", list(await consulta.values_list("id", flat=True)))
    return await cargar(ids)
