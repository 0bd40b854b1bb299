"""Sessions of WebSockets: a socket authenticated with a token ends when its session does.

A WebSocket plugin authenticates each socket with one call, :meth:`SessionRegistry.authenticate`
(``?token=``; a bad token closes the socket with 4401), and forgets it when its handler ends
(:meth:`SessionRegistry.detach`). The registry knows each socket's user, token (its hash) and
expiry, and closes the socket with :data:`CLOSE_UNAUTHENTICATED` (4401) when:

- its token is revoked (logout: only the sockets of that token);
- its token expires (one timer per socket, at ``expira``);
- its user's password changes or the user is deactivated (every socket of the user).

In every process: :func:`end_tokens` and :func:`end_user` send a control-plane message through
the channel layer (:meth:`core.realtime.ChannelLayer.send_control`), which every process's
registry acts on. Where no message reaches — a command run without Redis, a row deleted by hand,
Redis away — each process checks its sockets' tokens every ``session_check_seconds`` with one
query, and closes those whose token is gone, expired or whose user is inactive. Nothing is
checked per frame.

Presence: the registry also knows who has a socket open in this process. A plugin that needs it
(``asignacion``: assign only to agents present) calls :meth:`SessionRegistry.on_presence` at
start-up — its callback hears a user's first socket here open and their last one close — and
reads :meth:`SessionRegistry.present` (user id → role) for a periodic heartbeat of its own;
across processes it keeps its own record (a row per user, refreshed by each process).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from core.auth.guards import session_from_token
from core.auth.models import Token
from core.auth.passwords import hash_token
from core.background import stop_task
from core.i18n import set_locale
from core.keys import SETTINGS
from core.proxies import client_address
from core.ratelimit import allow

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from aiohttp import web

    from core.auth.models import Usuario
    from core.realtime import ChannelLayer

log = logging.getLogger("soporte.sessions")

#: The close code of a socket whose token is bad or whose session ended (the chat's
#: ``CIERRE_NO_AUTENTICADO``): browsers can read close codes, not HTTP statuses.
CLOSE_UNAUTHENTICATED = 4401
#: The close reason of a socket refused at its opening (bad, unknown or expired token).
REASON_BAD_TOKEN = b"token invalido o caducado"
#: The close reason of an open socket whose session ended (logout, expiry, password, user).
REASON_ENDED = b"sesion terminada"
#: The control-plane message type (see :meth:`core.realtime.ChannelLayer.send_control`).
SESSION_END = "session_end"
#: Most token hashes in one query of the periodic check (SQLite's limit on parameters is 999).
CHECK_CHUNK = 500


class SessionEnder(Protocol):
    """What ends sessions everywhere: the registry of a running app, or a command's notifier
    (:class:`RedisSessionNotifier`). The account services (:mod:`core.auth.service`) take one."""

    async def end_tokens(self, token_hashes: Iterable[str]) -> None:
        """Close, in every process, the sockets authenticated with these tokens."""

    async def end_user(self, user_id: int) -> None:
        """Close, in every process, every socket of this user."""


@dataclass
class _Session:
    """One authenticated socket: whose, with which token, until when."""

    user_id: int
    token_hash: str
    expires: datetime
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)
    #: The user's role (``CLIENTE``, ``AGENTE``, ``ADMIN``) when known, for presence.
    rol: str = ""


#: A presence callback: ``(user_id, rol, conectado)``; sync, called on the event loop.
PresenceCallback = Callable[[int, str, bool], None]


async def _slow_down_refusals(request: web.Request) -> None:
    """Hold a refused socket a while before its 4401 once its client address has been refused
    more than ``rate_socket_refusals``.

    The contract's client (the frontend guide's ``ChatSoporteWebSocket``) resets its attempts
    when a socket opens, and the contract accepts a socket before closing it with 4401, so such
    a client whose token died reconnects forever, as fast as it can. Waiting before the close
    turns that loop into one attempt every few seconds, for that address only.
    """
    if not await allow(request.app, "socket_refusals", client_address(request)):
        await asyncio.sleep(request.app[SETTINGS].socket_refusal_delay_seconds)


class SessionRegistry:
    """This process's authenticated sockets, and the ending of their sessions.

    ``app[keys.SESSIONS]``; the app factory installs :meth:`lifetime` as a ``cleanup_ctx`` (the
    periodic check) after the channel layer's.
    """

    def __init__(self, channels: ChannelLayer, *, check_seconds: float) -> None:
        self.channels = channels
        self.check_seconds = check_seconds
        self._sessions: dict[web.WebSocketResponse, _Session] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._presence: list[PresenceCallback] = []
        #: Open sockets per user in this process (presence), and each user's role.
        self._per_user: dict[int, int] = {}
        self._roles: dict[int, str] = {}
        channels.on_control(self._on_control)
        # Messages may have been lost while Redis was away: check the tokens once it is back.
        channels.on_gap(lost=lambda: None, restored=self.check)

    # --- what a WebSocket handler calls --------------------------------------------------------

    async def authenticate(
        self, request: web.Request, socket: web.WebSocketResponse
    ) -> Usuario | None:
        """Authenticate a prepared ``socket`` with the request's ``?token=`` and follow its
        session; ``None`` (the socket closed with 4401) for a missing, unknown or expired
        token. Call :meth:`detach` when the handler ends. The user's profile language becomes
        current for the rest of the handler (its error frames and messages)."""
        token = request.query.get("token")
        found = await session_from_token(token)
        if found is None or token is None:
            await _slow_down_refusals(request)
            await socket.close(code=CLOSE_UNAUTHENTICATED, message=REASON_BAD_TOKEN)
            return None
        usuario, expires = found
        set_locale(usuario.idioma)
        self.attach(socket, usuario.id, hash_token(token), expires, rol=str(usuario.rol))
        return usuario

    def attach(
        self,
        socket: web.WebSocketResponse,
        user_id: int,
        token_hash: str,
        expires: datetime,
        *,
        rol: str = "",
    ) -> None:
        """Follow ``socket``'s session (for handlers that authenticate by themselves)."""
        self.detach(socket)
        session = _Session(user_id, token_hash, expires, rol=rol)
        delay = (expires - datetime.now(UTC)).total_seconds()
        loop = asyncio.get_running_loop()
        # A timer at the expiry, not a poll: the socket closes the moment its token dies.
        session.timer = loop.call_later(max(delay, 0.0), self._end_local, [socket])
        self._sessions[socket] = session
        self._per_user[user_id] = self._per_user.get(user_id, 0) + 1
        if self._per_user[user_id] == 1:
            self._roles[user_id] = rol
            self._tell_presence(user_id, rol, True)

    def detach(self, socket: web.WebSocketResponse) -> None:
        """Stop following ``socket`` (safe twice)."""
        session = self._sessions.pop(socket, None)
        if session is None:
            return
        if session.timer is not None:
            session.timer.cancel()
        left = self._per_user.get(session.user_id, 1) - 1
        if left > 0:
            self._per_user[session.user_id] = left
        else:
            self._per_user.pop(session.user_id, None)
            self._roles.pop(session.user_id, None)
            self._tell_presence(session.user_id, session.rol, False)

    # --- presence ------------------------------------------------------------------------------

    def on_presence(self, callback: PresenceCallback) -> None:
        """Call ``callback(user_id, rol, conectado)`` when a user's first socket in this process
        opens (``True``) and their last one closes (``False``). Sync and quick: schedule any
        I/O. A failing callback is logged."""
        self._presence.append(callback)

    def present(self) -> dict[int, str]:
        """The users with a socket open in this process, with their role."""
        return dict(self._roles)

    def _tell_presence(self, user_id: int, rol: str, connected: bool) -> None:
        for callback in self._presence:
            try:
                callback(user_id, rol, connected)
            except Exception:
                log.exception("presence callback %r failed", callback)

    def __len__(self) -> int:
        return len(self._sessions)

    # --- ending sessions everywhere (SessionEnder) ---------------------------------------------

    async def end_tokens(self, token_hashes: Iterable[str]) -> None:
        """Close the sockets of these tokens in every process (this one at once)."""
        hashes = sorted(set(token_hashes))
        if hashes:
            await self._end_everywhere({"type": SESSION_END, "token_hashes": hashes})

    async def end_user(self, user_id: int) -> None:
        """Close every socket of ``user_id`` in every process (this one at once)."""
        await self._end_everywhere({"type": SESSION_END, "user_id": user_id})

    async def _end_everywhere(self, message: dict[str, Any]) -> None:
        # Locally first: the sockets of this process close even if the layer cannot deliver.
        await self._on_control(message)
        await self.channels.send_control(message)

    async def _on_control(self, message: dict[str, Any]) -> None:
        """A control message from any process: close the local sockets it names."""
        if message.get("type") != SESSION_END:
            return
        hashes = set(message.get("token_hashes") or ())
        user_id = message.get("user_id")
        ending = [
            socket
            for socket, session in self._sessions.items()
            if session.token_hash in hashes or session.user_id == user_id
        ]
        await self._close(ending)

    # --- the periodic check --------------------------------------------------------------------

    async def check(self) -> None:
        """Close the sockets whose token is no longer valid (gone, expired, user inactive).

        One query per :data:`CHECK_CHUNK` tokens, for every socket of this process at once.
        """
        for socket in [s for s in self._sessions if s.closed]:
            self.detach(socket)  # a handler that ended without detaching
        # The sockets of now: one attached while the queries run has just been authenticated,
        # and its token is not among those asked about (the next check covers it).
        sessions = dict(self._sessions)
        hashes = sorted({session.token_hash for session in sessions.values()})
        if not hashes:
            return
        valid: set[str] = set()
        now = datetime.now(UTC)
        for start in range(0, len(hashes), CHECK_CHUNK):
            chunk = hashes[start : start + CHECK_CHUNK]
            found = await Token.filter(
                key_hash__in=chunk, expira__gt=now, usuario__activo=True
            ).values_list("key_hash", flat=True)
            valid.update(str(h) for h in found)
        await self._close(
            [
                s
                for s, session in sessions.items()
                if session.token_hash not in valid and self._sessions.get(s) is session
            ]
        )

    async def lifetime(self, app: web.Application) -> AsyncIterator[None]:
        """The ``cleanup_ctx``: the periodic check runs from start-up to clean-up."""
        task = asyncio.create_task(self._check_forever(), name="soporte-sessions")
        try:
            yield
        finally:
            await stop_task(task)
            for socket in list(self._sessions):
                self.detach(socket)
            if self._closing:
                await asyncio.wait(self._closing, timeout=5)

    async def _check_forever(self) -> None:
        while True:
            await asyncio.sleep(self.check_seconds)
            try:
                await self.check()
            except Exception:  # the database away: try again next time, keep serving
                log.exception("the periodic session check failed")

    # --- closing -------------------------------------------------------------------------------

    def _end_local(self, sockets: list[web.WebSocketResponse]) -> None:
        """Close ``sockets`` from a timer callback (no awaiting there)."""
        task = asyncio.ensure_future(self._close(sockets))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, sockets: list[web.WebSocketResponse]) -> None:
        """Forget ``sockets`` and close them with 4401, concurrently."""
        for socket in sockets:
            self.detach(socket)
        live = [s for s in sockets if not s.closed]
        if live:
            log.info("ending %d socket session(s)", len(live))
            await asyncio.gather(
                *(s.close(code=CLOSE_UNAUTHENTICATED, message=REASON_ENDED) for s in live),
                return_exceptions=True,
            )


class RedisSessionNotifier:
    """A :class:`SessionEnder` for a command run outside the servers: it publishes the end on
    the servers' Redis (``SOPORTE_REDIS_URL``), so that they close the sockets at once."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url, self.prefix = url, prefix
        #: Whether every message reached Redis (otherwise the servers' periodic check acts).
        self.delivered = True

    async def end_tokens(self, token_hashes: Iterable[str]) -> None:
        """Publish the end of these tokens' sessions."""
        hashes = sorted(set(token_hashes))
        if hashes:
            await self._publish({"type": SESSION_END, "token_hashes": hashes})

    async def end_user(self, user_id: int) -> None:
        """Publish the end of every session of ``user_id``."""
        await self._publish({"type": SESSION_END, "user_id": user_id})

    async def _publish(self, message: dict[str, Any]) -> None:
        from core.realtime_redis import publish_control

        self.delivered = await publish_control(self.url, self.prefix, message) and self.delivered
