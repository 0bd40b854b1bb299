"""The settings of ``tickets``: ``SOPORTE_TICKETS_*`` or ``[plugins.tickets]`` in soporte.toml
(docs/configuration.md, "Plugin settings")."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class TicketsSettings(BaseSettings):
    """Limits of the tickets API."""

    busqueda_cuenta_maxima: int = Field(
        1000,
        ge=1,
        le=1_000_000,
        description="Most matches a text search (`q=` on the ticket lists) counts: past it the "
        "list's `count` is this cap with `count_exacto: false` (pages stay reachable up to it). "
        "What one search costs grows with this cap, not with the number of tickets.",
    )

    lote_maximo: int = Field(
        5000,
        ge=1,
        le=1_000_000,
        description="Most tickets one bulk change by filter (`POST /api/soporte/tickets/lote/` "
        "with `filtro`) processes; the answer says when the filter matched more.",
    )
