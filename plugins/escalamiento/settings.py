"""The settings of ``escalamiento``: ``SOPORTE_ESCALAMIENTO_*`` or ``[plugins.escalamiento]``.

Declared through the core hook ``register_settings``; read them with
``plugin_settings(app, "escalamiento", EscalamientoSettings)``.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings
from yarl import URL


class EscalamientoSettings(BaseSettings):
    """How often the scheduler runs, and where escalations are POSTed."""

    #: ``SOPORTE_ESCALAMIENTO_INTERVALO`` (and ``intervalo`` in code or TOML) still work,
    #: with a DeprecationWarning.
    renamed: ClassVar[dict[str, str]] = {"intervalo": "interval"}

    interval: float = Field(
        60, ge=0, description="Seconds between escalation runs; `0` switches the scheduler off."
    )
    webhook_url: str | None = Field(
        None,
        description="An http(s) URL that receives each escalation as a signed JSON POST.",
    )
    webhook_secret: str | None = Field(
        None,
        description="HMAC-SHA256 key of the webhook's `X-Soporte-Firma` header; "
        "default: the secret key.",
    )

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        """Blank is unset; anything else must be an absolute http(s) URL."""
        value = (value or "").strip() or None
        if value is not None:
            parsed = URL(value)
            if parsed.scheme not in ("http", "https") or not parsed.host:
                raise ValueError(f"must be an http(s) URL, not {value!r}")
        return value
