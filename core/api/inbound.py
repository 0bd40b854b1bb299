"""Checks on a request's headers before its body or its route: the ``Host`` it names and the
encoding of its body. Both are header comparisons (no I/O):

- with ``SOPORTE_ALLOWED_HOSTS`` set, a request whose ``Host`` is not listed is a 400 — absolute
  links (attachments, pagination) are built from that header when ``SOPORTE_PUBLIC_URL`` is not
  set, so an unchecked ``Host`` would let a client choose where they point. The middleware is
  installed only when the list is set: with any host allowed, requests pay nothing;
- a request body with a ``Content-Encoding`` other than ``identity`` is a 415 before a byte of it
  is read (:func:`refuse_encoded_body`, called where bodies are read): aiohttp would inflate a
  ``gzip`` body as it arrives (a zip bomb: a few hundred KiB on the wire, hundreds of MiB in
  memory), and no limit of ours counts inflated bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from core.api.errors import BadRequest, UnsupportedMediaType
from core.i18n import gettext as _

if TYPE_CHECKING:
    from collections.abc import Iterable

    from aiohttp.typedefs import Handler, Middleware


def host_name(host: str) -> str:
    """``Host`` without its port, lower-cased: ``Soporte.Example.com:443`` → ``soporte.example.com``
    (an IPv6 literal keeps its brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def allowed_host(host: str | None, allowed: frozenset[str]) -> bool:
    """Whether ``host`` (a ``Host`` header) names this server; any does when ``allowed`` is
    empty. Ports are ignored: the list names hosts, not listeners."""
    if not allowed:
        return True
    return bool(host) and host_name(host or "") in allowed


def normalise_hosts(hosts: Iterable[str]) -> frozenset[str]:
    """The allowed-hosts setting as :func:`allowed_host` compares it."""
    return frozenset(host_name(h) for h in hosts if h.strip())


def refuse_encoded_body(request: web.Request) -> None:
    """415 for a request whose body has a ``Content-Encoding`` other than ``identity``."""
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding and encoding != "identity":
        raise UnsupportedMediaType(
            _("Content-Encoding «{valor}» no soportado: envíe el cuerpo sin comprimir.").format(
                valor=encoding[:40]
            )
        )


def host_middleware(allowed_hosts: Iterable[str]) -> Middleware:
    """The middleware refusing a request whose ``Host`` is not in ``allowed_hosts`` (400)."""
    allowed = normalise_hosts(allowed_hosts)

    @web.middleware
    async def check_host(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not allowed_host(request.headers.get("Host"), allowed):
            raise BadRequest("Host no permitido; configure SOPORTE_ALLOWED_HOSTS.")
        return await handler(request)

    return check_host
