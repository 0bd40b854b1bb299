"""The settings of ``webhooks``: ``SOPORTE_WEBHOOKS_*`` or ``[plugins.webhooks]`` in
soporte.toml (docs/configuration.md, "Plugin settings")."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class WebhooksSettings(BaseSettings):
    """Retries, auto-disable, the secret's rotation grace and the SSRF guard."""

    permitir_privadas: bool = Field(
        False,
        description="Allow webhook URLs that resolve to private, loopback, link-local or "
        "reserved addresses (tests and closed networks only: otherwise anyone who can "
        "create a subscription could make the server call internal services).",
    )
    timeout_segundos: float = Field(
        10, gt=0, le=60, description="How long one webhook request may take (connect + answer)."
    )
    reintento_base_segundos: float = Field(
        30,
        gt=0,
        description="Wait after the first failed attempt of a delivery; each further wait "
        "doubles (at most 4 h, with jitter).",
    )
    ventana_reintentos_horas: float = Field(
        24,
        gt=0,
        description="How long a delivery is retried after it was queued; past it, a failure "
        "is final (dead letter).",
    )
    dias_desactivar: float = Field(
        3,
        gt=0,
        description="A subscription whose deliveries have failed for this many days without "
        "one success is switched off, and the admins are told.",
    )
    gracia_rotacion_horas: float = Field(
        24,
        ge=0,
        description="After a secret rotation, how long the previous secret still signs "
        "(both signatures are sent meanwhile).",
    )
