"""Mail: what a plugin hands to the outbox (:class:`Mail`, :func:`queue_mail`), and the
transport that sends it (SMTP through aiosmtplib, or the log when no server is configured).

A mail is queued as one row of the outbox (:mod:`core.outbox_models`), written in the
transaction of the current unit of work, so it goes out only if that transaction commits and
is never lost once it has. The outbox's worker (:mod:`core.outbox`) sends it later, through
:func:`open_sender`, one connection per batch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.policy
import email.utils
import logging
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from aiohttp import web

    from core.settings import Settings

log = logging.getLogger("soporte.mail")

#: The outbox channel of mail.
MAIL_CHANNEL = "mail"
#: The domain of generated Message-IDs when no outbox runs in this process (a command).
FALLBACK_DOMAIN = "localhost"


@dataclass(frozen=True, kw_only=True)
class Mail:
    """One mail to send: recipients, subject, a text part and an optional HTML alternative.

    ``message_id``: ``None`` lets :func:`queue_mail` generate one (``<token@domain>``, the domain
    of ``SOPORTE_MAIL_FROM``); it is stored, so a retry re-sends the same one. ``in_reply_to``
    and ``references`` thread the mails of one conversation. ``headers``: extra headers, e.g.
    ``Auto-Submitted`` or ``List-Unsubscribe``.
    """

    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Parts rendered at delivery: the mail template (:mod:`core.mail_templates`) whose text
    #: and HTML parts the outbox worker renders with ``context`` (JSON values) when it sends
    #: the mail, replacing ``text`` and ``html`` (give ``""`` and ``None``). The subject is
    #: rendered by the caller (:func:`core.mail_templates.render_mail_subject`), so that the
    #: outbox lists it. The transaction that queues the mail then renders one template, not
    #: three; a template that fails at delivery is a failed attempt, retried.
    template: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)

    def rendered(self, app: web.Application) -> Mail:
        """This mail with its parts rendered (itself when it has no ``template``)."""
        if self.template is None:
            return self
        from core.mail_templates import render_mail_body  # it imports aiohttp and jinja2

        text, html = render_mail_body(app, self.template, self.context)
        return dataclasses.replace(self, text=text, html=html, template=None, context={})

    def check(self) -> None:
        """Refuse what no SMTP message can carry: no recipient, a line break in a header."""
        if not self.to or not all(a.strip() for a in self.to):
            raise ValueError("a mail needs at least one recipient")
        single = [self.subject, *self.to, self.message_id, self.in_reply_to, self.reply_to]
        values = [*single, *self.references, *self.headers, *self.headers.values()]
        for value in values:
            if value is not None and ("\r" in value or "\n" in value):
                raise ValueError(f"line break in a mail header: {value!r}")

    def to_payload(self) -> dict[str, Any]:
        """The outbox row's JSON (without the Message-ID, which has its own column)."""
        return {
            "to": list(self.to),
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "in_reply_to": self.in_reply_to,
            "references": list(self.references),
            "reply_to": self.reply_to,
            "headers": dict(self.headers),
            **({"template": self.template, "context": dict(self.context)} if self.template else {}),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], message_id: str) -> Mail:
        """The mail of an outbox row."""
        return cls(
            to=tuple(payload["to"]),
            subject=payload["subject"],
            text=payload["text"],
            html=payload.get("html"),
            message_id=message_id,
            in_reply_to=payload.get("in_reply_to"),
            references=tuple(payload.get("references") or ()),
            reply_to=payload.get("reply_to"),
            headers=dict(payload.get("headers") or {}),
            template=payload.get("template"),
            context=dict(payload.get("context") or {}),
        )


def new_message_id(domain: str) -> str:
    """A fresh, globally unique Message-ID (``<random@domain>``)."""
    return f"<{uuid.uuid4().hex}@{domain}>"


async def queue_mail(mail: Mail, *, key: str | None = None) -> str:
    """Write the mail to the outbox inside the current unit of work's transaction (so it is
    sent only if that transaction commits, and never lost once it has); outside a unit of work
    it opens its own transaction. ``key``: optional idempotency key (a second queue_mail with the
    same key is a no-op). Returns the Message-ID. Delivery is done later by the outbox worker.

    One ``INSERT`` (:func:`core.outbox.enqueue`; a repeated ``key`` adds a ``SELECT``). Raises
    :class:`ValueError` for a mail without recipients or with a line break in a header.
    """
    from core import outbox  # the worker's module imports this one

    mail.check()
    running = outbox.running_outbox()
    domain = running.mail_domain if running is not None else FALLBACK_DOMAIN
    return await outbox.enqueue(
        MAIL_CHANNEL,
        ", ".join(mail.to),
        mail.to_payload(),
        key=key,
        message_id=mail.message_id or new_message_id(domain),
    )


# --- the transport ---------------------------------------------------------------------------


class DeliveryError(Exception):
    """A delivery failed. ``permanent``: no retry can help (the server refused the message
    with a 5xx); otherwise (4xx, connection, timeout) a later attempt may succeed."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


StartTls = Literal["auto", "required", "off"]


@dataclass(frozen=True)
class SmtpConfig:
    """``SOPORTE_SMTP_URL``, parsed (see :func:`parse_smtp_url`)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    #: ``smtps://``: TLS from the first byte (port 465).
    implicit_tls: bool = False
    #: ``smtp://`` only: STARTTLS when offered (``auto``), always (``required``), never.
    starttls: StartTls = "auto"
    #: A CA bundle to trust instead of the system's (a private CA, a self-signed server).
    cafile: str | None = None

    def tls_context(self) -> ssl.SSLContext:
        """The TLS context of the connection: certificates and host name always verified."""
        return ssl.create_default_context(cafile=self.cafile)


def parse_smtp_url(url: str) -> SmtpConfig:
    """``smtp://[user:password@]host[:port][?starttls=auto|required|off][&cafile=PATH]`` or
    ``smtps://…`` (implicit TLS). User and password are percent-decoded. Raises
    :class:`ValueError` naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        # (Never the URL itself in a message: it may hold a password.)
        raise ValueError("the SMTP URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("the SMTP URL names no host")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"starttls", "cafile"})
    if unknown:
        raise ValueError(f"unknown SMTP URL parameter(s): {', '.join(unknown)}")
    starttls = query.get("starttls", ["auto"])[-1]
    if starttls not in ("auto", "required", "off"):
        raise ValueError(f"starttls must be auto, required or off, not {starttls!r}")
    implicit = parts.scheme == "smtps"
    if implicit and "starttls" in query:
        raise ValueError("smtps:// is TLS from the start: starttls= does not apply")
    try:
        port = parts.port or (465 if implicit else 25)
    except ValueError as exc:
        raise ValueError("the SMTP URL has a bad port") from exc
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        implicit_tls=implicit,
        starttls="off" if implicit else starttls,  # type: ignore[arg-type]  # checked above
        cafile=query.get("cafile", [None])[-1] or None,
    )


def build_message(mail: Mail, sender: str, date: datetime | None = None) -> EmailMessage:
    """The RFC 5322 message of ``mail`` from ``sender`` (``SOPORTE_MAIL_FROM``): From, To, Date,
    Message-ID, Subject (encoded words when not ASCII), threading and extra headers, a
    text/plain part and, with ``html``, a text/html alternative."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Date"] = email.utils.format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = mail.message_id or new_message_id(domain_of(sender))
    message["Subject"] = mail.subject
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    if mail.in_reply_to:
        message["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        message["References"] = " ".join(mail.references)
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    return message


def domain_of(address: str) -> str:
    """The domain of an address (``Soporte <soporte@example.com>`` → ``example.com``)."""
    _, addr = email.utils.parseaddr(address)
    return addr.rpartition("@")[2] or FALLBACK_DOMAIN


class Sender(Protocol):
    """Sends mails over one open connection (see :func:`open_sender`)."""

    #: ``"smtp"`` or ``"log"``: what :meth:`send` does.
    kind: str

    async def send(self, mail: Mail, date: datetime | None = None) -> None:
        """Send one mail; :class:`DeliveryError` if it was not accepted."""


class LogSender:
    """No ``SOPORTE_SMTP_URL``: each mail is written to the log instead of being sent."""

    kind = "log"

    def __init__(self, sender: str) -> None:
        self.sender = sender

    async def send(self, mail: Mail, date: datetime | None = None) -> None:
        """One INFO line (To, Subject, Message-ID), the text at DEBUG."""
        log.info(
            "correo registrado (sin SOPORTE_SMTP_URL): To=%s Subject=%r Message-ID=%s",
            ", ".join(mail.to),
            mail.subject,
            mail.message_id,
        )
        log.debug("texto del correo %s:\n%s", mail.message_id, mail.text)


def _smtp_error(exc: BaseException, *, per_message: bool) -> DeliveryError:
    """A :class:`DeliveryError` for an SMTP failure. Only the server's 5xx answer about one
    message is permanent; a connection, TLS or login failure is the server's or the
    configuration's, not the message's, so it is retried (and may be fixed meanwhile)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        text = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        return DeliveryError(text, permanent=per_message and all(500 <= c < 600 for c in codes))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        text = f"{exc.code} {exc.message}"
        return DeliveryError(text, permanent=per_message and 500 <= exc.code < 600)
    return DeliveryError(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


class SmtpSender:
    """One SMTP connection (:func:`open_sender`): login and TLS done, several mails over it."""

    kind = "smtp"

    def __init__(self, config: SmtpConfig, sender: str, timeout: float) -> None:
        self.config, self.sender, self.timeout = config, sender, timeout
        self._client: aiosmtplib.SMTP | None = None

    def _new_client(self) -> aiosmtplib.SMTP:
        c = self.config
        return aiosmtplib.SMTP(
            hostname=c.host,
            port=c.port,
            username=c.username,
            password=c.password,
            use_tls=c.implicit_tls,
            start_tls={"auto": None, "required": True, "off": False}[c.starttls],
            tls_context=c.tls_context(),
            timeout=self.timeout,
        )

    async def connect(self) -> None:
        """Open the connection (TLS, EHLO, AUTH); :class:`DeliveryError` (temporary) if not."""
        client = self._new_client()
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            with contextlib.suppress(Exception):
                client.close()
            raise _smtp_error(exc, per_message=False) from exc
        self._client = client

    async def send(self, mail: Mail, date: datetime | None = None) -> None:
        """Send one mail over the connection, reconnecting once if the server dropped it."""
        message = build_message(mail, self.sender, date)
        envelope_from = email.utils.parseaddr(self.sender)[1]
        for attempt in (1, 2):
            if self._client is None or not self._client.is_connected:
                await self.connect()
            assert self._client is not None
            try:
                await self._client.send_message(
                    message, sender=envelope_from, recipients=list(mail.to)
                )
                return
            except aiosmtplib.SMTPServerDisconnected as exc:
                self._client = None
                if attempt == 2:
                    raise _smtp_error(exc, per_message=False) from exc
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                raise _smtp_error(exc, per_message=True) from exc

    def abort(self) -> None:
        """Drop the connection at once, without QUIT (the batch was cancelled or failed: a
        polite QUIT could wait ``smtp_timeout_seconds`` on a server that stopped answering)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def close(self) -> None:
        """QUIT, politely; a connection already gone is no error."""
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except Exception:
                client.close()


@contextlib.asynccontextmanager
async def open_sender(settings: Settings) -> AsyncIterator[Sender]:
    """The transport of ``settings``, for one batch: an SMTP connection (opened here; a
    :class:`DeliveryError` if that fails), or the log without ``SOPORTE_SMTP_URL``."""
    if not settings.smtp_url:
        yield LogSender(settings.mail_from)
        return
    smtp = SmtpSender(
        parse_smtp_url(settings.smtp_url), settings.mail_from, settings.smtp_timeout_seconds
    )
    await smtp.connect()
    try:
        yield smtp
    except BaseException:
        smtp.abort()  # cancelled (shutting down) or failed: no QUIT to wait for
        raise
    await smtp.close()
