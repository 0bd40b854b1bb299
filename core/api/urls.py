"""Absolute links: the public base URL of a request.

A module of its own (it used to live in :mod:`core.storage`) so that pagination can build its
``next``/``previous`` links without importing storage, which imports :mod:`core.api` back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.keys import SETTINGS

if TYPE_CHECKING:
    from aiohttp import web


def base_url(request: web.Request) -> str:
    """The base of absolute links: ``SOPORTE_PUBLIC_URL``, or the request's own origin."""
    configured = request.app[SETTINGS].public_url
    return configured or f"{request.scheme}://{request.host}"
