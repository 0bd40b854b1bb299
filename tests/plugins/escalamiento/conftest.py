"""Fixtures of the ``escalamiento`` tests (helpers in :mod:`tests.plugins.escalamiento.ayudas`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from core import keys
from core.auth.models import Rol
from core.db import _current_context
from core.events import Event, Listener
from core.testing import SoporteClient
from tests.plugins.escalamiento.ayudas import Kit

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from aiohttp import web


@pytest.fixture
async def kit(soporte: SoporteClient) -> Kit:
    """The :class:`Kit` of the test's app (mark the test with the plugins to enable)."""
    return Kit(
        soporte,
        await soporte.usuario("admin", Rol.ADMIN),
        await soporte.usuario("agente", Rol.AGENTE),
        await soporte.usuario("cliente", Rol.CLIENTE),
    )


@pytest.fixture
def arrancar(
    make_app: Callable[..., web.Application], aiohttp_client: Callable[..., Any]
) -> Callable[..., Awaitable[Kit]]:
    """Start an app with ``tickets``, ``escalamiento``, ad-hoc plugins and settings overrides."""

    async def start(extra: Sequence[Any] = (), **overrides: Any) -> Kit:
        app = make_app(plugins=["tickets", "escalamiento"], extra=extra, **overrides)
        client = await aiohttp_client(app)
        soporte = SoporteClient(client, app)
        app[keys.EVENTS].subscribe(Listener(Event, soporte.events.append))
        # The test's own task uses this app's database from here on.
        _current_context.set(app[keys.DB].ctx)
        return Kit(
            soporte,
            await soporte.usuario("admin", Rol.ADMIN),
            await soporte.usuario("agente", Rol.AGENTE),
            await soporte.usuario("cliente", Rol.CLIENTE),
        )

    return start
