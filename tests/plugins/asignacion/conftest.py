"""Fixtures of the ``asignacion`` tests: an app with tickets, notifications and assignment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from core.testing import SoporteClient


@pytest.fixture
def arrancar(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> Callable[..., Awaitable[SoporteClient]]:
    """``await arrancar(policy="round_robin", extra=[...], **asignacion_settings)``: an app with
    ``tickets``, ``notificaciones`` (its socket is a presence) and ``asignacion``; the sweep is
    off unless ``sweep_seconds`` is given (tests call ``barrer()`` themselves)."""

    async def start(policy: str = "round_robin", extra: Sequence[Any] = (), **propios: Any) -> Any:
        propios.setdefault("sweep_seconds", 0)
        return await start_app(
            ["tickets", "notificaciones", "asignacion"],
            extra,
            plugin_settings={"asignacion": {"policy": policy, **propios}},
            rate_tickets="10000/minute",
        )

    return start
