"""Fixtures of the ``escalamiento`` tests (helpers in :mod:`tests.plugins.escalamiento.ayudas`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from core.auth.models import Rol
from tests.plugins.escalamiento.ayudas import Kit

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from core.testing import SoporteClient


async def kit_de(soporte: SoporteClient) -> Kit:
    """The :class:`Kit` of a started app: its admin, agent and customer."""
    return Kit(
        soporte,
        await soporte.usuario("admin", Rol.ADMIN),
        await soporte.usuario("agente", Rol.AGENTE),
        await soporte.usuario("cliente", Rol.CLIENTE),
    )


@pytest.fixture
async def kit(soporte: SoporteClient) -> Kit:
    """The :class:`Kit` of the test's app (mark the test with the plugins to enable)."""
    return await kit_de(soporte)


@pytest.fixture
def arrancar(start_app: Callable[..., Awaitable[SoporteClient]]) -> Callable[..., Awaitable[Kit]]:
    """The kit's ``start_app`` with ``tickets``, ``escalamiento``, ad-hoc plugins and settings
    overrides; returns the app's :class:`Kit`."""

    async def start(extra: Sequence[Any] = (), **settings: Any) -> Kit:
        return await kit_de(await start_app(["tickets", "escalamiento"], extra, **settings))

    return start
