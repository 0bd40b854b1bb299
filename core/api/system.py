"""The core's own endpoints: health, OpenAPI, AsyncAPI and their docs page, downloads, the
dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, create_model

from core import __version__
from core.api.asyncapi import build_asyncapi
from core.api.errors import Problem
from core.api.openapi import build_openapi
from core.api.routing import PUBLIC, Encoded, Routes, encoded
from core.auth.guards import current_user
from core.auth.models import Rol
from core.dashboard import Partes, Periodo, Serie, SeriesQuery, Tabla, TablasQuery, periodo_de
from core.keys import DB, ENDPOINTS, PLUGINS, SETTINGS, STORAGE

routes = Routes(
    tag="sistema",
    description="Health, this document and its page, signed downloads, the agents' dashboard.",
)


class Salud(BaseModel):
    """A health answer."""

    status: str


class DashboardQuery(BaseModel):
    """Period of the dashboard's averages."""

    dias: int = Field(30, ge=1, le=3650, description="Days back for time-based averages.")


@routes.get("/healthz", auth=PUBLIC)
async def healthz(request: web.Request) -> Salud:
    """The process is up."""
    return Salud(status="ok")


@routes.get("/readyz", auth=PUBLIC, errors=(503,))
async def readyz(request: web.Request) -> Salud:
    """The database answers (503 otherwise)."""
    try:
        await request.app[DB].ctx.db("default").execute_query("SELECT 1")
    except Exception as exc:
        raise Problem("La base de datos no responde.", status=503) from exc
    return Salud(status="ok")


def openapi_document(app: web.Application) -> dict[str, Any]:
    """The app's OpenAPI document (built from its route table)."""
    endpoints = app[ENDPOINTS]  # its own statement: mypy infers the key's type from context
    documented = {
        (e.method, e.openapi_path): e.documented_response(app)
        for _, e in endpoints
        if e.documented_response is not None
    }
    return build_openapi(
        endpoints,
        title="soporte",
        version=__version__,
        plugins=app[PLUGINS].names,
        server=app[SETTINGS].public_url or "/",
        responses=documented,
    )


@routes.get("/api/openapi.json", auth=PUBLIC)
async def openapi(request: web.Request) -> dict[str, Any]:
    """This API's OpenAPI 3.1 document, generated from the route table."""
    return openapi_document(request.app)


def asyncapi_document(request: web.Request) -> dict[str, Any]:
    """The app's AsyncAPI document (its WebSocket endpoints), with servers on the request's host."""
    endpoints = request.app[ENDPOINTS]  # its own statement: mypy infers the key's type from context
    return build_asyncapi(
        endpoints,
        title="soporte",
        version=__version__,
        host=request.host,
        secure=request.secure,
    )


@routes.get("/api/asyncapi.json", auth=PUBLIC)
async def asyncapi(request: web.Request) -> dict[str, Any]:
    """This server's AsyncAPI 3.0 document: every WebSocket, its frames both ways, query
    parameters and close codes, generated from the models the sockets validate frames with."""
    return asyncapi_document(request)


@routes.get("/api/docs/", auth=PUBLIC, media_type="text/html")
async def docs(request: web.Request) -> web.Response:
    """A readable page listing every endpoint of the OpenAPI document and every WebSocket
    channel of the AsyncAPI document."""
    spec = openapi_document(request.app)
    context = {"spec": spec, "asyncapi": asyncapi_document(request)}
    return aiohttp_jinja2.render_template("core/api_docs.html", request, context)


@routes.get("/api/descargas/{token}/", auth=PUBLIC, errors=(403,), headers=("Cache-Control",))
async def descarga(request: web.Request, token: str) -> web.FileResponse:
    """Download an attachment through a signed, expiring link (403 if tampered or expired);
    an image's thumbnail and inline view come through the same links."""
    storage = request.app[STORAGE]
    path, headers = storage.served(storage.verify(token))
    if not path.exists():
        raise Problem("El archivo ya no existe.", status=404)
    return web.FileResponse(path, headers=headers)


def dashboard_model(app: web.Application) -> type[BaseModel]:
    """The dashboard's answer as the enabled plugins declare it (``dashboard_stats_schema``):
    their keys, typed and described; a key no plugin declares is still a number."""
    fields: dict[str, Any] = {}
    for declared in app[PLUGINS].dashboard_stats_schemas():
        for name, info in declared.model_fields.items():
            fields[name] = (info.annotation, info)
    model: type[BaseModel] = create_model(
        "DashboardStats",
        __config__=ConfigDict(
            extra="allow",
            json_schema_extra={"additionalProperties": {"type": "number"}},
        ),
        __doc__="Support numbers, each key contributed by the plugin that owns it.",
        **fields,
    )
    return model


@routes.get("/api/soporte/dashboard/stats/", auth=Rol.AGENTE, documented_response=dashboard_model)
async def dashboard_stats(request: web.Request, query: DashboardQuery) -> dict[str, float | int]:
    """Support numbers, each contributed by the plugin that owns it."""
    desde = datetime.now(UTC) - timedelta(days=query.dias)
    return await request.app[PLUGINS].dashboard_stats(current_user(request), desde)


def _declarados(app: web.Application, tipo: type[BaseModel]) -> dict[str, Any]:
    """The fields of type ``tipo`` the plugins' ``dashboard_series_schema`` models declare."""
    fields: dict[str, Any] = {}
    for declared in app[PLUGINS].dashboard_series_schemas():
        for name, info in declared.model_fields.items():
            if info.annotation is tipo:
                fields[name] = (tipo | None, Field(None, description=info.description))
    return fields


def _cabecera_del_periodo(nombre: str, doc: str, **campo: type[BaseModel]) -> type[BaseModel]:
    """Model ``nombre``, an answer of the dashboard's series or tables: the period's head, then
    ``campo`` (one field: its name and its model)."""
    [(clave, modelo)] = campo.items()
    fields: dict[str, Any] = {
        "zona": (str, Field(description="The timezone whose days these are (IANA name).")),
        "desde": (datetime, Field(description="Start of the first day (aware).")),
        "hasta": (datetime, Field(description="End of the last day, or now if earlier.")),
        "dias": (list[str], Field(description="The days, `YYYY-MM-DD`, oldest first.")),
        clave: (modelo, Field(description=modelo.__doc__)),
    }
    model: type[BaseModel] = create_model(nombre, __doc__=doc, **fields)
    return model


def series_model(app: web.Application) -> type[BaseModel]:
    """The series' answer as the enabled plugins declare it (``dashboard_series_schema``)."""
    series: type[BaseModel] = create_model(
        "DashboardSeriesSeries",
        __config__=ConfigDict(extra="allow"),
        __doc__="One value per day of each figure, each contributed by the plugin that owns it.",
        **_declarados(app, Serie),
    )
    return _cabecera_del_periodo(
        "DashboardSeries",
        "The dashboard's trends over a period of whole days of the business timezone (its "
        "tables: `GET /api/soporte/dashboard/series/tablas/`).",
        series=series,
    )


def tablas_model(app: web.Application) -> type[BaseModel]:
    """The tables' answer as the enabled plugins declare it (``dashboard_series_schema``)."""
    tablas: type[BaseModel] = create_model(
        "DashboardTablesTablas",
        __config__=ConfigDict(extra="allow"),
        __doc__="Figures per agent or team over the period.",
        **_declarados(app, Tabla),
    )
    return _cabecera_del_periodo(
        "DashboardTables",
        "The dashboard's tables (per agent, per team) over a period of whole days of the "
        "business timezone.",
        tablas=tablas,
    )


class _Cabecera(BaseModel):
    """The period's head of both answers, as the handlers write it (ISO texts, as given)."""

    zona: str
    desde: str
    hasta: str
    dias: list[str]

    @classmethod
    def de(cls, periodo: Periodo) -> dict[str, Any]:
        """The head's fields for ``periodo``."""
        return {
            "zona": periodo.zona.key,
            "desde": periodo.desde.isoformat(),
            "hasta": periodo.hasta.isoformat(),
            "dias": [d.isoformat() for d in periodo.dias],
        }


class _ConSeries(_Cabecera):
    series: dict[str, Serie]


class _ConTablas(_Cabecera):
    tablas: dict[str, Tabla]


def _periodo(request: web.Request, query: SeriesQuery) -> Periodo:
    return periodo_de(query, ZoneInfo(request.app[SETTINGS].dashboard_timezone))


@routes.get(
    "/api/soporte/dashboard/series/",
    auth=Rol.AGENTE,
    errors=(400,),
    documented_response=series_model,
)
async def dashboard_series(request: web.Request, query: SeriesQuery) -> Encoded[dict[str, Any]]:
    """Trends per day (tickets created and resolved, times, CSAT, SLA, backlog) over a period
    (``periodo`` or ``desde``/``hasta``); each figure is defined in its ``definicion``. The
    tables per agent and team are ``GET /api/soporte/dashboard/series/tablas/``."""
    periodo = _periodo(request, query)
    aporte = await request.app[PLUGINS].dashboard_series(
        current_user(request), periodo, Partes(series=True, tablas=False)
    )
    return encoded(_ConSeries(**_Cabecera.de(periodo), series=aporte.series))


@routes.get(
    "/api/soporte/dashboard/series/tablas/",
    auth=Rol.AGENTE,
    errors=(400,),
    documented_response=tablas_model,
)
async def dashboard_tablas(request: web.Request, query: TablasQuery) -> Encoded[dict[str, Any]]:
    """Tables per agent and per team over a period (``periodo`` or ``desde``/``hasta``, as the
    series): the ``filas`` rows with the most tickets (default 20, ``0``: all), the others
    summed into one last row; each column is defined in its ``definicion``."""
    periodo = _periodo(request, query)
    partes = Partes(series=False, tablas=True, filas=query.filas or None)
    aporte = await request.app[PLUGINS].dashboard_series(current_user(request), periodo, partes)
    return encoded(_ConTablas(**_Cabecera.de(periodo), tablas=aporte.tablas))
