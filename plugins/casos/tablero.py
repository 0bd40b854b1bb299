"""The cases' part of the dashboard's series: cases opened per day.

Counted from the ``fecha_creacion`` index in one grouped scan (cases are one per twenty tickets
or so: 90 days at a million tickets is a few thousand index entries). An agent narrowed by team
visibility gets the cases of
:func:`plugins.casos.service.casos_visibles`, bucketed in Python.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from tortoise.connection import connections

from core.auth.guards import team_limited
from core.auth.models import Usuario
from core.dashboard import Aporte, Periodo, Serie, contar_por_dia
from core.i18n import N_
from core.i18n import gettext as _
from plugins.casos.models import Caso

D_CASOS = N_("Casos creados ese día (por su fecha de creación).")


class SeriesCasos(BaseModel):
    """The cases' series of ``GET /api/soporte/dashboard/series/``."""

    casos_abiertos: Serie = Field(description=D_CASOS)


async def series(usuario: Usuario, periodo: Periodo) -> Aporte:
    """``casos_abiertos``, one value per day."""
    if team_limited(usuario):
        from plugins.casos.service import casos_visibles

        valores: list[float | None] = [0.0] * len(periodo.dias)
        fechas = await (
            casos_visibles(usuario)
            .filter(fecha_creacion__gte=periodo.desde, fecha_creacion__lt=periodo.hasta)
            .values_list("fecha_creacion", flat=True)
        )
        for fecha in fechas:
            if (i := periodo.dia_de(fecha)) is not None:  # type: ignore[arg-type]
                valores[i] = (valores[i] or 0) + 1
    else:
        conn = connections.get(Caso._meta.default_connection or "default")
        valores = await contar_por_dia(conn, Caso._meta.db_table, "fecha_creacion", periodo)
    serie = Serie(
        titulo=_("Casos"), definicion=_(D_CASOS), unidad="", grafico="casos", valores=valores
    )
    return Aporte(series={"casos_abiertos": serie})
