"""Typed domain events, a unit of work that publishes them after commit, and listener dispatch.

Two phases, as in Kinto: ``in_transaction`` listeners run as the event is emitted, inside the
transaction, and may veto it by raising; ``after_commit`` listeners (the default) run once the
transaction has committed and never break the request — a failing one is logged. Events emitted
in a transaction that rolls back are dropped.

Business events are explicit dataclasses, never ORM signals::

    @dataclass(frozen=True, kw_only=True)
    class TicketCreado(Event):
        name: ClassVar[str] = "ticket_creado"
        ticket_id: int
"""

from __future__ import annotations

import dataclasses
import logging
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from core.db import confirmar, transaccion
from core.plugin_contract import await_me_maybe

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Sequence
    from types import TracebackType

    from tortoise.backends.base.client import BaseDBAsyncClient

log = logging.getLogger("soporte.events")

Phase = Literal["in_transaction", "after_commit"]


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every domain event. Subclasses set a unique ``name`` (snake_case, Spanish)."""

    name: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        """The event's fields, for logs and cross-process transport."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Listener:
    """A subscription: ``handler(event)`` for every event that is an instance of ``event``."""

    event: type[Event]
    handler: Callable[[Any], Awaitable[None] | None]
    phase: Phase = "after_commit"


class EventBus:
    """Delivers events to listeners. One per application, filled by ``register_listeners``."""

    def __init__(self, listeners: Iterable[Listener] = ()) -> None:
        self._listeners: list[Listener] = []
        for listener in listeners:
            self.subscribe(listener)

    def subscribe(self, listener: Listener) -> None:
        """Add a listener (at build time, or from tests)."""
        if listener.phase not in ("in_transaction", "after_commit"):
            raise ValueError(f"unknown listener phase {listener.phase!r}")
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Remove a listener added with :meth:`subscribe`."""
        self._listeners.remove(listener)

    def listens(self, event_type: type[Event], phase: Phase) -> bool:
        """Whether some listener of ``phase`` would receive events of ``event_type`` (a service
        may skip its transaction when nobody can veto the work)."""
        return any(ls.phase == phase and issubclass(event_type, ls.event) for ls in self._listeners)

    def _for(self, event: Event, phase: Phase) -> list[Listener]:
        return [ls for ls in self._listeners if ls.phase == phase and isinstance(event, ls.event)]

    async def run_in_transaction(self, event: Event) -> None:
        """Run the ``in_transaction`` listeners of ``event``; an exception vetoes the work."""
        for listener in self._for(event, "in_transaction"):
            await await_me_maybe(listener.handler(event))

    async def publish(self, event: Event) -> None:
        """Run the ``after_commit`` listeners of ``event``, each isolated from the others."""
        for listener in self._for(event, "after_commit"):
            try:
                await await_me_maybe(listener.handler(event))
            except Exception:
                log.exception(
                    "listener %s failed on %s %s",
                    getattr(listener.handler, "__qualname__", listener.handler),
                    event.name,
                    event.to_dict(),
                )

    async def emit(self, event: Event) -> None:
        """Emit outside any unit of work: both phases run now, in order."""
        await self.run_in_transaction(event)
        await self.publish(event)


@dataclass
class UnitOfWork:
    """A database transaction whose events are published only after it commits.

    ::

        async with UnitOfWork(bus) as uow:
            ticket = await Ticket.create(..., using_db=uow.connection)
            await uow.emit(TicketCreado(ticket_id=ticket.id))
        # committed; after_commit listeners have run

    A unit of work opened inside another (a service calling a service) is a savepoint of the
    outer transaction: its events are published when the outermost one commits, or dropped
    with it.
    """

    bus: EventBus
    connection_name: str | None = None
    _pending: list[Event] = field(default_factory=list)
    _tx: Any = None
    connection: BaseDBAsyncClient | None = None
    _outer: UnitOfWork | None = None
    _token: Any = None
    _closed: bool = False
    _on_commit: list[Callable[[], None]] = field(default_factory=list)
    _writes: list[tuple[str, Sequence[Any]]] = field(default_factory=list)

    async def __aenter__(self) -> UnitOfWork:
        self._tx = transaccion(self.connection_name)
        self.connection = await self._tx.__aenter__()
        # Inside another unit of work (a service calling a service) the transaction is only a
        # savepoint: the events must wait for the outermost commit.
        self._outer = _CURRENT_UOW.get()
        self._token = _CURRENT_UOW.set(self)
        return self

    async def emit(self, event: Event) -> None:
        """Queue ``event`` for after commit, running its ``in_transaction`` listeners now."""
        await self.bus.run_in_transaction(event)
        self._pending.append(event)

    def diferir(self, *sentencias: tuple[str, Sequence[Any]]) -> None:
        """Run the hand-written writes ``sentencias`` (``(sql, params)``) at the end of this
        unit of work, just before it commits — on SQLite in the same hand-off to the driver's
        thread as the ``COMMIT`` (:func:`core.db.confirmar`), one round trip fewer than running
        them now. Only for writes that nothing later in the transaction reads back (the
        search index's text of a reply); if one fails the whole unit of work rolls back and
        the error is raised, as if it had failed when deferred. Dropped with a rollback."""
        self._writes.extend(sentencias)

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once the outermost transaction has committed (never if it rolls
        back), before the events are published. For machinery, not business reactions (those
        are ``after_commit`` listeners): the outbox wakes its worker this way. A failing
        callback is logged."""
        self._on_commit.append(callback)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _CURRENT_UOW.reset(self._token)
        writes, self._writes = self._writes, []
        try:
            if exc_type is None and writes and self.connection is not None:
                try:
                    await confirmar(self.connection, writes)
                except BaseException as error:
                    # Rolled back (on SQLite already, with the COMMIT that did not happen).
                    await self._tx.__aexit__(type(error), error, error.__traceback__)
                    raise
            await self._tx.__aexit__(exc_type, exc, tb)
        finally:
            self._closed = True
        pending, self._pending = self._pending, []
        callbacks, self._on_commit = self._on_commit, []
        if exc_type is None:
            # (A task started inside the outer work may outlive it: then publish here.)
            if self._outer is not None and not self._outer._closed:
                self._outer._pending.extend(pending)
                self._outer._on_commit.extend(callbacks)
                return
            for callback in callbacks:
                try:
                    callback()
                except Exception:
                    log.exception("on_commit callback %r failed", callback)
            for event in pending:
                await self.bus.publish(event)


#: The unit of work open in the current task, if any (to defer a nested one's events).
_CURRENT_UOW: ContextVar[UnitOfWork | None] = ContextVar("soporte_unit_of_work", default=None)


def current_unit_of_work() -> UnitOfWork | None:
    """The :class:`UnitOfWork` whose transaction the current task is inside, or ``None``
    (also when the one it was started in has closed since: a task may outlive it)."""
    uow = _CURRENT_UOW.get()
    if uow is None or uow._closed or uow.connection is None:
        return None
    return uow


def current_connection() -> BaseDBAsyncClient | None:
    """The connection of the current unit of work's transaction, or ``None`` outside one.

    Code that must write in the caller's transaction when there is one (the outbox's
    :func:`core.mail.queue_mail`) passes it as ``using_db``; ``None`` means "open your own".
    """
    uow = current_unit_of_work()
    return uow.connection if uow is not None else None


def in_unit_of_work() -> bool:
    """Whether the current task is inside a :class:`UnitOfWork` (whose transaction and event
    timing a service must then join)."""
    return _CURRENT_UOW.get() is not None
