"""One typed settings object, read from ``SOPORTE_*`` environment variables and ``soporte.toml``.

Environment variables win over the TOML file, which wins over the defaults. Every name is
documented in ``docs/configuration.md``; a test keeps that page and this class in step.

Settings that were renamed keep their old names working (environment, ``soporte.toml`` and
code) with a :class:`DeprecationWarning` naming the new one: see :class:`RenamedSettings`.
Plugins' own settings are built by :mod:`core.plugin_settings` with the same machinery.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import tomllib
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PrivateAttr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

#: The value of ``SOPORTE_PLUGINS`` that enables no plugin at all (an empty core).
NO_PLUGINS = "none"
#: The prefix of every environment variable soporte reads.
ENV_PREFIX = "SOPORTE_"
#: The configuration file, read from the working directory.
TOML_FILE = "soporte.toml"

log = logging.getLogger("soporte.settings")


def split_csv(value: Any) -> Any:
    """Accept ``"a, b"`` from the environment as well as a list from TOML or code."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


#: A list setting: comma-separated in the environment, an array in TOML, a list in code.
#: For plugins' settings too (``clientes: CsvList = []``).
CsvList = Annotated[list[str], NoDecode, BeforeValidator(split_csv)]


def read_toml(path: str | Path = TOML_FILE) -> dict[str, Any]:
    """The parsed ``soporte.toml`` (relative to the working directory), or ``{}`` if absent."""
    file = Path(path)
    if not file.is_file():
        return {}
    with file.open("rb") as f:
        return tomllib.load(f)


def warn_renamed(old: str, new: str) -> None:
    """Say once per use that a setting name is deprecated: a warning and a log line."""
    message = f"{old} is deprecated; use {new}"
    warnings.warn(message, DeprecationWarning, stacklevel=2)
    # DeprecationWarnings are hidden by default outside tests: operators read the log.
    log.warning("%s", message)


class _Renaming(PydanticBaseSettingsSource):
    """Wrap a source (code or TOML): rename old keys to new ones, warning, and drop keys
    this source may not provide. A new name given beside its old one wins."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        inner: Callable[[], dict[str, Any]],
        renamed: Mapping[str, str],
        describe: Callable[[str], str],
        drop: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(settings_cls)
        self._inner, self._renamed, self._describe, self._drop = inner, renamed, describe, drop

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ does the work

    def __call__(self) -> dict[str, Any]:
        data = {k: v for k, v in self._inner().items() if k not in self._drop}
        for old, new in self._renamed.items():
            if old in data:
                value = data.pop(old)
                warn_renamed(self._describe(old), self._describe(new))
                data.setdefault(new, value)
        return data


class _RenamedEnv(PydanticBaseSettingsSource):
    """The old environment variables of renamed settings (``PREFIX + OLD``), as new names.

    pydantic-settings does not prefix aliases (``validation_alias`` names the variable
    itself), so old names are looked up here, after the new variables and before the TOML.
    """

    def __init__(
        self, settings_cls: type[BaseSettings], prefix: str, renamed: Mapping[str, str]
    ) -> None:
        super().__init__(settings_cls)
        self._prefix, self._renamed = prefix, renamed

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ does the work

    def __call__(self) -> dict[str, Any]:
        environ = {k.upper(): v for k, v in os.environ.items()}  # case-insensitive, as env
        data: dict[str, Any] = {}
        for old, new in self._renamed.items():
            value = environ.get(env_name(self._prefix, old))
            if value is not None:
                warn_renamed(env_name(self._prefix, old), env_name(self._prefix, new))
                data[new] = value
        return data


class _EnvSkipping(EnvSettingsSource):
    """The environment, without the fields it may not provide (code-only ones).

    Dropping them after the environment source has run is too late: pydantic-settings decodes
    a complex field's variable first, so ``SOPORTE_PLUGIN_SETTINGS=`` (empty, or anything not
    JSON) crashed start-up for a setting that is ignored anyway.
    """

    def __init__(self, settings_cls: type[BaseSettings], skip: frozenset[str]) -> None:
        super().__init__(settings_cls)
        self._skip = skip

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field_name in self._skip:
            return None, field_name, False
        return super().get_field_value(field, field_name)


def env_name(prefix: str, field: str) -> str:
    """The environment variable of a setting: ``SOPORTE_MAX_FILES``."""
    return f"{prefix}{field}".upper()


def is_set_in_env(prefix: str, field: str) -> bool:
    """Whether the variable of a setting is in the environment (case-insensitively)."""
    wanted = env_name(prefix, field)
    return any(k.upper() == wanted for k in os.environ)


def renamed_sources(
    settings_cls: type[BaseSettings],
    init_settings: PydanticBaseSettingsSource,
    env_settings: PydanticBaseSettingsSource,
    toml: Callable[[], dict[str, Any]],
    *,
    prefix: str,
    renamed: Mapping[str, str],
    describe_key: Callable[[str], str],
    code_only: frozenset[str] = frozenset(),
) -> tuple[PydanticBaseSettingsSource, ...]:
    """Code, then the environment (new names, then old ones), then the TOML; with old names
    renamed (and warned about) in each, and ``code_only`` fields read from code alone."""
    env = _EnvSkipping(settings_cls, code_only) if code_only else env_settings
    return (
        _Renaming(settings_cls, init_settings, renamed, lambda k: f"{k}="),
        _Renaming(settings_cls, env, {}, str, drop=code_only),
        _RenamedEnv(settings_cls, prefix, renamed),
        _Renaming(settings_cls, toml, renamed, describe_key, drop=code_only),
    )


def zona_conocida(valor: str) -> str:
    """``valor`` if it is an IANA time zone this system knows (a settings validator)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(valor)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {valor!r}") from exc
    return valor


#: A setting naming an IANA time zone, checked when the settings load.
TimeZoneName = Annotated[str, AfterValidator(zona_conocida)]


class Settings(BaseSettings):
    """Everything an operator can configure. Field ``x`` is read from ``SOPORTE_X``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="ignore",
        validate_default=True,
    )

    #: Old name → new name of settings renamed to English. The old ``SOPORTE_*`` variables,
    #: TOML keys and keyword arguments keep working, with a DeprecationWarning.
    renamed: ClassVar[Mapping[str, str]] = {
        "registro_abierto": "signup_open",
        "token_ttl_horas": "token_ttl_hours",
        "login_max_fallos": "login_max_failures",
        "login_ventana_segundos": "login_window_seconds",
        "max_archivos": "max_files",
        "enlace_ttl_segundos": "link_ttl_seconds",
    }
    #: Fields given only in code (never read from the environment or soporte.toml).
    code_only: ClassVar[frozenset[str]] = frozenset({"plugin_settings"})

    _code_keys: frozenset[str] = PrivateAttr(default=frozenset())
    _unknown_code: dict[str, Any] = PrivateAttr(default_factory=dict)

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
        f"`{NO_PLUGINS}` means none, `builtin` stands for those that ship with soporte.",
    )
    plugin_settings: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="(Code only) per-plugin settings that win over the environment and "
        "soporte.toml: `{plugin: {field: value}}`.",
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
    secret_key_fallbacks: CsvList = Field(
        default_factory=list,
        description="Comma-separated old secret keys, still accepted to verify download links "
        "after a rotation (never used to sign).",
    )
    signup_open: bool = Field(
        True, description="Whether `POST /api/auth/registro/` accepts new customers."
    )
    team_visibility: bool = Field(
        False,
        description="Whether an AGENTE sees only the tickets of their teams, tickets with no "
        "team and tickets assigned to them (admins see everything).",
    )
    token_ttl_hours: float = Field(24 * 7, gt=0, description="Lifetime of an API token, in hours.")
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins per username and client address before a 429."
    )
    login_window_seconds: int = Field(
        300, ge=1, description="Window over which failed logins are counted, in seconds."
    )
    rate_login_address: str = Field(
        "60/minute",
        description="Login attempts per client address over all accounts (limits' notation; "
        "`off` disables).",
    )
    rate_login_account: str = Field(
        "100/hour",
        description="Login attempts per account over all client addresses (limits' notation; "
        "`off` disables).",
    )
    rate_signup: str = Field(
        "20/hour", description="Sign-ups per client address (limits' notation; `off` disables)."
    )
    rate_tickets: str = Field(
        "30/minute", description="Tickets created per user (limits' notation; `off` disables)."
    )
    rate_cases: str = Field(
        "30/minute", description="Cases created per user (limits' notation; `off` disables)."
    )
    rate_uploads: str = Field(
        "60/minute",
        description="Multipart requests per user to endpoints that take files, counted before "
        "the body is read (limits' notation; `off` disables).",
    )
    rate_chat_messages: str = Field(
        "20/10 seconds",
        description="Chat messages per user and ticket, over all their sockets (limits' "
        "notation; `off` disables).",
    )
    rate_chat_typing: str = Field(
        "30/10 seconds",
        description="Typing frames relayed per user and ticket (limits' notation; `off` disables).",
    )
    rate_socket_opens: str = Field(
        "60/minute",
        description="Chat sockets opened per user (limits' notation; `off` disables).",
    )
    rate_socket_refusals: str = Field(
        "30/minute",
        description="Sockets refused for a bad token per client address before each further "
        "refusal waits `socket_refusal_delay_seconds` (limits' notation; `off` disables).",
    )
    socket_refusal_delay_seconds: float = Field(
        5,
        ge=0,
        le=60,
        description="How long a socket refused past `rate_socket_refusals` is held before "
        "its 4401, so that a client reconnecting in a loop slows down (seconds).",
    )
    max_sockets_per_user: int = Field(
        20, ge=1, description="Chat sockets one user may hold open at once in one process."
    )
    password_hash_concurrency: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="Password hashes computed at once (threads); default: the CPU count.",
    )
    password_hash_queue: int = Field(
        32,
        ge=0,
        description="Password hashes waiting for a thread before logins are refused with a 429.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated addresses or CIDRs of reverse proxies whose "
        "`X-Forwarded-For` is believed; empty trusts nobody.",
    )
    max_upload_mb: float = Field(10, gt=0, description="Largest accepted file, in MiB.")
    max_files: int = Field(10, ge=1, description="Most files accepted in one request.")
    max_form_parts: int = Field(
        50, ge=1, description="Most parts (text fields and files) in one multipart request."
    )
    max_form_mb: float = Field(
        1, gt=0, description="Most text of one form, all its fields together, in MiB."
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names the server answers to (comma-separated); empty: any.",
    )
    upload_quota_mb_per_hour: float = Field(
        200,
        ge=0,
        description="Most MiB one user may upload in any hour (0: no hourly quota).",
    )
    upload_quota_mb_per_day: float = Field(
        1024,
        ge=0,
        description="Most MiB one user may upload in any 24 hours (0: no daily quota).",
    )
    upload_orphan_hours: float = Field(
        24,
        gt=0,
        description="Age in hours after which an upload attached to nothing is deleted.",
    )
    upload_sweep_interval_seconds: float = Field(
        3600,
        ge=0,
        description="Seconds between two passes of the orphan-upload sweep (0: no sweep).",
    )
    dashboard_timezone: TimeZoneName = Field(
        "UTC",
        description="IANA timezone whose days the dashboard's series count (e.g. Europe/Madrid).",
    )

    link_ttl_seconds: int = Field(
        3600, ge=1, description="How long a signed attachment link stays valid, in seconds."
    )
    export_batch_size: int = Field(
        1000,
        ge=1,
        le=10000,
        description="Rows a CSV export reads per query (keyset pages); memory stays flat "
        "whatever the export's size.",
    )
    export_link_ttl_seconds: int = Field(
        60,
        ge=1,
        description="How long a signed CSV-export link (the console's download button) stays "
        "valid, in seconds.",
    )
    session_check_seconds: float = Field(
        60,
        gt=0,
        description="How often each process re-checks the tokens of its open WebSockets, "
        "closing those revoked or expired where no broadcast reached (seconds).",
    )
    smtp_url: str | None = Field(
        None,
        description="Where mail is sent: `smtp://[user:pass@]host[:port]` or `smtps://…`, "
        "`?starttls=auto|required|off`, `cafile=`; unset: mails are written to the log.",
    )
    mail_from: str = Field(
        "soporte@localhost",
        description="The From of every mail (`Soporte <soporte@example.com>` or a bare "
        "address); its domain names the Message-IDs.",
    )
    smtp_timeout_seconds: float = Field(
        30, gt=0, description="How long one SMTP connection, command or reply may take."
    )
    outbox_max_attempts: int = Field(
        10,
        ge=1,
        description="Attempts of one outbox delivery before it is dead-lettered (FALLIDO).",
    )
    outbox_retry_base_seconds: float = Field(
        30,
        gt=0,
        description="Wait before the second attempt of a failed delivery; each further wait "
        "doubles (with jitter).",
    )
    outbox_lease_seconds: float = Field(
        300,
        gt=0,
        description="How long a process's claim on a delivery lasts; past it (the process "
        "died mid-send) another process retries the delivery.",
    )
    outbox_poll_seconds: float = Field(
        5,
        gt=0,
        description="How often each process looks for due deliveries (rows queued here wake "
        "it at once).",
    )
    outbox_batch: int = Field(
        50, ge=1, description="Deliveries one process claims at once (one SMTP connection)."
    )
    outbox_worker: bool = Field(
        True,
        description="Whether this process runs an outbox worker (false: it only queues; "
        "other processes deliver).",
    )
    password_min_length: int = Field(
        8,
        ge=8,
        description="Shortest password accepted at sign-up and by `soporte createuser` (at "
        "least 8).",
    )
    password_reset_ttl_seconds: int = Field(
        3600,
        ge=60,
        description="How long a password-reset link stays valid, in seconds (single use).",
    )
    email_verification: Literal["off", "optional", "required"] = Field(
        "off",
        description="E-mail verification of sign-ups: `off`, `optional` (a link is mailed, the "
        "account works) or `required` (no login until the address is confirmed).",
    )
    email_verification_ttl_hours: float = Field(
        72, gt=0, description="How long an e-mail verification link stays valid, in hours."
    )
    rate_password_reset_address: str = Field(
        "20/hour",
        description="Password-reset requests per client address (limits' notation; `off` "
        "disables).",
    )
    rate_password_reset_email: str = Field(
        "5/hour",
        description="Password-reset requests per e-mail address asked for (limits' notation; "
        "`off` disables).",
    )
    rate_email_verification: str = Field(
        "5/hour",
        description="Verification mails re-sent per user, per e-mail address and per client "
        "address (limits' notation; `off` disables).",
    )
    site_name: str = Field(
        "Centro de ayuda",
        min_length=1,
        description="The helpdesk's name, as mails show it (subject lines, header, footer).",
    )
    mail_templates_dir: Path | None = Field(
        None,
        description="A folder searched before the plugins' templates for mail templates, so "
        "that a deployment overrides any mail without code.",
    )
    log_level: str = Field("INFO", description="Python logging level for the `soporte` loggers.")

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        # Remembered for `soporte config`, which tells code from environment and file.
        self._code_keys = frozenset(self.renamed.get(k, k) for k in values)
        # Ignored by the model (extra="ignore") but kept: old flat plugin keys such as
        # `escalamiento_intervalo=` are moved onto the plugin's settings, with a warning.
        known = {*type(self).model_fields, *self.renamed}
        self._unknown_code = {k: v for k, v in values.items() if k not in known}

    @property
    def unknown_code_values(self) -> dict[str, Any]:
        """Keyword arguments given in code that are no setting of the core (see
        :func:`core.plugin_settings.build_plugin_settings`, which reads plugins' flat keys)."""
        return dict(self._unknown_code)

    @field_validator("plugins", mode="before")
    @classmethod
    def _plugins(cls, value: Any) -> Any:
        # In soporte.toml `plugins` may be a table, `enabled = [...]` beside the plugins'
        # own `[plugins.<name>]` tables (TOML allows a key to be a list or a table, not both).
        if isinstance(value, Mapping):
            value = value.get("enabled")
        return split_csv(value)

    @field_validator("cors_origins", "allowed_hosts", "trusted_proxies", mode="before")
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return split_csv(value)

    @field_validator(
        "rate_login_address",
        "rate_login_account",
        "rate_signup",
        "rate_tickets",
        "rate_cases",
        "rate_uploads",
        "rate_chat_messages",
        "rate_chat_typing",
        "rate_socket_opens",
        "rate_socket_refusals",
        "rate_password_reset_address",
        "rate_password_reset_email",
        "rate_email_verification",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        # Checked at start-up, so a typo is a settings error and not a 500 on the first hit.
        from core.ratelimit import parse_rate

        parse_rate(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # a ValueError names the bad entry
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        # Checked at start-up: a typo is a settings error, not a failure of every mail.
        if not value:
            return None
        from core.mail import parse_smtp_url

        parse_smtp_url(value)
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str) -> str:
        from email.utils import parseaddr

        if "\r" in value or "\n" in value or "@" not in parseaddr(value)[1]:
            raise ValueError("must be an address: soporte@example.com or Soporte <soporte@…>")
        return value

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
        """Code first, then the environment, then ``soporte.toml`` (old names renamed)."""
        return renamed_sources(
            settings_cls,
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=TOML_FILE),
            prefix=ENV_PREFIX,
            renamed=cls.renamed,
            describe_key=lambda key: f"{key} in {TOML_FILE}",
            code_only=cls.code_only,
        )

    def source_of(self, field: str) -> str:
        """Where a field's value comes from: ``code``, ``env VAR``, ``soporte.toml``, ``default``.

        Checked in the order of precedence, for ``soporte config``.
        """
        if field in self._code_keys:
            return "code"
        if field in self.code_only:
            return "default"
        return self.read_from(field)

    @classmethod
    def read_from(cls, field: str) -> str:
        """Where the environment or ``soporte.toml`` give a field: ``env VAR`` (the variable
        actually set, old names marked deprecated), ``soporte.toml`` (or ``old_key in
        soporte.toml (deprecated)``), else ``default``.

        A class method, so that it also names the source of a value that failed validation.
        """
        if is_set_in_env(ENV_PREFIX, field):
            return f"env {env_name(ENV_PREFIX, field)}"
        old = [o for o, n in cls.renamed.items() if n == field]
        for name in old:
            if is_set_in_env(ENV_PREFIX, name):
                return f"env {env_name(ENV_PREFIX, name)} (deprecated)"
        table = read_toml()
        if field in table:
            return TOML_FILE
        for name in old:
            if name in table:
                return f"{name} in {TOML_FILE} (deprecated)"
        return "default"

    @property
    def max_upload_bytes(self) -> int:
        """The per-file size limit in bytes."""
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_form_bytes(self) -> int:
        """``max_form_mb`` in bytes."""
        return int(self.max_form_mb * 1024 * 1024)

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
