"""Mail: what a plugin hands to the outbox (:class:`Mail`, :func:`queue_mail`).

A mail is queued as one row of the outbox (:mod:`core.outbox_models`), written in the
transaction of the current unit of work, so it goes out only if that transaction commits and
is never lost once it has. The outbox's worker (:mod:`core.outbox`) sends it later.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.events import current_unit_of_work
from core.outbox_models import Envio

if TYPE_CHECKING:
    from collections.abc import Mapping

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
        )


def new_message_id(domain: str) -> str:
    """A fresh, globally unique Message-ID (``<random@domain>``)."""
    return f"<{uuid.uuid4().hex}@{domain}>"


async def queue_mail(mail: Mail, *, key: str | None = None) -> str:
    """Write the mail to the outbox inside the current unit of work's transaction (so it is
    sent only if that transaction commits, and never lost once it has); outside a unit of work
    it opens its own transaction. ``key``: optional idempotency key (a second queue_mail with the
    same key is a no-op). Returns the Message-ID. Delivery is done later by the outbox worker.

    One ``INSERT`` (and, with a ``key``, one ``SELECT`` of the stored Message-ID). Raises
    :class:`ValueError` for a mail without recipients or with a line break in a header.
    """
    from core import outbox  # the worker's module imports this one

    mail.check()
    running = outbox.running_outbox()
    domain = running.mail_domain if running is not None else FALLBACK_DOMAIN
    message_id = mail.message_id or new_message_id(domain)
    now = datetime.now(UTC)
    row = Envio(
        canal=MAIL_CHANNEL,
        destino=", ".join(mail.to)[:500],
        payload=mail.to_payload(),
        clave=key,
        proximo_intento=now,
        message_id=message_id,
        fecha_creacion=now,
    )
    uow = current_unit_of_work()
    conn = uow.connection if uow is not None else None
    if key is None:
        await row.save(using_db=conn)
    else:
        # INSERT … ON CONFLICT DO NOTHING: a duplicate never aborts the caller's transaction
        # (PostgreSQL would abort it on a unique violation caught here).
        await Envio.bulk_create([row], ignore_conflicts=True, using_db=conn)
        stored = await Envio.filter(clave=key).using_db(conn).values_list("message_id", flat=True)
        message_id = str(stored[0]) if stored else message_id
    if uow is not None:
        uow.on_commit(outbox.wake)
    else:
        outbox.wake()
    return message_id
