"""Fixtures of the reliability suite: apps with every installed plugin and chosen settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from core import keys
from core.db import _current_context
from core.events import Event, Listener
from core.testing import SoporteClient

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import web


@pytest.fixture
def arrancar(
    make_app: Callable[..., web.Application], aiohttp_client: Callable[..., Any]
) -> Callable[..., Awaitable[SoporteClient]]:
    """Start an app with every installed plugin: ``await arrancar(**settings)``; its database
    is made current in the calling test, as the ``soporte`` fixture does."""

    async def start(**overrides: Any) -> SoporteClient:
        app = make_app(plugins=None, **overrides)
        client = await aiohttp_client(app)
        captured = SoporteClient(client, app)
        app[keys.EVENTS].subscribe(Listener(Event, captured.events.append))
        _current_context.set(app[keys.DB].ctx)
        return captured

    return start
