"""Background tasks that live as long as the app: start one, and stop it for sure at shutdown.

Every periodic job of soporte (the orphan-upload sweep, the escalation scheduler, the sessions'
check; plugins' own) is a task started in a ``cleanup_ctx`` and stopped in its clean-up. The
stop is the delicate part, written once here: ask the job to end (an :class:`asyncio.Event`
it watches) so that a pass in progress finishes its transaction, wait a grace period, then
cancel — repeatedly, because a library under the job (a driver, a network client) may
swallow one cancellation, and awaiting such a task would hang shutdown forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

log = logging.getLogger(__name__)

#: Seconds between repeated cancellations of a task that has not ended yet.
CANCEL_EVERY = 1.0


async def stop_task(task: asyncio.Task[None], *, grace: float = 0.0) -> None:
    """End ``task``: wait up to ``grace`` seconds for it to finish by itself, then cancel it
    every :data:`CANCEL_EVERY` seconds until it is done. An error it ended with is logged,
    never raised (shutdown goes on with the other clean-ups)."""
    if grace > 0 and not task.done():
        await asyncio.wait({task}, timeout=grace)
        if not task.done():
            log.warning("%s still running at shutdown; cancelled", task.get_name())
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=CANCEL_EVERY)
    if not task.cancelled() and task.exception() is not None:
        log.error("%s ended with an error", task.get_name(), exc_info=task.exception())


@contextlib.asynccontextmanager
async def running(
    job: Callable[[asyncio.Event], Awaitable[None]], *, name: str, grace: float = 0.0
) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``job(stop)`` as a task named ``name`` for the body of the ``async with``.

    On exit ``stop`` is set and the task is ended by :func:`stop_task` with ``grace``. Started
    inside a ``cleanup_ctx``, the task inherits the context in which the database is current.
    """
    stop = asyncio.Event()

    async def run() -> None:
        await job(stop)

    task = asyncio.create_task(run(), name=name)
    try:
        yield task
    finally:
        stop.set()
        await stop_task(task, grace=grace)
