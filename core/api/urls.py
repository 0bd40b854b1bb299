"""Absolute links: the public base URL of a request.

A module of its own (it used to live in :mod:`core.storage`) so that pagination can build its
``next``/``previous`` links without importing storage, which imports :mod:`core.api` back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.api.errors import BadRequest
from core.api.inbound import allowed_host, normalise_hosts
from core.keys import SETTINGS

if TYPE_CHECKING:
    from aiohttp import web


def base_url(request: web.Request) -> str:
    """The base of absolute links: ``SOPORTE_PUBLIC_URL``, or the request's own origin when its
    ``Host`` is allowed (any is, with ``SOPORTE_ALLOWED_HOSTS`` empty).

    The inbound middleware refuses an unknown ``Host`` first; checked again here so that no
    link is ever built from one, whatever path the request took.
    """
    settings = request.app[SETTINGS]
    if settings.public_url:
        return settings.public_url
    if settings.allowed_hosts and not allowed_host(
        request.host, normalise_hosts(settings.allowed_hosts)
    ):
        raise BadRequest("Host no permitido; configure SOPORTE_ALLOWED_HOSTS.")
    return f"{request.scheme}://{request.host}"
