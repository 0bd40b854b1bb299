"""Fixtures of the ``casos`` tests."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest

from core import keys
from core.db import activate
from core.events import Event, Listener
from core.testing import SoporteClient

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

    from aiohttp import web


@pytest.fixture
def app_con(
    make_app: Callable[..., web.Application], aiohttp_client: Callable[..., Any]
) -> Callable[..., Any]:
    """Start an app with chosen plugins and ad-hoc plugin objects; yields a SoporteClient.

    Use as ``async with app_con(["casos"], extra=[obj]) as soporte: ...``.
    """

    @contextlib.asynccontextmanager
    async def start(plugins: list[str], extra: Sequence[Any] = ()) -> AsyncIterator[SoporteClient]:
        app = make_app(plugins=plugins, extra=extra)
        client = await aiohttp_client(app)
        captured = SoporteClient(client, app)
        app[keys.EVENTS].subscribe(Listener(Event, captured.events.append))
        with activate(app[keys.DB].ctx):
            yield captured

    return start
