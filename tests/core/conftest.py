"""Fixtures of the core's tests: apps with no built-in plugin, plus the ad-hoc ``pruebas`` plugin.

The core must work without any built-in plugin, and these tests must not depend on the plugins
being written alongside it, so most tests start an app with ``plugins=[]`` and the ad-hoc
:class:`tests.core.pruebas.Pruebas` plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.core.pruebas import Pruebas

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from core.testing import SoporteClient


@pytest.fixture
def arrancar(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> Callable[..., Awaitable[SoporteClient]]:
    """The kit's ``start_app`` with this package's defaults: ``await arrancar(extra=[...],
    plugins=[...], **settings)`` — no built-in plugin and the ``pruebas`` plugin."""

    def start(
        *, plugins: Sequence[str] | None = (), extra: Sequence[Any] | None = None, **settings: Any
    ) -> Awaitable[SoporteClient]:
        return start_app(plugins, [Pruebas()] if extra is None else extra, **settings)

    return start


@pytest.fixture
async def api(arrancar: Callable[..., Awaitable[SoporteClient]]) -> SoporteClient:
    """An app with no built-in plugin and the ad-hoc ``pruebas`` plugin."""
    return await arrancar()
