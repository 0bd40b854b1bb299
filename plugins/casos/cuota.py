"""Per-user upload quota of case files, counted from the ``casos_adjunto`` rows.

The same windows as the tickets' uploads (``upload_quota_mb_per_hour`` / ``_per_day``), so the
settings an operator already chose bound case files too. Files are recorded first and the
quota checked afterwards in the same transaction: a refusal rolls the rows back and the routing
layer removes the request's stored files. On PostgreSQL an advisory lock per user serialises
two concurrent requests of one user; SQLite runs one writer at a time.
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
from plugins.casos.models import AdjuntoCaso

if TYPE_CHECKING:
    from collections.abc import Collection

    from tortoise.backends.base.client import BaseDBAsyncClient

    from core.settings import Settings

__all__ = ["Cuota", "comprobar_cuota"]

MIB: Final = 1024 * 1024
#: First key of the advisory lock (``pg_advisory_xact_lock(key, user id)``), casos' own.
_CLAVE_BLOQUEO: Final = 0x5C0CA  # "soporte casos"


@dataclass(frozen=True)
class Ventana:
    """At most ``limite`` bytes uploaded by one user in any ``duracion``."""

    limite: int
    duracion: timedelta
    #: How the detail names the window ("por hora").
    nombre: str


@dataclass(frozen=True)
class Cuota:
    """The quotas in force."""

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


async def comprobar_cuota(
    conn: BaseDBAsyncClient, usuario_id: int, cuota: Cuota | None, nuevos: Collection[int]
) -> None:
    """429 if the rows just recorded (``nuevos``, in this transaction) exceed a quota."""
    if cuota is None or not nuevos:
        return
    if conn.capabilities.dialect == "postgres":
        (marca,) = placeholders(conn, 1)
        await conn.execute_query(
            f"SELECT pg_advisory_xact_lock({_CLAVE_BLOQUEO}, {marca})", [usuario_id]
        )
    ahora = datetime.now(UTC)
    for ventana in cuota.ventanas:
        # tortoise types every values_list() as tuples; flat=True returns the bare sums.
        filas = cast(
            "list[int | None]",
            await AdjuntoCaso.filter(
                subido_por_id=usuario_id, fecha_creacion__gte=ahora - ventana.duracion
            )
            .using_db(conn)
            .annotate(total=Sum("tamano"))
            .values_list("total", flat=True),
        )
        usado = int(filas[0] or 0) if filas else 0
        if usado > ventana.limite:
            mib = f"{ventana.limite / MIB:.2f}".rstrip("0").rstrip(".")
            raise TooManyRequests(
                _("Cuota de subida superada: como máximo {cantidad} {ventana} por usuario.").format(
                    cantidad=f"{mib} MiB", ventana=_(ventana.nombre)
                ),
                retry_after=math.ceil(ventana.duracion.total_seconds()),
            )
