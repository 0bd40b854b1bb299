"""The settings of ``macros``: ``SOPORTE_MACROS_*`` or ``[plugins.macros]`` in soporte.toml
(docs/configuration.md, "Plugin settings")."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings


class MacrosSettings(BaseSettings):
    """How macros render dates."""

    timezone: str = Field(
        "UTC",
        max_length=64,
        description="IANA time zone of `{{ hoy }}` and `{{ ahora }}` in macros (e.g. "
        "Europe/Madrid).",
    )

    @field_validator("timezone")
    @classmethod
    def _zona_conocida(cls, valor: str) -> str:
        try:
            ZoneInfo(valor)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {valor!r}") from exc
        return valor
