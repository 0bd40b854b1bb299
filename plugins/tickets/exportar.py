"""CSV export of the agents' ticket list (docs/api.md, "Exports").

``GET /api/soporte/tickets/exportar/`` takes exactly the query of ``GET /api/soporte/tickets/``
(the same :class:`~plugins.tickets.schemas.TicketsQuery`, so every filter the list gains the
export gains too) plus ``separador``; the rows are ``service.filtrar`` + ``service.ordenar`` —
the list's visibility (team visibility included), filters and order — read in keyset batches
by :mod:`core.api.csv_export`, with the names (customer, agent, team, tags, rating) fetched per
batch. ``page`` and ``size`` are accepted and ignored: an export is every matching row.

The console cannot send a bearer token with a download, so ``POST …/exportar/enlace/`` (same
query) returns a signed link valid for a minute, and ``GET …/exportar/enlace/{token}/`` serves it as
the user who asked. Internal notes are never read; the description is exported.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from core.api import PUBLIC, Routes
from core.api.csv_export import (
    CABECERAS_CSV,
    CSV,
    EnlaceExportacion,
    enlace_firmado,
    etiquetas_por_objeto,
    lotes_valores,
    stream_csv,
    tamano_lote,
    verificar_enlace,
)
from core.api.routing import query_values, validate_model
from core.auth.guards import current_user
from core.auth.models import Rol, Usuario
from plugins.tickets import service
from plugins.tickets.models import Valoracion
from plugins.tickets.schemas import TicketsQuery

routes = Routes(tag="tickets")

RUTA = "/api/soporte/tickets/exportar/"

#: The columns, in order (Spanish, as the API names the fields).
COLUMNAS = (
    "numero",
    "asunto",
    "descripcion",
    "estado",
    "prioridad",
    "categoria",
    "cliente",
    "cliente_email",
    "agente_asignado",
    "equipo",
    "etiquetas",
    "fecha_creacion",
    "fecha_actualizacion",
    "segundos_primera_respuesta",
    "nivel_escalamiento",
    "valoracion",
)


class TicketsExportQuery(TicketsQuery):
    """The agents' list query (``page``/``size`` ignored) and the CSV separator."""

    separador: Literal[",", ";"] = Field(
        ",", description="The CSV separator: `,` (default) or `;` (Excel in comma-decimal locales)."
    )


#: What one batch reads: the ticket's columns and its people's and team's names, joined.
_CAMPOS = (
    "id",
    "numero",
    "asunto",
    "descripcion",
    "estado",
    "prioridad",
    "categoria",
    "cliente__nombre",
    "cliente__username",
    "cliente__email",
    "agente_asignado__nombre",
    "agente_asignado__username",
    "equipo__nombre",
    "fecha_creacion",
    "fecha_actualizacion",
    "segundos_primera_respuesta",
    "nivel_escalamiento",
)


def _nombre(fila: dict[str, Any], persona: str) -> str | None:
    """``Usuario.nombre_visible`` from a joined row: the name, or the username when blank."""
    return fila[f"{persona}__nombre"] or fila[f"{persona}__username"]


async def _filas(
    usuario: Usuario, query: TicketsExportQuery, tamano: int
) -> AsyncIterator[list[Sequence[object]]]:
    """The export's rows, one batch (one keyset page and its names) at a time."""
    qs = service.ordenar(service.filtrar(usuario, query.filtros()), query.ordering)
    async for lote in lotes_valores(qs, tamano, _CAMPOS):
        ids = [t["id"] for t in lote]
        etiquetas = await etiquetas_por_objeto(service.ENLACE_ETIQUETAS, ids)
        puntuaciones = dict(
            await Valoracion.filter(ticket_id__in=ids).values_list("ticket_id", "puntuacion")
        )
        yield [
            (
                t["numero"],
                t["asunto"],
                t["descripcion"],
                t["estado"],
                t["prioridad"],
                t["categoria"],
                _nombre(t, "cliente"),
                t["cliente__email"],
                _nombre(t, "agente_asignado"),
                t["equipo__nombre"],
                etiquetas.get(t["id"], ""),
                t["fecha_creacion"],
                t["fecha_actualizacion"],
                t["segundos_primera_respuesta"],
                t["nivel_escalamiento"],
                puntuaciones.get(t["id"]),
            )
            for t in lote
        ]


async def _exportar(
    request: web.Request, usuario: Usuario, query: TicketsExportQuery
) -> web.StreamResponse:
    filas = _filas(usuario, query, tamano_lote(request))
    return await stream_csv(request, "tickets", COLUMNAS, filas, query.separador)


@routes.get(RUTA, auth=Rol.AGENTE, media_type=CSV, headers=CABECERAS_CSV)
async def exportar_tickets(request: web.Request, query: TicketsExportQuery) -> web.StreamResponse:
    """CSV of the agents' ticket list with its filters and order (streamed; every row)."""
    return await _exportar(request, current_user(request), query)


@routes.post(RUTA + "enlace/", auth=Rol.AGENTE)
async def enlace_exportar_tickets(
    request: web.Request, query: TicketsExportQuery
) -> EnlaceExportacion:
    """A signed link (valid `SOPORTE_EXPORT_LINK_TTL_SECONDS`) to this export, for a browser
    download without a bearer token: the query string is the export's."""
    return EnlaceExportacion(**await enlace_firmado(request, current_user(request), RUTA))


@routes.get(
    RUTA + "enlace/{token}/", auth=PUBLIC, errors=(403,), media_type=CSV, headers=CABECERAS_CSV
)
async def exportar_tickets_enlace(request: web.Request, token: str) -> web.StreamResponse:
    """The export of a signed link, as the agent who asked for it (403: tampered, expired, or
    that user is no longer an active agent)."""
    usuario, consulta = await verificar_enlace(request, token, RUTA)
    query = validate_model(
        TicketsExportQuery, query_values(consulta, TicketsExportQuery), where="query"
    )
    assert isinstance(query, TicketsExportQuery)
    return await _exportar(request, usuario, query)
