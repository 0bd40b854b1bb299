"""Plugin ``vip``: the escalation policy ``clientes_vip`` — VIP customers wait half as long.

The VIP customers are the usernames of the plugin's setting ``clientes``:
``SOPORTE_VIP_CLIENTES=ana,luis`` or ``clientes = ["ana", "luis"]`` in the ``[plugins.vip]``
table of ``soporte.toml``, read when the application starts. How much shorter they wait is
each rule's own parameter ``fraccion`` (default a half).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings

from core import hookimpl
from core.plugin_settings import plugin_settings
from core.settings import CsvList
from plugins.escalamiento.api import TiempoRespuesta, segundos_habiles

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from aiohttp import web

    from plugins.escalamiento.api import Criterios, ReglaVista, TicketVista

name = "vip"
version = "0.1.0"
requires: tuple[str, ...] = ("escalamiento",)


class VipSettings(BaseSettings):
    """The plugin's settings: ``SOPORTE_VIP_*`` or the ``[plugins.vip]`` table."""

    clientes: CsvList = Field(
        default_factory=list, description="Usernames of the VIP customers (comma-separated)."
    )


class ParametrosVip(BaseModel):
    """A rule's parameters for ``clientes_vip`` (the rule editor renders a form from them)."""

    fraccion: float = Field(
        0.5,
        gt=0,
        le=1,
        title="Fracción del tiempo máximo",
        description="Los clientes VIP escalan tras esta fracción de tiempo_respuesta_maximo.",
    )


class ClientesVip(TiempoRespuesta):
    """``tiempo_respuesta`` for VIP customers only, at a fraction (``fraccion``) of the limit."""

    name = "clientes_vip"
    description = "Escala los tickets de clientes VIP a una fracción de tiempo_respuesta_maximo."
    parameters = ParametrosVip

    def __init__(self, vip: Iterable[str] = ()) -> None:
        self.vip = list(vip)

    def candidatos(self, regla: ReglaVista, ahora: datetime) -> Criterios:
        """Waiting tickets of VIP customers that have waited at least their fraction."""
        # The parent keeps those that waited a whole limit by its `ahora`: move it ahead.
        adelanto = regla.limite * (1 - _fraccion(regla))
        return super().candidatos(regla, ahora + adelanto).con(clientes=self.vip)

    def nivel_objetivo(self, ticket: TicketVista, regla: ReglaVista, ahora: datetime) -> int:
        """Business seconds waited over the limit's fraction (the plugin caps and applies it)."""
        if ticket.esperando_desde is None:
            return 0
        esperado = segundos_habiles(ticket.esperando_desde, ahora, regla.calendario)
        return int(esperado // (regla.limite.total_seconds() * _fraccion(regla)))


def _fraccion(regla: ReglaVista) -> float:
    # Rules saved before the parameter existed have none: the default applies.
    return ParametrosVip.model_validate(regla.parametros).fraccion


@hookimpl
def register_settings() -> type[VipSettings]:
    """The setting ``clientes``."""
    return VipSettings


@hookimpl
def register_escalation_policies(app: web.Application) -> list[ClientesVip]:
    """The policy ``clientes_vip``, for the customers of this app's settings."""
    return [ClientesVip(plugin_settings(app, name, VipSettings).clientes)]
