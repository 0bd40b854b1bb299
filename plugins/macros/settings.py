"""The settings of ``macros``: ``SOPORTE_MACROS_*`` or ``[plugins.macros]`` in soporte.toml
(docs/configuration.md, "Plugin settings")."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from core.settings import TimeZoneName


class MacrosSettings(BaseSettings):
    """How macros render dates."""

    timezone: TimeZoneName = Field(
        "UTC",
        max_length=64,
        description="IANA time zone of `{{ hoy }}` and `{{ ahora }}` in macros (e.g. "
        "Europe/Madrid).",
    )
