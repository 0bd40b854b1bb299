"""``GET /api/soporte/dashboard/series/``: the core's side — the period handed to every plugin's
``dashboard_series``, their contributions merged, and ``dashboard_series_schema`` typing the
answer in the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from core import hookimpl
from core.auth.models import Rol, Usuario
from core.dashboard import FILAS_POR_DEFECTO, Aporte, Columna, Partes, Periodo, Serie, Tabla

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SoporteClient

URL = "/api/soporte/dashboard/series/"
DEFINICION = "Usuarios dados de alta ese día."


class Altas(BaseModel):
    altas: Serie = Field(description=DEFINICION)


class Usuarios:
    """A plugin counting sign-ups per day, asynchronously, and declaring its series."""

    name = "usuarios"

    def __init__(self) -> None:
        self.periodos: list[Periodo] = []

    @hookimpl
    async def dashboard_series(self, usuario: Usuario, periodo: Periodo) -> Aporte:
        self.periodos.append(periodo)
        por_dia: list[float | None] = [0.0] * len(periodo.dias)
        for alta in await Usuario.all().values_list("fecha_creacion", flat=True):
            if (i := periodo.dia_de(alta)) is not None:  # type: ignore[arg-type]
                por_dia[i] = (por_dia[i] or 0) + 1
        serie = Serie(
            titulo="Altas", definicion=DEFINICION, unidad="", grafico="altas", valores=por_dia
        )
        return Aporte(series={"altas": serie})

    @hookimpl
    def dashboard_series_schema(self) -> type[BaseModel]:
        return Altas


class Nada:
    name = "nada"

    @hookimpl
    def dashboard_series(self) -> None:
        return None


async def test_hook_dashboard_series_merges_and_is_typed(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    plugin = Usuarios()
    api = await arrancar(extra=[plugin, Nada()])
    agente = await api.usuario("agente", Rol.AGENTE)
    r = await api.get(URL, headers=api.auth(agente), params={"periodo": "7d"})
    assert r.status == 200, await r.text()
    datos = await r.json()
    hoy = datetime.now(UTC).date()
    assert datos["dias"] == [(hoy - timedelta(days=6 - i)).isoformat() for i in range(7)]
    assert datos["series"]["altas"]["valores"] == [0, 0, 0, 0, 0, 0, 1]
    assert "tablas" not in datos  # they are their own request
    [periodo] = plugin.periodos
    assert periodo.desde.tzinfo is not None and periodo.hasta <= datetime.now(UTC)

    spec = await (await api.get("/api/openapi.json")).json()
    esquemas = spec["components"]["schemas"]
    assert esquemas["DashboardSeriesSeries"]["properties"]["altas"]["description"] == DEFINICION


async def test_hook_dashboard_series_schema_without_plugins(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(extra=[Nada()])
    agente = await api.usuario("agente", Rol.AGENTE)
    datos = await (await api.get(URL, headers=api.auth(agente))).json()
    assert len(datos["dias"]) == 30 and datos["series"] == {} and datos["zona"] == "UTC"


def test_dias_utc_solo_sin_desfase():
    """A period's days are UTC days (and UTC day totals serve it) only where the zone has no
    offset on any of its days: UTC, or London in winter — not Tokyo, not London across March's
    change to summer time."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from core.dashboard import PeriodoFijo, SeriesQuery, periodo_de

    def periodo(zona: str, hoy: date) -> Periodo:
        ahora = datetime.combine(hoy, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
        return periodo_de(SeriesQuery(periodo=PeriodoFijo.D30), ZoneInfo(zona), ahora)

    assert periodo("UTC", date(2026, 7, 1)).dias_utc
    assert periodo("Europe/London", date(2026, 1, 31)).dias_utc
    assert not periodo("Europe/London", date(2026, 4, 10)).dias_utc
    assert not periodo("Asia/Tokyo", date(2026, 1, 31)).dias_utc


class Antiguo:
    """A plugin written before :class:`Partes`: two arguments, series and a table together."""

    name = "antiguo"

    @hookimpl
    def dashboard_series(self, usuario: Usuario, periodo: Periodo) -> dict[str, Any]:
        serie = Serie(titulo="S", definicion="D", unidad="", grafico="s", valores=[1.0])
        columnas = [Columna(clave="n", titulo="N", definicion="Cuántos.")]
        tabla = Tabla(
            titulo="T", definicion="D", columnas=columnas, filas=[{"nombre": "a", "n": 1}]
        )
        return {"series": {"s": serie}, "tablas": {"t": tabla}}


class Atento:
    """A plugin that reads ``partes`` and says what each request asked of it."""

    name = "atento"

    def __init__(self) -> None:
        self.partes: list[Partes] = []

    @hookimpl
    def dashboard_series(self, usuario: Usuario, periodo: Periodo, partes: Partes) -> None:
        self.partes.append(partes)


async def test_series_and_tables_are_two_requests_old_plugins_still_work(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    atento = Atento()
    api = await arrancar(extra=[Antiguo(), atento])
    agente = await api.usuario("agente", Rol.AGENTE)
    params = {"periodo": "hoy"}
    series = await (await api.get(URL, headers=api.auth(agente), params=params)).json()
    r = await api.get(URL + "tablas/", headers=api.auth(agente), params=params)
    assert r.status == 200, await r.text()
    tablas = await r.json()
    assert list(series["series"]) == ["s"] and "tablas" not in series
    assert list(tablas["tablas"]) == ["t"] and "series" not in tablas
    assert tablas["tablas"]["t"]["filas"] == [{"nombre": "a", "n": 1}]
    assert tablas["tablas"]["t"]["otras_filas"] == 0
    assert tablas["dias"] == series["dias"] and tablas["zona"] == "UTC"
    assert atento.partes == [
        Partes(series=True, tablas=False),
        Partes(series=False, tablas=True, filas=FILAS_POR_DEFECTO),
    ]
    await api.get(URL + "tablas/", headers=api.auth(agente), params={"filas": "0"})
    assert atento.partes[-1].filas is None  # 0: every row

    r = await api.get(URL + "tablas/", headers=api.auth(agente), params={"filas": "-1"})
    assert r.status == 400
    spec = await (await api.get("/api/openapi.json")).json()
    esquemas = spec["components"]["schemas"]
    assert "tablas" in esquemas["DashboardTables"]["properties"]
    assert "tablas" not in esquemas["DashboardSeries"]["properties"]
