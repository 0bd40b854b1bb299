"""One typed settings object, read from ``SOPORTE_*`` environment variables and ``soporte.toml``.

Environment variables win over the TOML file, which wins over the defaults. Every name is
documented in ``docs/configuration.md``; a test keeps that page and this class in step.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

#: The value of ``SOPORTE_PLUGINS`` that enables no plugin at all (an empty core).
NO_PLUGINS = "none"


def _split_csv(value: Any) -> Any:
    """Accept ``"a, b"`` from the environment as well as a list from TOML or code."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Everything an operator can configure. Field ``x`` is read from ``SOPORTE_X``."""

    model_config = SettingsConfigDict(
        env_prefix="SOPORTE_",
        toml_file="soporte.toml",
        extra="ignore",
        validate_default=True,
    )

    database_url: str = Field(
        "sqlite://soporte.db", description="Any tortoise URL; `postgres://…` for production."
    )
    redis_url: str | None = Field(
        None,
        description="Enables the cross-process channel layer: chat frames reach sockets held "
        "by every process.",
    )
    redis_prefix: str = Field(
        "soporte",
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Names this helpdesk's Redis channel, so that several can share one Redis.",
    )
    plugins: Annotated[list[str] | None, NoDecode] = Field(
        None,
        description="Comma-separated plugins to enable; unset means all installed, "
        f"`{NO_PLUGINS}` means none.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins allowed to call the API from a browser.",
    )
    public_url: str | None = Field(
        None,
        description="Base of absolute links (attachments, pagination); default: the request's.",
    )
    media_dir: Path = Field(Path("media"), description="Where attachments are stored.")
    secret_key: str | None = Field(
        None,
        description="Signs download links; default: generated once and kept beside the database.",
    )
    escalamiento_intervalo: float = Field(
        60, ge=0, description="Seconds between escalation runs; `0` switches the scheduler off."
    )
    escalamiento_webhook_url: str | None = Field(
        None,
        description="With the `escalamiento` plugin: an http(s) URL that receives each "
        "escalation as a JSON POST.",
    )
    escalamiento_webhook_secret: str | None = Field(
        None,
        description="HMAC-SHA256 key of the escalation webhook's `X-Soporte-Firma` header; "
        "default: the secret key.",
    )
    registro_abierto: bool = Field(
        True, description="Whether `POST /api/auth/registro/` accepts new customers."
    )
    token_ttl_horas: float = Field(24 * 7, gt=0, description="Lifetime of an API token, in hours.")
    login_max_fallos: int = Field(
        5, ge=1, description="Failed logins per username and client address before a 429."
    )
    login_ventana_segundos: int = Field(
        300, ge=1, description="Window over which failed logins are counted, in seconds."
    )
    max_upload_mb: float = Field(10, gt=0, description="Largest accepted file, in MiB.")
    max_archivos: int = Field(10, ge=1, description="Most files accepted in one request.")
    enlace_ttl_segundos: int = Field(
        3600, ge=1, description="How long a signed attachment link stays valid, in seconds."
    )
    log_level: str = Field("INFO", description="Python logging level for the `soporte` loggers.")

    @field_validator("plugins", "cors_origins", mode="before")
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Code first, then the environment, then ``soporte.toml``."""
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def max_upload_bytes(self) -> int:
        """The per-file size limit in bytes."""
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def enabled_plugins(self) -> list[str] | None:
        """The plugin names asked for, ``[]`` for none, or ``None`` for all installed."""
        if self.plugins is None:
            return None
        if self.plugins == [NO_PLUGINS]:
            return []
        return self.plugins

    def resolved_secret_key(self) -> str:
        """The signing key: configured, or generated once and kept beside the SQLite database.

        With a non-file database and no configured key a random per-process key is used, which
        is only good for one process; deployments set ``SOPORTE_SECRET_KEY`` (see deployment docs).
        """
        if self.secret_key:
            return self.secret_key
        db_file = sqlite_path(self.database_url)
        if db_file is None:
            return secrets.token_urlsafe(32)
        key_file = db_file.parent / ".secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


def sqlite_path(database_url: str) -> Path | None:
    """The file behind a ``sqlite://`` URL, or ``None`` for memory or other databases."""
    if not database_url.startswith("sqlite://"):
        return None
    rest = database_url.removeprefix("sqlite://").split("?", 1)[0]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)
