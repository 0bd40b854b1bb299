"""The dashboard's trends: the period asked for, and the shapes plugins answer in.

``GET /api/soporte/dashboard/series/`` takes a period (``periodo=hoy|7d|30d|90d``, or
``desde``/``hasta`` dates), turns it into whole days of the business timezone
(``SOPORTE_DASHBOARD_TIMEZONE``, UTC by default) and asks every plugin's ``dashboard_series``
hook for its :class:`Serie` values (one per day); ``GET /api/soporte/dashboard/series/tablas/``
asks the same hook for its :class:`Tabla` tables (per agent, per team) — two requests, so
that the charts do not wait for, nor carry, hundreds of table rows. :class:`Partes` tells a
plugin which of the two is asked. Each figure carries its definition, which the OpenAPI
document and the page's tooltips show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from core.api.errors import BadRequest
from core.db import placeholders
from core.i18n import N_
from core.i18n import gettext as _

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient

#: The longest custom period, in days (a year, leap years included).
MAX_DIAS: Final = 366


class PeriodoFijo(StrEnum):
    """The preset periods: today, or the last 7, 30 or 90 days (today included)."""

    HOY = "hoy"
    D7 = "7d"
    D30 = "30d"
    D90 = "90d"


_DIAS_FIJOS: Final = {
    PeriodoFijo.HOY: 1,
    PeriodoFijo.D7: 7,
    PeriodoFijo.D30: 30,
    PeriodoFijo.D90: 90,
}


class SeriesQuery(BaseModel):
    """The period of the dashboard's series: a preset, or two dates (both included)."""

    periodo: PeriodoFijo | None = Field(
        None, description="hoy, 7d, 30d or 90d (today included). Default 30d."
    )
    desde: date | None = Field(None, description="First day of a custom period (with hasta).")
    hasta: date | None = Field(None, description="Last day of a custom period, included.")


#: The rows a table answers by default (``?filas=``): the busiest ones, the rest summed as one.
FILAS_POR_DEFECTO: Final = 20


class TablasQuery(SeriesQuery):
    """The period of the dashboard's tables, and how many rows of each to answer."""

    filas: int = Field(
        FILAS_POR_DEFECTO,
        ge=0,
        le=10_000,
        description="Rows per table: those with the most tickets; the others are summed into "
        "one last row (`otras_filas` says how many). 0: every row.",
    )


@dataclass(frozen=True)
class Partes:
    """What one request of the dashboard asks the ``dashboard_series`` hook for: the series
    (``GET …/series/``) or the tables (``GET …/series/tablas/``), never both, so that a plugin
    skips the work of the other. ``filas``: the rows each table should keep (``None``: all);
    the others summed into one last row, exactly (sums, and averages of the summed parts)."""

    series: bool = True
    tablas: bool = True
    filas: int | None = None


@dataclass(frozen=True)
class Periodo:
    """Whole days of ``zona``: ``dias`` in order, from ``desde`` (the first day's local
    midnight, aware) to ``hasta`` (the end of the last day or now, whichever is earlier)."""

    zona: ZoneInfo
    dias: tuple[date, ...]
    desde: datetime
    hasta: datetime

    def dia_de(self, momento: datetime) -> int | None:
        """Index in :attr:`dias` of the local day holding ``momento`` (``None``: outside)."""
        dia = momento.astimezone(self.zona).date()
        i = (dia - self.dias[0]).days
        return i if 0 <= i < len(self.dias) else None

    @property
    def dias_utc(self) -> bool:
        """Whether every day is a UTC day (the zone has no offset over the period, e.g. UTC,
        the default): per-day totals in UTC then serve as they are, no hours to regroup."""
        return all(
            medianoche(dia, self.zona) == datetime.combine(dia, time(0), tzinfo=UTC)
            for dia in (*self.dias, self.dias[-1] + timedelta(days=1))
        )

    def fin_de(self, i: int) -> datetime:
        """The end of day ``i`` (the next local midnight), aware."""
        return medianoche(self.dias[i] + timedelta(days=1), self.zona)


def medianoche(dia: date, zona: ZoneInfo) -> datetime:
    """The local midnight starting ``dia`` in ``zona``, as aware UTC."""
    return datetime.combine(dia, time(0), tzinfo=zona).astimezone(UTC)


def _invalido(campos: str | tuple[str, ...], mensaje: str) -> BadRequest:
    """A 400 whose message is also the named parameters' error (clients show it by the field)."""
    nombres = (campos,) if isinstance(campos, str) else campos
    return BadRequest(mensaje, errors={campo: [mensaje] for campo in nombres})


def periodo_de(query: SeriesQuery, zona: ZoneInfo, ahora: datetime | None = None) -> Periodo:
    """The days of ``query`` in ``zona``; a 400 in Spanish for a custom period that is half
    given, reversed, longer than :data:`MAX_DIAS` or in the future, or mixed with a preset."""
    ahora = ahora or datetime.now(UTC)
    hoy = ahora.astimezone(zona).date()
    personalizado = query.desde is not None or query.hasta is not None
    if personalizado and query.periodo is not None:
        raise _invalido("periodo", N_("Indica «periodo» o «desde»/«hasta», no ambos."))
    if personalizado:
        if query.desde is None or query.hasta is None:
            raise _invalido(
                ("desde", "hasta"), N_("Un periodo personalizado necesita «desde» y «hasta».")
            )
        primero, ultimo = query.desde, query.hasta
        if primero > ultimo:
            raise _invalido("desde", N_("«desde» debe ser anterior o igual a «hasta»."))
        if primero > hoy:
            raise _invalido("desde", N_("El periodo no puede empezar en el futuro."))
        ultimo = min(ultimo, hoy)
        if (ultimo - primero).days + 1 > MAX_DIAS:
            raise _invalido(
                "desde", _("El periodo no puede pasar de {dias} días.").format(dias=MAX_DIAS)
            )
    else:
        n = _DIAS_FIJOS[query.periodo or PeriodoFijo.D30]
        primero, ultimo = hoy - timedelta(days=n - 1), hoy
    dias = tuple(primero + timedelta(days=i) for i in range((ultimo - primero).days + 1))
    fin = min(medianoche(ultimo + timedelta(days=1), zona), ahora)
    return Periodo(zona=zona, dias=dias, desde=medianoche(primero, zona), hasta=fin)


class Serie(BaseModel):
    """One figure per day of the period (``null``: nothing to measure that day)."""

    titulo: str = Field(description="A short label.")
    definicion: str = Field(description="What the figure counts, and how.")
    unidad: str = Field(description="Unit of the values: '' (a count), 'h', '%'.")
    grafico: str = Field(description="The chart the page draws it in, with its siblings.")
    valores: list[float | None] = Field(description="One value per day of `dias`.")


class Columna(BaseModel):
    """A column of a :class:`Tabla`."""

    clave: str
    titulo: str
    definicion: str
    unidad: str = ""


class Tabla(BaseModel):
    """Figures per agent or per team over the whole period."""

    titulo: str
    definicion: str
    columnas: list[Columna]
    filas: list[dict[str, Any]] = Field(
        description="One object per row: `nombre` and each column's `clave`."
    )
    otras_filas: int = Field(
        0,
        description="How many rows the last one sums (`?filas=` kept the others); 0: none, "
        "every row is its own.",
    )


class Aporte(BaseModel):
    """What one plugin's ``dashboard_series`` returns."""

    series: dict[str, Serie] = Field(default_factory=dict)
    tablas: dict[str, Tabla] = Field(default_factory=dict)

    def solo(self, partes: Partes) -> Aporte:
        """This contribution without what ``partes`` does not ask for (a plugin that answers
        both, as before :class:`Partes`, still works)."""
        return Aporte(
            series=self.series if partes.series else {},
            tablas=self.tablas if partes.tablas else {},
        )


#: The ``YYYY-MM-DD HH`` (UTC) of timestamp column ``{c}``, per dialect: SQLite keeps timestamps
#: as UTC text (the hour is a prefix), PostgreSQL as ``timestamptz``.
HORA_SQL: Final = {
    "sqlite": "substr({c}, 1, 13)",
    "postgres": "to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')",
}


#: The ``YYYY-MM-DD`` (UTC) of timestamp column ``{c}``, per dialect.
DIA_SQL: Final = {
    "sqlite": "substr({c}, 1, 10)",
    "postgres": "to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
}


async def contar_por_dia(
    conn: BaseDBAsyncClient, tabla: str, columna: str, periodo: Periodo
) -> list[float | None]:
    """How many rows of ``tabla`` have ``columna`` (a timestamp with an index) in each day of
    ``periodo``: one grouped scan of the index over the period, by UTC day when the business
    days are UTC days (one row per day), else by UTC hour summed into the business days."""
    dialecto = "sqlite" if conn.capabilities.dialect == "sqlite" else "postgres"
    por_dia = periodo.dias_utc
    expr = (DIA_SQL if por_dia else HORA_SQL)[dialecto].format(c=columna)
    m = placeholders(conn, 2)
    filas = await conn.execute_query_dict(
        f"SELECT {expr} AS hora, COUNT(*) AS n FROM {tabla} WHERE {columna} >= {m[0]} "
        f"AND {columna} < {m[1]} GROUP BY {expr}",
        [periodo.desde, periodo.hasta],
    )
    valores: list[float | None] = [0.0] * len(periodo.dias)
    formato = "%Y-%m-%d" if por_dia else "%Y-%m-%d %H"
    for fila in filas:
        momento = datetime.strptime(fila["hora"], formato).replace(tzinfo=UTC)
        if (i := periodo.dia_de(momento)) is not None:
            valores[i] = (valores[i] or 0) + int(fila["n"])
    return valores


def media(suma: float, n: int, escala: float = 1.0, decimales: int = 1) -> float | None:
    """``suma / n / escala`` rounded, or ``None`` with nothing to average."""
    return round(suma / n / escala, decimales) if n else None


def porcentaje(parte: int, total: int) -> float | None:
    """``100 · parte / total`` with one decimal, or ``None`` when ``total`` is 0."""
    return round(100 * parte / total, 1) if total else None
