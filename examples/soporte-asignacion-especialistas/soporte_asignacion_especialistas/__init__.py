"""Plugin ``especialistas``: the assignment policy ``especialistas`` — urgent tickets go to the
specialists first, and the others spare them.

The specialists are the usernames of the plugin's setting ``agentes``
(``SOPORTE_ESPECIALISTAS_AGENTES=ana,luis`` or ``agentes = ["ana", "luis"]`` in the
``[plugins.especialistas]`` table of ``soporte.toml``); the urgent priorities are
``prioridades`` (default ``ALTA``). Enable it with ``SOPORTE_ASIGNACION_POLICY=especialistas``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings

from core import hookimpl
from core.plugin_settings import plugin_settings
from core.settings import CsvList
from plugins.asignacion.api import MenosAbiertos, RoundRobin

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from aiohttp import web

    from plugins.asignacion.api import AgenteVista, TicketVista

name = "especialistas"
version = "0.1.0"
requires: tuple[str, ...] = ("asignacion",)


class EspecialistasSettings(BaseSettings):
    """The plugin's settings: ``SOPORTE_ESPECIALISTAS_*`` or ``[plugins.especialistas]``."""

    agentes: CsvList = Field(
        default_factory=list, description="Usernames of the specialists (comma-separated)."
    )
    prioridades: CsvList = Field(
        default_factory=lambda: ["ALTA"],
        description="Priorities that go to the specialists first (comma-separated).",
    )


class Especialistas(RoundRobin):
    """Urgent tickets: the specialist with the fewest open tickets; others: by turns among the
    rest. When nobody of the preferred group is eligible, anyone eligible, by turns."""

    name = "especialistas"
    description = (
        "Los tickets urgentes, al especialista con menos abiertos; los demás, por turnos "
        "entre el resto del equipo."
    )

    def __init__(self, agentes: Iterable[str] = (), prioridades: Iterable[str] = ()) -> None:
        self.agentes = set(agentes)
        self.prioridades = set(prioridades)

    def elegir(
        self, ticket: TicketVista, agentes: Sequence[AgenteVista], ahora: datetime
    ) -> int | None:
        """Choose within the preferred group when it has someone eligible, else among all."""
        urgente = ticket.prioridad in self.prioridades
        grupo = [a for a in agentes if (a.username in self.agentes) == urgente]
        if urgente and grupo:
            return MenosAbiertos().elegir(ticket, grupo, ahora)
        return super().elegir(ticket, grupo or agentes, ahora)


@hookimpl
def register_settings() -> type[EspecialistasSettings]:
    """The settings ``agentes`` and ``prioridades``."""
    return EspecialistasSettings


@hookimpl
def register_assignment_policies(app: web.Application) -> list[Especialistas]:
    """The policy ``especialistas``, for the specialists of this app's settings."""
    propios = plugin_settings(app, name, EspecialistasSettings)
    return [Especialistas(propios.agentes, propios.prioridades)]
