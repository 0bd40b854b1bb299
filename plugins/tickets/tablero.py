"""The tickets' part of the dashboard's series: trends per day (``GET …/series/``) and tables
per agent and team (``GET …/series/tablas/``), read from the maintained totals of
:mod:`plugins.tickets.agregados_periodo` only.

Everything an agent sees everything of (admins, and agents while team visibility is off) comes
from the day rows of every ticket when the business days are UTC days, else from the hour rows
summed into the business timezone's days. An agent narrowed by team
visibility gets the day rows of their teams, of tickets without a team and of their own
tickets — counted in UTC days (the day rows' granularity).
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from core import labels
from core.auth.guards import team_limited
from core.auth.models import Equipo, Usuario
from core.dashboard import Aporte, Columna, Partes, Periodo, Serie, Tabla, media, porcentaje
from core.db import Lectura, Marcas, leer
from core.i18n import N_
from core.i18n import gettext as _
from plugins.tickets import agregados_periodo as ap
from plugins.tickets.models import Estado

if TYPE_CHECKING:
    from collections.abc import Sequence

D_CREADOS = N_("Tickets creados ese día (por su fecha de creación).")
D_RESUELTOS = N_(
    "Tickets que pasaron ese día de Abierto o En progreso a Resuelto o Cerrado (un ticket "
    "reabierto y resuelto otra vez cuenta otra vez)."
)
D_PRIMERA = N_(
    "Media, en horas, del tiempo hasta la primera respuesta de un agente, de los tickets creados "
    "ese día que ya la tienen."
)
D_RESOLUCION = N_(
    "Media, en horas, del tiempo desde la creación hasta la resolución, de los tickets resueltos "
    "ese día."
)
D_CSAT = N_("Porcentaje de valoraciones de 4 o 5 (sobre 5) entre las dadas ese día.")
D_BACKLOG = N_("Tickets en estado {estado} al final del día (o ahora, hoy).")
D_AGENTES = N_("Cifras de cada agente en el periodo, por el agente asignado al ticket.")
D_EQUIPOS = N_("Cifras de cada equipo en el periodo, por el equipo del ticket.")
D_ASIGNADOS = N_("Tickets creados en el periodo que tiene asignados ahora.")
D_T_RESUELTOS = N_("Tickets que pasaron a Resuelto o Cerrado en el periodo estando asignados a él.")
D_T_PRIMERA = N_(
    "Media, en horas, hasta la primera respuesta de sus tickets creados en el periodo."
)
D_T_CSAT = N_("Porcentaje de valoraciones de 4 o 5 de sus tickets dadas en el periodo.")

#: Backlog series: the states that still need work (shown by their labels, :mod:`core.labels`).
_BACKLOG = (Estado.ABIERTO, Estado.EN_PROGRESO)


class SeriesTickets(BaseModel):
    """The tickets' series and tables of ``GET /api/soporte/dashboard/series/``."""

    tickets_creados: Serie = Field(description=D_CREADOS)
    tickets_resueltos: Serie = Field(description=D_RESUELTOS)
    primera_respuesta: Serie = Field(description=D_PRIMERA)
    tiempo_resolucion: Serie = Field(description=D_RESOLUCION)
    csat: Serie = Field(description=D_CSAT)
    backlog_abierto: Serie = Field(description=D_BACKLOG.format(estado="Abierto"))
    backlog_en_progreso: Serie = Field(description=D_BACKLOG.format(estado="En progreso"))
    agentes: Tabla = Field(description=D_AGENTES)
    equipos: Tabla = Field(description=D_EQUIPOS)


@dataclass(frozen=True)
class Dias:
    """The totals of each day of a period: ``dias[i]`` sums every column over day ``i``;
    ``antes`` sums them before the period (the backlog's starting point)."""

    antes: dict[str, int]
    dias: list[dict[str, int]]
    alcance: ap.Alcance | None


async def alcance_de(usuario: Usuario) -> ap.Alcance | None:
    """What ``usuario`` may count: everything (``None``), or under team visibility their
    active teams, tickets without a team and their own."""
    if not team_limited(usuario):
        return None
    mios = await Equipo.filter(activo=True, miembros__id=usuario.id).values_list("id", flat=True)
    return ap.Alcance(equipos=(0, *(int(str(i)) for i in mios)), agente=usuario.id)


#: One reading per request: ``tickets`` and ``escalamiento`` both need the period's totals,
#: and the hooks of one request share its :class:`Periodo` object (weak keys: an entry lives
#: as long as the request's period does).
_LEIDOS: weakref.WeakKeyDictionary[Periodo, dict[int, asyncio.Future[Dias]]] = (
    weakref.WeakKeyDictionary()
)


async def por_dia(usuario: Usuario, periodo: Periodo) -> Dias:
    """The period's totals per day, within what ``usuario`` may see (read once per request)."""
    del_periodo = _LEIDOS.setdefault(periodo, {})
    if usuario.id not in del_periodo:
        del_periodo[usuario.id] = asyncio.ensure_future(_leer_por_dia(usuario, periodo))
    return await asyncio.shield(del_periodo[usuario.id])


async def _leer_por_dia(usuario: Usuario, periodo: Periodo) -> Dias:
    alcance = await alcance_de(usuario)
    lectura = await ap.leer_periodo(
        periodo.desde, periodo.hasta, alcance, dias_utc=periodo.dias_utc
    )
    dias: list[dict[str, int]] = [dict.fromkeys(ap.COLUMNAS, 0) for _ in periodo.dias]
    for fila in lectura.filas:  # at most 24 × the period's days (hours of every ticket)
        momento: datetime = fila["periodo"]
        if alcance is None:
            i = periodo.dia_de(momento)
        else:  # a UTC day row: its own date
            i = (momento.astimezone(UTC).date() - periodo.dias[0]).days
        if i is None or not 0 <= i < len(dias):
            continue
        for c in ap.COLUMNAS:
            dias[i][c] += fila[c]
    return Dias(antes=lectura.antes, dias=dias, alcance=alcance)


def _serie(titulo: str, definicion: str, unidad: str, grafico: str, valores: list[Any]) -> Serie:
    """A series whose ``titulo`` and ``definicion`` (msgids) are in the request's language."""
    return Serie(
        titulo=_(titulo), definicion=_(definicion), unidad=unidad, grafico=grafico, valores=valores
    )


def _backlog(d: Dias, estado: Estado) -> list[float | None]:
    columna = f"neto_{estado.value.lower()}"
    total = d.antes[columna]
    valores: list[float | None] = []
    for dia in d.dias:
        total += dia[columna]
        valores.append(float(total))
    return valores


def _backlog_serie(d: Dias, estado: Estado) -> Serie:
    """The backlog of ``estado``, titled by the state's label (already translated)."""
    nombre = labels.value_label("estado", estado.value)
    return Serie(
        titulo=nombre,
        definicion=_(D_BACKLOG).format(estado=nombre),
        unidad="",
        grafico="backlog",
        valores=_backlog(d, estado),
    )


def _lectura_nombres(
    agentes: Sequence[int], equipos: Sequence[int], marcas: Marcas
) -> Lectura[dict[str, dict[int, str]]]:
    """The names of the tables' agents and teams: two statements in one read (hundreds of
    agents at a million tickets; plain rows, not models)."""
    nombres: dict[str, dict[int, str]] = {"agente_id": {}, "equipo_id": {}}
    if agentes:
        filas = yield (
            f"SELECT id, nombre, username FROM {Usuario._meta.db_table} "
            f"WHERE id IN ({', '.join(marcas(len(agentes)))})",
            list(agentes),
        )
        nombres["agente_id"] = {int(i): str(n or u) for i, n, u in filas}
    if equipos:
        filas = yield (
            f"SELECT id, nombre FROM {Equipo._meta.db_table} "
            f"WHERE id IN ({', '.join(marcas(len(equipos)))})",
            list(equipos),
        )
        nombres["equipo_id"] = {int(i): str(n) for i, n in filas}
    return nombres


#: The tables' columns: ``(clave, titulo, definicion, unidad)``, the texts as msgids.
_COLUMNAS_TABLA = (
    ("asignados", N_("Asignados"), D_ASIGNADOS, ""),
    ("resueltos", N_("Resueltos"), D_T_RESUELTOS, ""),
    ("primera_respuesta", N_("1.ª respuesta"), D_T_PRIMERA, "h"),
    ("csat", N_("CSAT"), D_T_CSAT, "%"),
)


def _columnas() -> list[Columna]:
    """The tables' columns in the request's language."""
    return [
        Columna(clave=clave, titulo=_(titulo), definicion=_(definicion), unidad=unidad)
        for clave, titulo, definicion, unidad in _COLUMNAS_TABLA
    ]


def _fila(f: dict[str, int], nombre: str) -> dict[str, Any]:
    """A table row from its summed columns (``f["id"]``: the agent or team, 0 for none)."""
    return {
        "id": f["id"] or None,
        "nombre": nombre,
        "asignados": f["creados"],
        "resueltos": f["resueltos"],
        "primera_respuesta": media(f["seg_respuesta"], f["respondidos"], 3600),
        "csat": porcentaje(f["satisfechos"], f["valorados"]),
    }


def _cortar(
    grupos: Sequence[dict[str, int]], filas: int | None
) -> tuple[list[dict[str, int]], list[dict[str, int]]]:
    """The groups with anything to show, the busiest first (ties by id, so that the cut is the
    same on every request): those shown and, with ``filas``, the rest (never just one: a
    row summing a single row would hide it for nothing)."""
    llenos = [
        g for g in grupos if any(g[c] for c in ("creados", "resueltos", "respondidos", "valorados"))
    ]
    llenos.sort(key=lambda g: (-g["creados"], g["id"]))
    if filas is None or len(llenos) <= filas + 1:
        return llenos, []
    return llenos[:filas], llenos[filas:]


def _tabla(
    grupos: tuple[list[dict[str, int]], list[dict[str, int]]],
    nombres: dict[int, str],
    titulo: str,
    definicion: str,
    ninguno: str,
) -> Tabla:
    """A table of the groups shown (by :func:`_cortar`), by volume then name, and — when the
    rest is not empty — one row «Otros» summing each of its columns (averages of the summed
    parts, so the figures stay exact)."""
    mostrados, otros = grupos
    salida = [
        _fila(g, nombres.get(g["id"], _(ninguno)) if g["id"] else _(ninguno)) for g in mostrados
    ]
    salida.sort(key=lambda f: (-f["asignados"], f["nombre"]))
    if otros:
        suma = {c: sum(g[c] for g in otros) for c in ap.COLUMNAS_TABLA} | {"id": 0}
        salida.append(_fila(suma, _("Otros ({n})").format(n=len(otros))))
    return Tabla(
        titulo=_(titulo),
        definicion=_(definicion),
        columnas=_columnas(),
        filas=salida,
        otras_filas=len(otros),
    )


async def tablas(usuario: Usuario, periodo: Periodo, filas: int | None) -> dict[str, Tabla]:
    """The per-agent and per-team tables of the period's UTC days, within what ``usuario`` may
    see: the ``filas`` busiest rows of each (``None``: all) and one summing the rest."""
    alcance = await alcance_de(usuario)
    celdas = await ap.leer_celdas(periodo.desde, periodo.hasta, alcance)
    agentes = _cortar(ap.agrupar(celdas, "agente_id"), filas)
    equipos = _cortar(ap.agrupar(celdas, "equipo_id"), filas)
    # The names of the rows shown only: 20 agents, not 500, when the rest is summed.
    nombres = await leer(
        lambda marcas: _lectura_nombres(
            [f["id"] for f in agentes[0] if f["id"] > 0],
            [f["id"] for f in equipos[0] if f["id"] > 0],
            marcas,
        )
    )
    return {
        "agentes": _tabla(
            agentes, nombres["agente_id"], N_("Por agente"), D_AGENTES, N_("Sin asignar")
        ),
        "equipos": _tabla(
            equipos, nombres["equipo_id"], N_("Por equipo"), D_EQUIPOS, N_("Sin equipo")
        ),
    }


def _series(d: Dias) -> dict[str, Serie]:
    """The tickets' series from the period's totals per day."""
    dias = d.dias
    return {
        "tickets_creados": _serie(
            N_("Creados"), D_CREADOS, "", "volumen", [float(x["creados"]) for x in dias]
        ),
        "tickets_resueltos": _serie(
            N_("Resueltos"), D_RESUELTOS, "", "volumen", [float(x["resueltos"]) for x in dias]
        ),
        "primera_respuesta": _serie(
            N_("Primera respuesta"),
            D_PRIMERA,
            "h",
            "tiempos",
            [media(x["seg_respuesta"], x["respondidos"], 3600) for x in dias],
        ),
        "tiempo_resolucion": _serie(
            N_("Resolución"),
            D_RESOLUCION,
            "h",
            "tiempos",
            [media(x["seg_resolucion"], x["resueltos"], 3600) for x in dias],
        ),
        "csat": _serie(
            N_("CSAT"),
            D_CSAT,
            "%",
            "csat",
            [porcentaje(x["satisfechos"], x["valorados"]) for x in dias],
        ),
        **{f"backlog_{e.value.lower()}": _backlog_serie(d, e) for e in _BACKLOG},
    }


async def series(usuario: Usuario, periodo: Periodo, partes: Partes) -> Aporte:
    """The tickets' series or tables, as ``partes`` asks (see :class:`SeriesTickets`): each
    request reads only the totals its part needs."""
    aporte = Aporte()
    if partes.series:
        aporte.series = _series(await por_dia(usuario, periodo))
    if partes.tablas:
        aporte.tablas = await tablas(usuario, periodo, partes.filas)
    return aporte
