"""Per-user upload quota: bytes per hour and per day, counted from the ``Adjunto`` rows.

The count lives in the database (each row has its uploader, size and date), so every process
agrees without Redis. A request's files are recorded first and the quota checked afterwards,
inside the same transaction: a refusal rolls the rows back, and the request's stored files are
removed by the routing layer (it deletes the files of any request that fails).

Two concurrent requests of one user must not both pass: on PostgreSQL the check takes a
transaction-scoped advisory lock per user before counting, so the second request counts after
the first committed (READ COMMITTED gives every statement a fresh snapshot). SQLite runs one
writer at a time, and the rows were inserted before the count, so the second writer already
sees the first one's rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, cast

from tortoise.functions import Sum

from core.api.errors import TooManyRequests
from core.db import placeholders
from core.i18n import N_
from core.i18n import gettext as _
from plugins.tickets.models import Adjunto

if TYPE_CHECKING:
    from collections.abc import Collection

    from tortoise.backends.base.client import BaseDBAsyncClient

    from core.settings import Settings

__all__ = ["Cuota", "comprobar_cuota"]

MIB: Final = 1024 * 1024
#: First key of the advisory lock (``pg_advisory_xact_lock(key, user id)``): names this lock,
#: so that no other advisory lock on a user id collides with it.
_CLAVE_BLOQUEO: Final = 0x5C07A  # "soporte cuota"


@dataclass(frozen=True)
class Ventana:
    """One quota: at most ``limite`` bytes uploaded by one user in any ``duracion``."""

    limite: int
    duracion: timedelta
    #: How the detail names the window ("por hora").
    nombre: str


@dataclass(frozen=True)
class Cuota:
    """The quotas in force (an empty tuple: none)."""

    ventanas: tuple[Ventana, ...]

    @classmethod
    def de(cls, settings: Settings) -> Cuota | None:
        """The quotas of ``settings``; ``None`` when both are off (0)."""
        ventanas = tuple(
            Ventana(int(mb * MIB), duracion, nombre)
            for mb, duracion, nombre in (
                (settings.upload_quota_mb_per_hour, timedelta(hours=1), N_("por hora")),
                (settings.upload_quota_mb_per_day, timedelta(days=1), N_("por día")),
            )
            if mb > 0
        )
        return cls(ventanas) if ventanas else None


def _mib(n: int) -> str:
    """``209715200`` → ``"200 MiB"`` (at most two decimals); under 1 MiB in KiB."""
    if n < MIB:
        return f"{n / 1024:.0f} KiB"
    return f"{n / MIB:.2f}".rstrip("0").rstrip(".") + " MiB"


async def _bloquear_usuario(conn: BaseDBAsyncClient, usuario_id: int) -> None:
    """Serialise the quota checks of one user until the transaction ends (PostgreSQL only)."""
    if conn.capabilities.dialect == "postgres":
        (marca,) = placeholders(conn, 1)
        await conn.execute_query(
            f"SELECT pg_advisory_xact_lock({_CLAVE_BLOQUEO}, {marca})", [usuario_id]
        )


async def _espera(
    conn: BaseDBAsyncClient,
    usuario_id: int,
    ventana: Ventana,
    nuevos: Collection[int],
    ahora: datetime,
) -> int:
    """Seconds until enough of ``ventana`` frees up for the refused request to fit.

    Earlier uploads leave the window oldest first; the request fits once what remains plus
    the request itself is within the limit. A request larger than the limit on its own never
    fits: the whole window is the honest answer.
    """
    filas = await (
        Adjunto.filter(subido_por_id=usuario_id, fecha_creacion__gte=ahora - ventana.duracion)
        .using_db(conn)
        .order_by("fecha_creacion", "id")
        .values_list("id", "tamano", "fecha_creacion")
    )
    peticion = sum(t for i, t, _ in filas if i in nuevos)
    previas = [(t, f) for i, t, f in filas if i not in nuevos]
    restante = sum(t for t, _ in previas)
    for tamano, fecha in previas:
        restante -= tamano
        if restante + peticion <= ventana.limite:
            return math.ceil((fecha + ventana.duracion - ahora).total_seconds())
    return math.ceil(ventana.duracion.total_seconds())


async def comprobar_cuota(
    conn: BaseDBAsyncClient, usuario_id: int, cuota: Cuota | None, nuevos: Collection[int]
) -> None:
    """429 if the rows just recorded (``nuevos``, in this transaction) exceed a quota.

    Call it inside the transaction that inserted them, after inserting: the refusal then rolls
    them back. ``Retry-After`` is when the request would fit (see :func:`_espera`).
    """
    if cuota is None or not nuevos:
        return
    await _bloquear_usuario(conn, usuario_id)
    ahora = datetime.now(UTC)
    for ventana in cuota.ventanas:
        # tortoise types every values_list() as tuples; flat=True returns the bare sums.
        filas = cast(
            "list[int | None]",
            await Adjunto.filter(
                subido_por_id=usuario_id, fecha_creacion__gte=ahora - ventana.duracion
            )
            .using_db(conn)
            .annotate(total=Sum("tamano"))
            .values_list("total", flat=True),
        )
        usado = int(filas[0] or 0) if filas else 0
        if usado > ventana.limite:
            raise TooManyRequests(
                _("Cuota de subida superada: como máximo {cantidad} {ventana} por usuario.").format(
                    cantidad=_mib(ventana.limite), ventana=_(ventana.nombre)
                ),
                retry_after=await _espera(conn, usuario_id, ventana, nuevos, ahora),
            )
