"""The settings of ``correo``: ``SOPORTE_CORREO_*`` or ``[plugins.correo]`` in soporte.toml
(docs/configuration.md, "Plugin settings")."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from core.settings import CsvList


class CorreoSettings(BaseSettings):
    """Where mail comes in (SMTP receiver, IMAP mailbox), and what a message may become."""

    #: The issue's Spanish names (``SOPORTE_CORREO_DIRECCION``,
    #: ``SOPORTE_CORREO_EXIGIR_AUTENTICACION``) work too, with a DeprecationWarning.
    renamed: ClassVar[dict[str, str]] = {
        "direccion": "address",
        "exigir_autenticacion": "require_authentication",
    }

    address: str = Field(
        "",
        description="The support address mail is sent to; empty: `SOPORTE_MAIL_FROM`'s address.",
    )
    smtp_listen: str = Field(
        "",
        description="`host:port` of the SMTP receiver inside `soporte run`; empty: off.",
    )
    imap_url: str = Field(
        "",
        description="Mailbox to import from: `imaps://user:password@host[:port]/INBOX` "
        "(`imap://…?starttls=true` too); empty: off.",
    )
    imap_processed_folder: str = Field(
        "",
        description="IMAP folder imported messages are moved to; empty: they are flagged "
        "`\\Seen` and `$SoporteImportado` instead.",
    )
    imap_poll_seconds: float = Field(
        60,
        gt=0,
        description="Seconds between IMAP polls when the server has no IDLE.",
    )
    max_bytes: int = Field(
        26_214_400,
        gt=0,
        description="Largest raw message accepted, in bytes (SMTP `SIZE`, 413 at the endpoint; "
        "from IMAP it is not downloaded, but flagged `$SoporteDemasiadoGrande` in the mailbox).",
    )
    unknown_senders: Literal["crear", "rechazar"] = Field(
        "crear",
        description="A message from an unknown address: `crear` (a customer without password "
        "is created) or `rechazar` (ignored).",
    )
    require_authentication: bool = Field(
        False,
        description="Quarantine messages whose `Authentication-Results` show no SPF, DKIM or "
        "DMARC pass, or a fail.",
    )
    categoria: Literal["TECNICO", "RESERVAS", "PAGOS", "GENERAL"] = Field(
        "GENERAL", description="Category of tickets opened by mail."
    )
    prioridad: Literal["ALTA", "MEDIA", "BAJA"] = Field(
        "MEDIA", description="Priority of tickets opened by mail."
    )
    aliases: CsvList = Field(
        default_factory=list,
        description="More addresses the SMTP receiver accepts as the support address "
        "(comma-separated, each with any `+tag`), for an MTA that delivers aliases unchanged.",
    )
    processing_lease_seconds: float = Field(
        300,
        gt=0,
        description="How long a process's claim on a stored message holds: a message claimed "
        "by a process that died is processed by another one after this (seconds).",
    )
    sender_rate: str = Field(
        "20/hour",
        description="Messages per sender made into tickets or replies (`N/second|minute|hour|"
        "day`); more are ignored.",
    )

    @field_validator("sender_rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        """A rate in limits' notation, or ``off``."""
        from core.ratelimit import parse_rate

        parse_rate(value)
        return value.strip()

    @field_validator("address", "smtp_listen", "imap_url", "imap_processed_folder")
    @classmethod
    def _strip(cls, value: str) -> str:
        """Surrounding blanks are never meant."""
        return value.strip()
