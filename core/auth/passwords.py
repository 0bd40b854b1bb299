"""Password and token hashing: argon2 for passwords, SHA-256 for random tokens.

argon2 is slow on purpose (tens of milliseconds of CPU), so on the event loop a flood of logins
would stall every other request. :class:`PasswordHashing` runs it on a small thread pool (argon2's
C code releases the GIL) with a cap on how many hashes may wait: past it, a 429 at once instead
of an unbounded queue.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.api.errors import TooManyRequests
from core.i18n import gettext as _

T = TypeVar("T")

_hasher = PasswordHasher()


#: How an unusable password hash begins (a user created without a password: by e-mail, say).
#: No argon2 hash begins so, and none verifies against any password.
UNUSABLE_PREFIX = "!"


def unusable_password_hash() -> str:
    """The stored hash of "no password": nothing logs in with it until the user sets one (a
    password reset, which proves they own the address)."""
    return UNUSABLE_PREFIX + secrets.token_hex(16)


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both failures cost the same time.

    Computed on first use (not at import: importing the core should not cost a hash)."""
    return _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    """A salted argon2id hash of ``password`` (blocking: see :class:`PasswordHashing`)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; ``password_hash=None`` costs the same time, then fails.

    An unusable hash (:func:`unusable_password_hash`) costs the same time too, then fails: a
    login does not tell which accounts have no password.

    Blocking: on the event loop use :meth:`PasswordHashing.verify`."""
    if password_hash is not None and password_hash.startswith(UNUSABLE_PREFIX):
        password_hash = None
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


class PasswordHashing:
    """argon2 off the event loop: ``concurrency`` threads, at most ``queue`` hashes waiting."""

    def __init__(self, concurrency: int | None = None, queue: int = 32) -> None:
        self.concurrency = concurrency or os.cpu_count() or 1
        self.queue = queue
        self._executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="soporte-hash")
        # Counted until the thread finishes (not until the awaiting request gives up), so a
        # client that disconnects mid-hash still holds its slot while the CPU works for it.
        self._lock = threading.Lock()
        self._pending = 0

    @property
    def pending(self) -> int:
        """Hashes running or waiting for a thread."""
        return self._pending

    def _release(self, _: Future[Any]) -> None:
        with self._lock:
            self._pending -= 1

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        with self._lock:
            full = self._pending >= self.concurrency + self.queue
            if not full:
                self._pending += 1
        if full:
            raise TooManyRequests(
                _(
                    "Demasiadas contraseñas comprobándose a la vez en el servidor (máximo "
                    "{n}); reintente en un momento."
                ).format(n=self.concurrency + self.queue),
                retry_after=1,
            )
        try:
            future = self._executor.submit(fn, *args)
        except BaseException:
            with self._lock:
                self._pending -= 1
            raise
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    async def hash(self, password: str) -> str:
        """:func:`hash_password` on the pool."""
        return await self._run(hash_password, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """:func:`verify_password` on the pool (the dummy hash for ``None``, as there)."""
        return await self._run(verify_password, password_hash, password)

    def close(self) -> None:
        """Stop the threads; hashes not started yet are dropped."""
        self._executor.shutdown(wait=False, cancel_futures=True)


@cache
def default_hashing() -> PasswordHashing:
    """The pool of code that runs outside an app (``soporte createuser``, ``soporte demo``)."""
    return PasswordHashing()


def new_token() -> str:
    """A random opaque API token (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token. Tokens are random, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()
