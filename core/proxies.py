"""The client's address: the peer, or what a trusted reverse proxy says in ``X-Forwarded-For``.

``SOPORTE_TRUSTED_PROXIES`` lists the proxies' addresses or networks. Only a request whose
*peer* is one of them has its forwarding headers read, by aiohttp-remotes'
``XForwardedFiltered`` (the right-most address of ``X-Forwarded-For`` that is not itself a
trusted proxy becomes ``request.remote``; ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` set the
scheme and host the same way). From any other peer the headers are ignored, so a client cannot
choose the address its rate limits are counted under.
"""

from __future__ import annotations

from ipaddress import ip_address, ip_network
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp_remotes import XForwardedFiltered

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aiohttp.typedefs import Handler, Middleware

#: The address given to limits when the peer's is unknown (a closed transport, a unix socket).
UNKNOWN = "desconocido"


def client_address(request: web.Request) -> str:
    """The client's address — the one function every rate limit and log asks."""
    return request.remote or UNKNOWN


def trusted_proxies_middleware(trusted: Sequence[str]) -> Middleware:
    """The middleware that believes ``X-Forwarded-*`` from ``trusted`` peers only."""
    networks = [ip_network(item, strict=False) for item in trusted]
    forwarded = XForwardedFiltered(set(networks))

    def is_trusted(peer: str | None) -> bool:
        try:
            address = ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in networks)

    @web.middleware
    async def trusted_proxies(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Read the forwarding headers when the peer is a trusted proxy; else leave them."""
        if not is_trusted(request.remote):
            return await handler(request)
        return await forwarded.middleware(request, handler)

    return trusted_proxies
