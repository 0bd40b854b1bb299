"""Rate limits: one service per app on the ``limits`` library, shared by every process when
``SOPORTE_REDIS_URL`` is set.

Callers name a limit and what it counts, e.g. ``await hit(request.app, "signup", address)``;
over the limit that is a :class:`~core.api.errors.TooManyRequests` (429 with ``Retry-After``
from the window's reset, a Spanish message naming the limit). Each core limit is a setting in
the library's notation (``"10/hour"``, ``"20 per 10 seconds"``), or ``off`` to disable it;
plugins may pass their own ``rate=`` string under a name of their own.

The moving-window strategy is used: a hit is recorded only when it fits, atomically (a Lua
script on Redis, a lock in memory), so N parallel requests count N and the (N+1)th is refused.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from core.api.errors import TooManyRequests
from core.i18n import N_
from core.i18n import gettext as _
from core.keys import RATE_LIMITS, SETTINGS

if TYPE_CHECKING:
    from aiohttp import web

    from core.settings import Settings

log = logging.getLogger("soporte.ratelimit")

#: The value of a rate setting that disables that limit.
OFF = "off"

#: The core's named limits: name → (the setting holding its rate, what it counts, in Spanish).
LIMITS: dict[str, tuple[str, str]] = {
    "login_address": (
        "rate_login_address",
        N_("intentos de inicio de sesión desde esta dirección"),
    ),
    "login_account": ("rate_login_account", N_("intentos de inicio de sesión para esta cuenta")),
    "signup": ("rate_signup", N_("registros desde esta dirección")),
    "tickets": ("rate_tickets", N_("tickets creados")),
    "cases": ("rate_cases", N_("casos creados")),
    "uploads": ("rate_uploads", N_("envíos de archivos")),
    "chat_messages": ("rate_chat_messages", N_("mensajes en este chat")),
    "chat_typing": ("rate_chat_typing", N_("avisos de escritura en este chat")),
    "socket_opens": ("rate_socket_opens", N_("conexiones de chat abiertas")),
    "socket_refusals": ("rate_socket_refusals", N_("conexiones rechazadas desde esta dirección")),
    "password_reset_address": (
        "rate_password_reset_address",
        N_("solicitudes de restablecimiento de contraseña desde esta dirección"),
    ),
    "password_reset_email": (
        "rate_password_reset_email",
        N_("solicitudes de restablecimiento de contraseña para este correo"),
    ),
    "email_verification": ("rate_email_verification", N_("correos de verificación solicitados")),
}

_UNITS = {
    "second": (N_("segundo"), N_("segundos")),
    "minute": (N_("minuto"), N_("minutos")),
    "hour": (N_("hora"), N_("horas")),
    "day": (N_("día"), N_("días")),
    "month": (N_("mes"), N_("meses")),
    "year": (N_("año"), N_("años")),
}


@lru_cache(maxsize=128)
def parse_rate(value: str | None) -> RateLimitItem | None:
    """A rate in ``limits``' notation as an item, ``None`` for ``off`` (or empty); a
    :class:`ValueError` naming the accepted notation for anything else."""
    if value is None or value.strip().lower() in (OFF, ""):
        return None
    try:
        return parse(value)
    except ValueError as exc:
        raise ValueError(
            f"{value!r} is not a rate: use limits' notation, e.g. '10/hour', "
            f"'20 per 10 seconds', or '{OFF}' to disable"
        ) from exc


def per_seconds(amount: int, seconds: int) -> RateLimitItem:
    """``amount`` per ``seconds`` (for limits kept as two numbers, like the login one)."""
    return RateLimitItemPerSecond(amount, seconds)


def describe(item: RateLimitItem) -> str:
    """The limit in the current language (``máximo 10 por hora``, ``máximo 20 cada 10
    segundos``)."""
    singular, plural = _UNITS.get(item.GRANULARITY.name, (item.GRANULARITY.name,) * 2)
    if item.multiples == 1:
        return _("máximo {n} por {unidad}").format(n=item.amount, unidad=_(singular))
    return _("máximo {n} cada {m} {unidades}").format(
        n=item.amount, m=item.multiples, unidades=_(plural)
    )


@dataclass
class RateLimits:
    """The app's rate-limit service: one storage, one moving-window limiter."""

    storage: Storage
    items: dict[str, RateLimitItem | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.limiter = MovingWindowRateLimiter(self.storage)

    def item(self, name: str, rate: str | None = None) -> RateLimitItem | None:
        """The limit ``name`` (a core one, or ``rate`` given by a plugin); ``None`` if off."""
        if rate is not None:
            return parse_rate(rate)
        if name not in self.items:
            raise KeyError(f"unknown rate limit {name!r}: pass rate= for a plugin's own limit")
        return self.items[name]

    async def allow(self, name: str, *identifiers: str | int, rate: str | None = None) -> bool:
        """Record one hit of ``name`` for ``identifiers`` if it fits; whether it did."""
        return await self._allow(self.item(name, rate), name, identifiers)

    async def _allow(
        self, item: RateLimitItem | None, name: str, identifiers: tuple[str | int, ...]
    ) -> bool:
        """One hit of ``item``, if it fits (always, when the limit is off).

        A storage that cannot be reached (Redis down) lets the hit through, with a warning:
        the limits protect capacity, and refusing everybody would be the outage they prevent.
        """
        if item is None:
            return True
        try:
            return await self.limiter.hit(item, name, *map(str, identifiers))
        except StorageError as exc:
            log.warning("rate limit %s not checked (storage unavailable): %s", name, exc)
            return True

    async def retry_after(self, item: RateLimitItem, name: str, *identifiers: str | int) -> int:
        """Seconds until the window of ``name`` for ``identifiers`` has room again."""
        try:
            stats = await self.limiter.get_window_stats(item, name, *map(str, identifiers))
        except StorageError:
            return 1
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def hit(
        self, name: str, *identifiers: str | int, rate: str | None = None, que: str | None = None
    ) -> None:
        """Record one hit, or raise :class:`TooManyRequests` naming the limit."""
        item = self.item(name, rate)
        if await self._allow(item, name, identifiers):
            return
        assert item is not None  # an absent limit always allows
        espera = await self.retry_after(item, name, *identifiers)
        que = que or LIMITS.get(name, ("", name))[1]
        raise TooManyRequests(
            _("Demasiados {que}: {limite}. Reintente en {espera} s.").format(
                que=_(que), limite=describe(item), espera=espera
            ),
            retry_after=espera,
        )

    async def clear(self, name: str, *identifiers: str | int) -> None:
        """Forget the hits of ``name`` for ``identifiers`` (a successful login)."""
        item = self.item(name)
        if item is None:
            return
        try:
            await self.limiter.clear(item, name, *map(str, identifiers))
        except StorageError as exc:
            log.warning("rate limit %s not cleared (storage unavailable): %s", name, exc)

    async def close(self) -> None:
        """Let the storage go: the memory storage's expiry task, the Redis connections."""
        if isinstance(self.storage, MemoryStorage):
            timer = self.storage.timer
            if timer is not None and not timer.done():
                timer.cancel()
        elif isinstance(self.storage, RedisStorage):
            client = getattr(self.storage.bridge, "storage", None)
            if client is not None:
                await client.aclose()


def build_rate_limits(settings: Settings) -> RateLimits:
    """The service for ``settings``: memory storage, or Redis (the ``redis`` package the
    channel layer uses) with keys under ``settings.redis_prefix``."""
    storage: Storage
    if settings.redis_url:
        url = settings.redis_url
        storage = RedisStorage(
            url if url.startswith("async+") else f"async+{url}",
            implementation="redispy",
            key_prefix=f"{settings.redis_prefix}:limits",
            wrap_exceptions=True,
        )
    else:
        storage = MemoryStorage()
    items = {name: parse_rate(getattr(settings, setting)) for name, (setting, _) in LIMITS.items()}
    items["login"] = per_seconds(settings.login_max_failures, settings.login_window_seconds)
    return RateLimits(storage, items)


async def rate_limits_ctx(app: web.Application) -> AsyncIterator[None]:
    """The service's lifetime (``cleanup_ctx``): built at start-up, closed at clean-up."""
    service = build_rate_limits(app[SETTINGS])
    app[RATE_LIMITS] = service
    try:
        yield
    finally:
        await service.close()


async def hit(
    app: web.Application,
    name: str,
    *identifiers: str | int,
    rate: str | None = None,
    que: str | None = None,
) -> None:
    """Count one request against limit ``name`` for ``identifiers``; over it, a 429.

    ``name`` is one of :data:`LIMITS` (its rate is the core's setting), or a plugin's own name
    with its ``rate`` in limits' notation and ``que`` saying in Spanish what is counted
    (``"informes generados"``). Identifiers say whose count it is: a user id, an address.
    """
    await app[RATE_LIMITS].hit(name, *identifiers, rate=rate, que=que)


async def allow(
    app: web.Application, name: str, *identifiers: str | int, rate: str | None = None
) -> bool:
    """Like :func:`hit`, but answers whether the hit fitted instead of raising (for
    WebSocket frames, where a refusal is an error frame or silence, not a 429)."""
    return await app[RATE_LIMITS].allow(name, *identifiers, rate=rate)


def describe_limit(app: web.Application, name: str) -> str:
    """Limit ``name`` in the current language (``máximo 20 cada 10 segundos``), ``sin
    límite`` if off."""
    item = app[RATE_LIMITS].item(name)
    return describe(item) if item is not None else _("sin límite")
