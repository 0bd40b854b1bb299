"""The SSRF guard: which addresses a webhook may reach, checked on save and at delivery.

An admin's URL is still input: a subscription to ``http://169.254.169.254/`` (cloud metadata)
or ``http://localhost:6379/`` would make the server call what only it can reach. So only
http(s) is accepted, and every address the host resolves to must be public — checked on save
(an early, helpful 400) and again at delivery, by the resolver the HTTP client connects
through, so that a name re-pointed after the check (DNS rebinding) is refused as well.
``SOPORTE_WEBHOOKS_PERMITIR_PRIVADAS`` lifts the address rule (tests, closed networks).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

__all__ = ["DestinoNoPermitido", "ResolvedorSeguro", "comprobar_url", "direccion_permitida"]


class DestinoNoPermitido(Exception):
    """The URL's scheme or one of its addresses is refused (message in Spanish, for users)."""


def direccion_permitida(direccion: str) -> bool:
    """Whether ``direccion`` (an IP address) is a public unicast address."""
    try:
        ip = ipaddress.ip_address(direccion.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _esquema(url: str) -> URL:
    parsed = URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise DestinoNoPermitido("La URL debe ser http o https, con un host.")
    if parsed.user or parsed.password:
        raise DestinoNoPermitido("La URL no puede llevar usuario ni contraseña.")
    return parsed


async def comprobar_url(url: str, permitir_privadas: bool, *, resolver: bool = True) -> None:
    """Refuse ``url`` unless http(s) and, without ``permitir_privadas``, public: an address
    literal is checked as it is, a name by its addresses (``resolver``). A name that does not
    resolve now passes: the check at delivery (:class:`ResolvedorSeguro`) is the one that holds.
    """
    host = _esquema(url).host or ""
    if permitir_privadas:
        return
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        if not direccion_permitida(host.strip("[]")):
            raise DestinoNoPermitido(f"La dirección {host} no está permitida (red privada).")
        return
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        raise DestinoNoPermitido(f"El host {host} no está permitido (red privada).")
    if not resolver:
        return
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), timeout=5
        )
    except (OSError, TimeoutError):
        return
    for info in infos:
        direccion = str(info[4][0])
        if not direccion_permitida(direccion):
            raise DestinoNoPermitido(
                f"El host {host} resuelve a {direccion}, que no está permitida (red privada)."
            )


class ResolvedorSeguro(AbstractResolver):
    """aiohttp's resolver, refusing any answer with a non-public address (the client then
    connects only to addresses that passed; literals are checked by :func:`comprobar_url`)."""

    def __init__(self) -> None:
        self._base = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve ``host``; :class:`DestinoNoPermitido` if any address is not public."""
        resultados = await self._base.resolve(host, port, family)
        for r in resultados:
            if not direccion_permitida(str(r["host"])):
                raise DestinoNoPermitido(
                    f"El host {host} resuelve a {r['host']}, que no está permitida (red privada)."
                )
        return resultados

    async def close(self) -> None:
        """Close the wrapped resolver."""
        await self._base.close()
