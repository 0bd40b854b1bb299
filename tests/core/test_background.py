"""core.background: a job stops when asked, a stuck one is cancelled, a deaf one too."""

from __future__ import annotations

import asyncio
import logging

import pytest

from core.background import running, stop_task


async def test_a_job_that_watches_its_event_finishes_its_pass() -> None:
    done: list[str] = []

    async def job(stop: asyncio.Event) -> None:
        await stop.wait()
        await asyncio.sleep(0.01)  # the pass in progress ends its work
        done.append("clean")

    async with running(job, name="soporte-test-job", grace=5) as task:
        await asyncio.sleep(0)
    assert task.done() and not task.cancelled()
    assert done == ["clean"]


async def test_a_stuck_job_is_cancelled_after_the_grace(caplog: pytest.LogCaptureFixture) -> None:
    async def job(stop: asyncio.Event) -> None:
        await asyncio.sleep(3600)

    with caplog.at_level(logging.WARNING, logger="core.background"):
        async with running(job, name="soporte-stuck", grace=0.05) as task:
            pass
    assert task.cancelled()
    assert "soporte-stuck still running at shutdown; cancelled" in caplog.text


async def test_a_task_that_swallows_a_cancellation_is_cancelled_again() -> None:
    swallowed = 0

    async def deaf() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                swallowed += 1
                if swallowed >= 2:
                    raise

    task = asyncio.create_task(deaf(), name="soporte-deaf")
    await asyncio.sleep(0)
    await asyncio.wait_for(stop_task(task), timeout=5)
    assert task.cancelled() and swallowed == 2


async def test_an_error_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(broken(), name="soporte-broken")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="core.background"):
        await stop_task(task)
    assert "soporte-broken ended with an error" in caplog.text
