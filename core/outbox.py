"""The durable outbox: deliveries written in the causing transaction, sent by a worker.

Rows live in ``core_envio`` (:class:`core.outbox_models.Envio`). Every process runs one worker
per application; it claims due rows through the database, so exactly one process delivers
each, and records the outcome. A delivery that fails for good is dead-lettered (``FALLIDO``)
and the core event :class:`EnvioFallido` is emitted.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from tortoise.context import get_current_context

from core.events import Event

if TYPE_CHECKING:
    from tortoise.context import TortoiseContext


@dataclass(frozen=True, kw_only=True)
class EnvioFallido(Event):
    """A delivery was dead-lettered: refused for good, or out of attempts."""

    name: ClassVar[str] = "envio_fallido"
    envio_id: int
    canal: str
    destino: str
    error: str


class Outbox:
    """One application's outbox in this process: the mail domain, the worker's wake-up."""

    def __init__(self, mail_domain: str) -> None:
        self.mail_domain = mail_domain
        self._wake_callbacks: list[object] = []

    def wake(self) -> None:
        """Ask the worker to look for due rows now (a row was just committed)."""


#: The running outbox of each ORM context (one per application), so that ``queue_mail`` —
#: called with no application at hand — finds its app's mail domain and worker.
_RUNNING: weakref.WeakKeyDictionary[TortoiseContext, Outbox] = weakref.WeakKeyDictionary()


def running_outbox() -> Outbox | None:
    """The outbox of the application whose database is current, if it runs in this process."""
    ctx = get_current_context()
    return _RUNNING.get(ctx) if ctx is not None else None


def wake() -> None:
    """Wake the current application's worker (a row was just committed); nothing without one."""
    outbox = running_outbox()
    if outbox is not None:
        outbox.wake()
