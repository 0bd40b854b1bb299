"""Plugin ``vip``: the escalation policy ``clientes_vip`` — VIP customers wait half as long.

The VIP customers are the usernames of the plugin's setting ``clientes``:
``SOPORTE_VIP_CLIENTES=ana,luis`` or ``clientes = ["ana", "luis"]`` in the ``[plugins.vip]``
table of ``soporte.toml``, read when the application starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field
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


class ClientesVip(TiempoRespuesta):
    """``tiempo_respuesta`` for VIP customers only, at half the rule's limit."""

    name = "clientes_vip"
    description = "Escala los tickets de clientes VIP a la mitad de tiempo_respuesta_maximo."

    def __init__(self, vip: Iterable[str] = ()) -> None:
        self.vip = list(vip)

    def candidatos(self, regla: ReglaVista, ahora: datetime) -> Criterios:
        """Waiting tickets of VIP customers that have waited at least half the limit."""
        # The parent keeps those that waited a whole limit by its `ahora`: move it half ahead.
        return super().candidatos(regla, ahora + regla.limite / 2).con(clientes=self.vip)

    def nivel_objetivo(self, ticket: TicketVista, regla: ReglaVista, ahora: datetime) -> int:
        """Business seconds waited over half the limit (the plugin caps and applies it)."""
        if ticket.esperando_desde is None:
            return 0
        esperado = segundos_habiles(ticket.esperando_desde, ahora, regla.calendario)
        return int(esperado // (regla.limite.total_seconds() / 2))


@hookimpl
def register_settings() -> type[VipSettings]:
    """The setting ``clientes``."""
    return VipSettings


@hookimpl
def register_escalation_policies(app: web.Application) -> list[ClientesVip]:
    """The policy ``clientes_vip``, for the customers of this app's settings."""
    return [ClientesVip(plugin_settings(app, name, VipSettings).clientes)]
