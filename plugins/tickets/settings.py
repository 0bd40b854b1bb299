"""The settings of ``tickets``: ``SOPORTE_TICKETS_*`` or ``[plugins.tickets]`` in soporte.toml
(docs/configuration.md, "Plugin settings")."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class TicketsSettings(BaseSettings):
    """Limits of the tickets API."""

    lote_maximo: int = Field(
        5000,
        ge=1,
        le=1_000_000,
        description="Most tickets one bulk change by filter (`POST /api/soporte/tickets/lote/` "
        "with `filtro`) processes; the answer says when the filter matched more.",
    )
