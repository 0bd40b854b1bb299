"""Fixtures of the core's tests: apps with no built-in plugin, plus the ad-hoc ``pruebas`` plugin.

The core must work without any built-in plugin, and these tests must not depend on the plugins
being written alongside it, so most tests start an app with ``plugins=[]`` and the ad-hoc
:class:`tests.core.pruebas.Pruebas` plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from core import keys
from core.db import _current_context
from core.events import Event, Listener
from core.testing import SoporteClient
from tests.core.pruebas import Pruebas

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from aiohttp import web


@pytest.fixture
def arrancar(
    make_app: Callable[..., web.Application], aiohttp_client: Callable[..., Any]
) -> Callable[..., Awaitable[SoporteClient]]:
    """Start an app: ``await arrancar(extra=[...], plugins=[...], **settings)``.

    Defaults: no built-in plugin and the ``pruebas`` plugin. The app's database context is made
    current in the calling test, as the ``soporte`` fixture does.
    """

    async def start(
        *,
        plugins: Sequence[str] | None = (),
        extra: Sequence[Any] | None = None,
        **overrides: Any,
    ) -> SoporteClient:
        app = make_app(
            plugins=None if plugins is None else list(plugins),
            extra=[Pruebas()] if extra is None else list(extra),
            **overrides,
        )
        client = await aiohttp_client(app)
        captured = SoporteClient(client, app)
        app[keys.EVENTS].subscribe(Listener(Event, captured.events.append))
        _current_context.set(app[keys.DB].ctx)
        return captured

    return start


@pytest.fixture
async def api(arrancar: Callable[..., Awaitable[SoporteClient]]) -> SoporteClient:
    """An app with no built-in plugin and the ad-hoc ``pruebas`` plugin."""
    return await arrancar()
