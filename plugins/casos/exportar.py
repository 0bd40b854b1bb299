"""CSV export of the cases list, for agents (docs/api.md, "Exports").

``GET /api/soporte/casos/exportar/`` takes the filters of ``GET /api/soporte/casos/`` (the same
:class:`~plugins.casos.schemas.CasoQuery`) plus ``separador``; the rows are
``service.casos_visibles`` — the list's visibility (team visibility included), filters and
order, newest first — read in keyset batches by :mod:`core.api.csv_export`, with the names of
the people, the team and the tags fetched per batch. ``page`` and ``size`` are ignored.

``POST …/exportar/enlace/`` and ``GET …/exportar/enlace/{token}/`` are the signed-link pair the
console's button uses (see :mod:`core.api.csv_export`). Replies and internal notes are never
read; the description is exported.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Final, Literal

from aiohttp import web
from pydantic import Field

from core.api import PUBLIC, Routes
from core.api.csv_export import (
    CABECERAS_CSV,
    CSV,
    EnlaceExportacion,
    enlace_firmado,
    etiquetas_por_objeto,
    lotes,
    stream_csv,
    tamano_lote,
    verificar_enlace,
)
from core.api.routing import query_values, validate_model
from core.auth.guards import current_user
from core.auth.models import Rol, Usuario
from core.tags import Enlace
from plugins.casos import service
from plugins.casos.models import Caso
from plugins.casos.schemas import CasoQuery

routes = Routes(tag="casos")

RUTA = "/api/soporte/casos/exportar/"

#: The cases' tag link table (``Caso.etiquetas``).
ENLACE_ETIQUETAS: Final = Enlace("casos_caso_etiqueta", "caso_id")

#: The columns, in order (Spanish, as the API names the fields).
COLUMNAS = (
    "numero",
    "titulo",
    "descripcion",
    "tipo_caso",
    "urgencia",
    "estado",
    "impacto_estimado",
    "cliente_afectado",
    "cliente_afectado_email",
    "creado_por",
    "agente_asignado",
    "equipo",
    "etiquetas",
    "reservas_relacionadas",
    "tickets_relacionados",
    "fecha_creacion",
    "fecha_actualizacion",
)


class CasosExportQuery(CasoQuery):
    """The cases list's filters (``page``/``size`` ignored) and the CSV separator."""

    separador: Literal[",", ";"] = Field(
        ",", description="The CSV separator: `,` (default) or `;` (Excel in comma-decimal locales)."
    )


def _ids(valores: Sequence[int] | None) -> str:
    return ", ".join(str(v) for v in valores or [])


async def _filas(
    usuario: Usuario, query: CasosExportQuery, tamano: int
) -> AsyncIterator[list[Sequence[object]]]:
    """The export's rows, one batch (one keyset page and its names) at a time."""
    etiqueta = query.etiqueta.strip() if query.etiqueta and query.etiqueta.strip() else None
    qs = service.casos_visibles(
        usuario,
        tipo_caso=query.tipo_caso,
        urgencia=query.urgencia,
        estado=query.estado,
        etiqueta=etiqueta,  # exports are agents' only: the tag filter always applies
    ).select_related(*service.RELACIONES)
    lote: list[Caso]
    async for lote in lotes(qs, tamano):
        etiquetas = await etiquetas_por_objeto(ENLACE_ETIQUETAS, [c.id for c in lote])
        yield [
            (
                c.numero,
                c.titulo,
                c.descripcion,
                c.tipo_caso,
                c.urgencia,
                c.estado,
                c.impacto_estimado,
                c.cliente_afectado.nombre_visible if c.cliente_afectado else None,
                c.cliente_afectado.email if c.cliente_afectado else None,
                c.creado_por.nombre_visible,
                c.agente_asignado.nombre_visible if c.agente_asignado else None,
                c.equipo.nombre if c.equipo else None,
                etiquetas.get(c.id, ""),
                _ids(c.reservas_relacionadas),
                _ids(c.tickets_relacionados),
                c.fecha_creacion,
                c.fecha_actualizacion,
            )
            for c in lote
        ]


async def _exportar(
    request: web.Request, usuario: Usuario, query: CasosExportQuery
) -> web.StreamResponse:
    filas = _filas(usuario, query, tamano_lote(request))
    return await stream_csv(request, "casos", COLUMNAS, filas, query.separador)


@routes.get(RUTA, auth=Rol.AGENTE, media_type=CSV, headers=CABECERAS_CSV)
async def exportar_casos(request: web.Request, query: CasosExportQuery) -> web.StreamResponse:
    """CSV of the cases list with its filters, newest first (streamed; every row)."""
    return await _exportar(request, current_user(request), query)


@routes.post(RUTA + "enlace/", auth=Rol.AGENTE)
async def enlace_exportar_casos(request: web.Request, query: CasosExportQuery) -> EnlaceExportacion:
    """A signed link (valid `SOPORTE_EXPORT_LINK_TTL_SECONDS`) to this export, for a browser
    download without a bearer token: the query string is the export's."""
    return EnlaceExportacion(**await enlace_firmado(request, current_user(request), RUTA))


@routes.get(
    RUTA + "enlace/{token}/", auth=PUBLIC, errors=(403,), media_type=CSV, headers=CABECERAS_CSV
)
async def exportar_casos_enlace(request: web.Request, token: str) -> web.StreamResponse:
    """The export of a signed link, as the agent who asked for it (403: tampered, expired, or
    that user is no longer an active agent)."""
    usuario, consulta = await verificar_enlace(request, token, RUTA)
    query = validate_model(
        CasosExportQuery, query_values(consulta, CasosExportQuery), where="query"
    )
    assert isinstance(query, CasosExportQuery)
    return await _exportar(request, usuario, query)
