"""Runtime types of the plugin contract, in a leaf module.

Hookspecs, the plugin host and plugins all need these names at run time; keeping them here,
importing nothing else of ``core``, means that importing any one of those modules never drags in
the app factory (and never closes an import cycle through it). The old homes re-export them:
``core.plugins.PluginError``, ``core.plugins.await_me_maybe``, ``core.app.BackgroundContext``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeAlias, TypeVar

from aiohttp import web

T = TypeVar("T")

#: A ``cleanup_ctx`` callable: code before ``yield`` runs at start-up, after it at clean-up.
BackgroundContext: TypeAlias = Callable[[web.Application], AsyncIterator[None]]


class PluginError(Exception):
    """A plugin cannot be loaded or its requirements are not met. The message names it."""


async def await_me_maybe(value: T | Awaitable[T]) -> T:
    """Await ``value`` if it is awaitable, so hook implementations may be plain or async."""
    if inspect.isawaitable(value):
        return await value
    return value


__all__ = ["BackgroundContext", "PluginError", "await_me_maybe"]
