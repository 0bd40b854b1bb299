"""The durable outbox: deliveries written in the causing transaction, sent by a worker.

Rows live in ``core_envio`` (:class:`core.outbox_models.Envio`). Every process runs one worker
per application (``create_app`` puts it in the app's ``cleanup_ctx``). The worker claims due
rows **through the database** — one conditional ``UPDATE`` that sets a lease and a random claim
token (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) — so exactly one process delivers each row; it
hands them to their channel (``mail`` in the core, others from the hook
``register_outbox_channels``) and records each outcome under that token. A process that dies
mid-send leaves its lease, which expires: another worker then retries the row (at-least-once;
a mail re-sent this way carries the same Message-ID).

Temporary failures are retried with exponential backoff and jitter; a permanent one (an SMTP
5xx about the message) or the last attempt dead-letters the row (``FALLIDO``) and emits the core
event :class:`EnvioFallido`. A row queued in this process wakes the worker right after its
commit, and the worker claims :data:`WAKE_GATHER_SECONDS` later (one claim for every row
committed meanwhile), so an idle worker sends it within tens of milliseconds; rows of other
processes and retries are found by polling every ``outbox_poll_seconds``. A process with
``outbox_worker`` off only queues. A mail may leave its parts to be rendered here, at delivery
(``Mail.template``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import uuid
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import jinja2
from tortoise.context import get_current_context
from tortoise.exceptions import DBConnectionError, OperationalError
from tortoise.expressions import F

from core import keys
from core.db import placeholders
from core.events import Event, current_unit_of_work
from core.mail import MAIL_CHANNEL, DeliveryError, Mail, domain_of, open_sender
from core.outbox_models import Envio, EstadoEnvio

if TYPE_CHECKING:
    from aiohttp import web
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.context import TortoiseContext

    from core.settings import Settings

log = logging.getLogger("soporte.outbox")

#: How long a woken worker waits before claiming, so that one claim takes every row committed
#: meanwhile (see ``Outbox._loop``).
WAKE_GATHER_SECONDS = 0.02

#: The longest wait between two attempts, whatever the base and the attempt number: a retry
#: schedule is "over hours", never "next week".
MAX_RETRY_DELAY = timedelta(hours=6)


@dataclass(frozen=True, kw_only=True)
class EnvioFallido(Event):
    """A delivery was dead-lettered: refused for good, or out of attempts."""

    name: ClassVar[str] = "envio_fallido"
    envio_id: int
    canal: str
    destino: str
    error: str


@dataclass(frozen=True)
class Outcome:
    """What became of one row handed to a channel. ``estado``: ``ENVIADO`` or ``REGISTRADO``
    when it was delivered; ``error``: why not (``permanent``: dead-letter it now)."""

    envio: Envio
    estado: EstadoEnvio = EstadoEnvio.ENVIADO
    error: str | None = None
    permanent: bool = False
    #: A channel with a retry schedule of its own (webhooks retry over a day): when the next
    #: attempt is due. Set with ``error``, the row waits until then and the core's
    #: ``outbox_max_attempts`` does not apply (the channel says ``permanent`` when it is done).
    retry_at: datetime | None = None
    #: Not an attempt at all: the channel chose not to send the row yet (it waits for an
    #: earlier delivery of the same ordering key). The row goes back to the queue, due at
    #: ``retry_at``, and the claim's attempt is not counted.
    deferred: bool = False

    @classmethod
    def failed(cls, envio: Envio, exc: BaseException) -> Outcome:
        """The outcome of a failure; a :class:`core.mail.DeliveryError` says if permanent."""
        permanent = isinstance(exc, DeliveryError) and exc.permanent
        text = str(exc) or type(exc).__name__
        return cls(envio, EstadoEnvio.PENDIENTE, error=text, permanent=permanent)

    @classmethod
    def retry(cls, envio: Envio, error: str, at: datetime) -> Outcome:
        """A temporary failure retried at ``at`` (the channel's own schedule)."""
        return cls(envio, EstadoEnvio.PENDIENTE, error=error, retry_at=at)

    @classmethod
    def defer(cls, envio: Envio, until: datetime) -> Outcome:
        """Not sent, on purpose: back in the queue, due at ``until``, the attempt uncounted."""
        return cls(envio, EstadoEnvio.PENDIENTE, error="", retry_at=until, deferred=True)


#: A channel's delivery: ``deliver(app, rows)`` yields one :class:`Outcome` per row, in any
#: order, as each is done (so that one recorded before a crash is never sent twice). Rows it
#: yields nothing for (it returned early or raised) count as a temporary failure.
Deliver = Callable[["web.Application", Sequence[Envio]], AsyncGenerator[Outcome, None]]


@dataclass(frozen=True)
class OutboxChannel:
    """A delivery channel of the outbox (hook ``register_outbox_channels``): rows whose
    ``canal`` is ``name`` are handed to ``deliver`` in batches."""

    name: str
    deliver: Deliver


async def deliver_mail(
    app: web.Application, envios: Sequence[Envio]
) -> AsyncGenerator[Outcome, None]:
    """The core's ``mail`` channel: one SMTP connection for the batch (or the log without
    ``SOPORTE_SMTP_URL``), each mail sent with its stored Message-ID and queue-time Date."""
    # A connection that cannot be opened raises DeliveryError out of here: the worker
    # records a temporary failure for every row this generator yielded nothing for.
    async with open_sender(app[keys.SETTINGS]) as sender:
        estado = EstadoEnvio.REGISTRADO if sender.kind == "log" else EstadoEnvio.ENVIADO
        for envio in envios:
            mail = Mail.from_payload(envio.payload, envio.message_id)
            try:
                # (A mail queued with ``template`` is rendered here, off the transaction that
                # queued it; a template that fails is a temporary failure: it may be fixed.)
                mail = mail.rendered(app)
            except jinja2.TemplateError as exc:
                error = DeliveryError(f"the template {mail.template!r} failed to render: {exc}")
                log.exception("envio %s: %s", envio.id, error)
                yield Outcome.failed(envio, error)
                continue
            try:
                await sender.send(mail, envio.fecha_creacion)
            except DeliveryError as exc:
                yield Outcome.failed(envio, exc)
            else:
                yield Outcome(envio, estado)


CORE_CHANNELS = (OutboxChannel(MAIL_CHANNEL, deliver_mail),)


def retry_delay(settings: Settings, attempt: int, rng: random.Random | None = None) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1-based): the base, doubled per
    attempt, at most :data:`MAX_RETRY_DELAY`, ±25 % jitter (so that the rows of one outage do
    not all come back in the same second)."""
    base = settings.outbox_retry_base_seconds * 2 ** max(0, attempt - 1)
    seconds = min(base, MAX_RETRY_DELAY.total_seconds())
    return timedelta(seconds=seconds * (rng or random).uniform(0.75, 1.25))


class Outbox:
    """One application's outbox in this process: its channels, its worker, its wake-up."""

    def __init__(self, app: web.Application, channels: Sequence[OutboxChannel]) -> None:
        self.app = app
        self.settings: Settings = app[keys.SETTINGS]
        self.mail_domain = domain_of(self.settings.mail_from)
        self.channels = {c.name: c for c in channels}
        self._wakeup = asyncio.Event()
        # Set at shutdown: the loop ends at its next turn even if a cancellation was lost.
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Ask the worker to look for due rows now (a row was just committed)."""
        self._wakeup.set()

    # --- claiming --------------------------------------------------------------------------

    async def claim(self) -> tuple[str, list[Envio]]:
        """Claim up to ``outbox_batch`` due rows for this process: ``(token, rows)``.

        One ``UPDATE`` marks them with a fresh token and a lease (and counts the attempt), and
        only rows still unclaimed (or whose lease ran out) match it, so two processes never
        claim one row; PostgreSQL skips rows another claim has locked instead of waiting.
        """
        conn: BaseDBAsyncClient = Envio._meta.db
        now = datetime.now(UTC)
        token = uuid.uuid4().hex
        lease = now + timedelta(seconds=self.settings.outbox_lease_seconds)
        values: list[Any] = []

        def bind(value: Any) -> str:
            # Each value gets its own marker (asyncpg numbers them, SQLite's are positional).
            values.append(value)
            return placeholders(conn, 1, start=len(values))[0]

        def due() -> str:
            return (
                f'"estado" = \'PENDIENTE\' AND "proximo_intento" <= {bind(now)} '
                f'AND ("reclamado_hasta" IS NULL OR "reclamado_hasta" < {bind(now)})'
            )

        lock = " FOR UPDATE SKIP LOCKED" if conn.capabilities.dialect == "postgres" else ""
        # (f-strings evaluate left to right: the markers are numbered in the order written.)
        sql = (
            f'UPDATE "core_envio" SET "reclamo" = {bind(token)}, '
            f'"reclamado_hasta" = {bind(lease)}, "intentos" = "intentos" + 1 '
            f'WHERE "id" IN (SELECT "id" FROM "core_envio" WHERE {due()} '
            f'AND "canal" IN ({", ".join(bind(c) for c in sorted(self.channels))}) '
            f'ORDER BY "proximo_intento", "id" LIMIT {bind(self.settings.outbox_batch)}{lock}) '
            f"AND {due()} RETURNING {_all_columns()}"
        )
        # (execute_query_dict fetches: tortoise's execute_query drops an UPDATE's RETURNING
        # rows on asyncpg.) The rows come back whole from the claim itself: a second query
        # to read them cost as much as the claim, once per wake-up.
        rows = await conn.execute_query_dict(sql, values)
        claimed = [Envio._init_from_db(**row) for row in rows]
        claimed.sort(key=lambda e: (e.proximo_intento, e.id))
        return token, claimed

    # --- recording -------------------------------------------------------------------------

    async def record(self, token: str, outcome: Outcome) -> None:
        """Store one outcome, only while this process's claim on the row holds."""
        envio = outcome.envio
        now = datetime.now(UTC)
        if outcome.error is None:
            await _record_delivered(envio.id, token, outcome.estado, now)
            return
        rows = Envio.filter(id=envio.id, reclamo=token)
        release: dict[str, Any] = {"reclamo": None, "reclamado_hasta": None}
        if outcome.deferred:
            # (The claim counted an attempt that was never made: give it back.)
            await rows.update(
                estado=EstadoEnvio.PENDIENTE, proximo_intento=outcome.retry_at or now,
                intentos=F("intentos") - 1, **release,
            )  # fmt: skip
            return
        error = outcome.error[:2000]
        own_schedule = outcome.retry_at is not None
        last = not own_schedule and envio.intentos >= self.settings.outbox_max_attempts
        if not (outcome.permanent or last):
            if outcome.retry_at is not None:
                delay = max(outcome.retry_at - now, timedelta(0))
            else:
                delay = retry_delay(self.settings, envio.intentos)
            await rows.update(
                estado=EstadoEnvio.PENDIENTE, proximo_intento=now + delay, ultimo_error=error,
                **release,
            )  # fmt: skip
            of = "?" if own_schedule else self.settings.outbox_max_attempts
            log.warning(
                "envio %s (%s → %s) falló, intento %s de %s, reintento en %.0f s: %s",
                envio.id, envio.canal, envio.destino, envio.intentos, of,
                delay.total_seconds(), error,
            )  # fmt: skip
            return
        changed = await rows.update(estado=EstadoEnvio.FALLIDO, ultimo_error=error, **release)
        if not changed:
            return  # the lease ran out and another process owns the row now
        log.error(
            "envio %s (%s → %s) descartado tras %s intento(s): %s",
            envio.id, envio.canal, envio.destino, envio.intentos, error,
        )  # fmt: skip
        await self.app[keys.EVENTS].emit(
            EnvioFallido(envio_id=envio.id, canal=envio.canal, destino=envio.destino, error=error)
        )

    # --- the worker --------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim one batch and deliver it; how many rows it claimed."""
        token, claimed = await self.claim()
        by_channel: dict[str, list[Envio]] = {}
        for envio in claimed:
            by_channel.setdefault(envio.canal, []).append(envio)
        for canal, envios in by_channel.items():
            await self._deliver(token, self.channels[canal], envios)
        return len(claimed)

    async def _deliver(self, token: str, channel: OutboxChannel, envios: list[Envio]) -> None:
        """Hand ``envios`` to ``channel``, recording each outcome as it comes."""
        pending = {e.id: e for e in envios}
        failure: BaseException | None = None
        try:
            # aclosing: a cancelled batch closes the channel's generator here, in this task
            # (its connection with it), not later from the garbage collector.
            async with contextlib.aclosing(channel.deliver(self.app, envios)) as outcomes:
                async for outcome in outcomes:
                    if pending.pop(outcome.envio.id, None) is not None:
                        await self.record(token, outcome)
        except asyncio.CancelledError:
            raise  # shutting down: the leases expire and another run retries
        except Exception as exc:
            failure = exc
            if not isinstance(exc, DeliveryError):
                log.exception("the outbox channel %r failed", channel.name)
        for envio in pending.values():
            reason = failure or RuntimeError(f"the channel {channel.name!r} did not deliver it")
            await self.record(token, Outcome.failed(envio, reason))

    async def _loop(self) -> None:
        """Deliver while rows are due; then sleep until woken or the next poll."""
        poll = self.settings.outbox_poll_seconds
        failing = False
        while not self._stopping:
            self._wakeup.clear()
            try:
                busy = await self.run_once() > 0
                failing = False
            except asyncio.CancelledError:
                raise
            except (OperationalError, DBConnectionError) as exc:
                # The database away, or not migrated yet: one line per outage, not a
                # traceback every poll; tried again at each poll.
                if not failing:
                    log.warning(
                        "the outbox cannot reach core_envio (has `soporte migrate` been run?); "
                        "retrying every %s s: %s",
                        poll,
                        exc,
                    )
                failing, busy = True, False
            except Exception:
                log.exception("the outbox worker failed; retrying in %s s", poll)
                busy = False
            if busy:
                continue
            # asyncio.timeout, not wait_for: wait_for runs the wait in a task of its own, and
            # a cancellation landing as that task is woken could leave the worker waiting for
            # it forever (seen at shutdown on Python 3.11).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll):
                    await self._wakeup.wait()
            if self._wakeup.is_set() and not self._stopping:
                # Woken by a commit: wait a moment so that the rows committed meanwhile are
                # claimed with it — under load one claim then serves many rows instead of
                # one claim per row (the mails are not late by anything a person notices).
                await asyncio.sleep(WAKE_GATHER_SECONDS)

    async def _stop(self, task: asyncio.Task[None]) -> None:
        """End the worker, however deep in a batch it is.

        One ``cancel()`` is not always enough: a library under the worker (a driver, the SMTP
        client) may swallow a cancellation, and awaiting the task then waited forever at
        shutdown (seen once in CI on PostgreSQL). So the loop also checks a stop flag, and the
        task is cancelled again each second until it is done; leases left behind expire and
        another run retries those rows.
        """
        self._stopping = True
        while not task.done():
            task.cancel()
            self._wakeup.set()
            await asyncio.wait({task}, timeout=1)
        if not task.cancelled() and task.exception() is not None:
            log.error("the outbox worker ended with an error", exc_info=task.exception())

    async def lifetime(self, app: web.Application) -> AsyncIterator[None]:
        """The ``cleanup_ctx`` of the worker: it runs while the app does (the database is
        current in it, see ``core.app._with_database``)."""
        ctx = get_current_context()
        if ctx is not None:
            _RUNNING[ctx] = self
        self._stopping = False
        if not self.settings.outbox_worker:
            # Queuing only (SOPORTE_OUTBOX_WORKER=false): other processes deliver.
            try:
                yield
            finally:
                if ctx is not None:
                    _RUNNING.pop(ctx, None)
            return
        self._task = task = asyncio.create_task(self._loop(), name="soporte-outbox")
        try:
            yield
        finally:
            await self._stop(task)
            self._task = None
            if ctx is not None:
                _RUNNING.pop(ctx, None)


@functools.cache
def _all_columns() -> str:
    """Every column of ``core_envio``, as the claim's ``RETURNING`` lists them (once the ORM
    knows the model's fields)."""
    return ", ".join(f'"{c}"' for c in Envio._meta.db_fields)


async def _record_delivered(envio_id: int, token: str, estado: EstadoEnvio, now: datetime) -> None:
    """Mark row ``envio_id`` delivered while ``token``'s claim holds: one hand-written
    ``UPDATE`` (the worker runs it per mail; the ORM's cost more than the statement)."""
    conn: BaseDBAsyncClient = Envio._meta.db
    marks = placeholders(conn, 4)
    fecha = Envio._meta.fields_map["fecha_envio"].to_db_value(now, Envio)
    sql = (
        f'UPDATE "{Envio._meta.db_table}" SET "estado" = {marks[0]}, "fecha_envio" = {marks[1]}, '
        '"ultimo_error" = \'\', "reclamo" = NULL, "reclamado_hasta" = NULL '
        f'WHERE "id" = {marks[2]} AND "reclamo" = {marks[3]}'
    )
    await conn.execute_query(sql, [estado.value, fecha, envio_id, token])


#: The running outbox of each ORM context (one per application), so that ``queue_mail`` —
#: called with no application at hand — finds its app's mail domain and worker.
_RUNNING: weakref.WeakKeyDictionary[TortoiseContext, Outbox] = weakref.WeakKeyDictionary()


def running_outbox() -> Outbox | None:
    """The outbox of the application whose database is current, if it runs in this process."""
    ctx = get_current_context()
    return _RUNNING.get(ctx) if ctx is not None else None


#: The columns :func:`enqueue` writes, in its statement's order.
_COLUMNS = (
    "canal",
    "destino",
    "payload",
    "clave",
    "estado",
    "intentos",
    "proximo_intento",
    "ultimo_error",
    "message_id",
    "fecha_creacion",
)


async def enqueue(
    canal: str,
    destino: str,
    payload: dict[str, Any],
    *,
    key: str | None = None,
    message_id: str = "",
) -> str:
    """Write one delivery for channel ``canal`` in the current unit of work's transaction (its
    own transaction outside one), due now; the worker wakes after the commit. ``key``: an
    idempotency key — a second row with it is never written. Returns the stored row's
    ``message_id`` (the first row's, for a repeated key).

    One hand-written ``INSERT … ON CONFLICT DO NOTHING RETURNING``: it runs inside every reply
    that notifies by mail, and the ORM's save cost more than the statement; a duplicate key
    never aborts the caller's transaction (PostgreSQL would, on a caught unique violation).
    """
    uow = current_unit_of_work()
    conn = uow.connection if uow is not None and uow.connection is not None else Envio._meta.db
    now = datetime.now(UTC)
    fields_map = Envio._meta.fields_map
    values = [
        canal,
        destino[:500],
        fields_map["payload"].to_db_value(payload, Envio),
        key,
        EstadoEnvio.PENDIENTE.value,
        0,
        fields_map["proximo_intento"].to_db_value(now, Envio),
        "",
        message_id,
        fields_map["fecha_creacion"].to_db_value(now, Envio),
    ]
    marks = ", ".join(placeholders(conn, len(_COLUMNS)))
    names = ", ".join(f'"{c}"' for c in _COLUMNS)
    sql = (
        f'INSERT INTO "{Envio._meta.db_table}" ({names}) VALUES ({marks}) '
        'ON CONFLICT ("clave") DO NOTHING RETURNING "message_id"'
    )
    rows = await conn.execute_query_dict(sql, values)
    if not rows:  # the key was already queued: its row's Message-ID
        stored = await Envio.filter(clave=key).using_db(conn).values_list("message_id", flat=True)
        message_id = str(stored[0]) if stored else message_id
    if uow is not None:
        uow.on_commit(wake)
    else:
        wake()
    return message_id


def wake() -> None:
    """Wake the current application's worker (a row was just committed); nothing without one."""
    outbox = running_outbox()
    if outbox is not None:
        outbox.wake()
