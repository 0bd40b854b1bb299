"""The channel layer: named groups of WebSockets, as in Django Channels.

A WebSocket plugin adds each socket to a group (``ticket.42``) and sends to the group; the
layer delivers to every member it holds. :class:`InMemoryChannelLayer` serves one process;
:class:`core.realtime_redis.RedisChannelLayer` (``SOPORTE_REDIS_URL``) implements the same
interface across processes by publishing ``group_send`` to Redis and delivering locally what
arrives.

Across processes a frame can be lost while Redis is unreachable. A plugin whose frames must
not be lost stores them before sending (as chat does) and registers :meth:`ChannelLayer.on_gap`
handlers: told when the subscription is lost, and again once it is restored, it replays what
its sockets missed from its own storage. Each member may have an ``accept`` filter, so that a
frame arriving twice (replayed, then delivered late) reaches the socket once; the filter may
also rewrite the frame for its socket (a text rendered in that socket's language).

Beside the groups, a small *control plane*: :meth:`ChannelLayer.send_control` hands a message
(never a chat frame, never sent to a socket) to the :meth:`ChannelLayer.on_control` handlers of
every process, this one's included — how :mod:`core.sessions` ends a session everywhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import WSMsgType

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import web

    #: A member's filter: called with each frame's JSON text before it is sent to that
    #: socket; ``False`` skips the frame for that socket, ``True`` sends it, and a string is
    #: sent instead of it (the frame as this socket should read it).
    Accept = Callable[[str], bool | str]
    #: A control-plane handler: awaited with each control message, in every process.
    ControlHandler = Callable[[dict[str, Any]], Awaitable[None]]

log = logging.getLogger("soporte.realtime")

#: Longest a delivery waits for one socket whose client has stopped reading (its buffers are
#: full and aiohttp waits for them to drain). Past it the socket is closed with 1013 (*try
#: again later*): one stuck client must not hold up the sender, nor — through Redis — every
#: later frame of its group. A chat client reconnects with ``?desde=`` and is replayed what it
#: missed, so nothing is lost; a client that keeps up never waits (its frame is written to the
#: socket at once).
SLOW_SOCKET_SECONDS = 2.0
#: The close code and reason of a socket too slow to keep up.
CLOSE_TOO_SLOW = 1013
REASON_TOO_SLOW = b"demasiado lento: reconecte"


class ChannelLayer(Protocol):
    """What WebSocket handlers may rely on, whatever the backend."""

    async def group_add(
        self, group: str, socket: web.WebSocketResponse, *, accept: Accept | None = None
    ) -> None:
        """Make ``socket`` receive what is sent to ``group`` (each frame that ``accept``, if
        given, lets through, as ``accept`` rewrites it)."""

    async def group_discard(self, group: str, socket: web.WebSocketResponse) -> None:
        """Stop delivering ``group`` to ``socket`` (safe to call twice)."""

    async def group_send(
        self, group: str, message: dict[str, Any], *, exclude: web.WebSocketResponse | None = None
    ) -> None:
        """Deliver ``message`` as JSON to every socket of ``group`` (but ``exclude``)."""

    def local_members(self, group: str) -> frozenset[web.WebSocketResponse]:
        """The sockets of ``group`` held by this process."""
        ...

    @property
    def subscribed(self) -> bool:
        """Whether frames sent by other processes reach this one now (always, in memory)."""
        ...

    def on_gap(self, *, lost: Callable[[], None], restored: Callable[[], Awaitable[None]]) -> None:
        """Register handlers for a gap in cross-process delivery.

        ``lost()`` is called (synchronously) as soon as the layer knows that frames sent by
        other processes may no longer arrive; ``restored()`` is awaited once they arrive again,
        before any newer frame is delivered — the moment to replay what was missed. A gap
        already open at start-up is reported by ``subscribed`` being false, not by ``lost``.
        The in-memory layer never has a gap.
        """

    async def send_control(self, message: dict[str, Any]) -> bool:
        """Hand ``message`` (JSON-serialisable) to the ``on_control`` handlers of every process,
        this one's included. Best effort across processes: with Redis away only this process
        hears it, so what depends on it needs a fallback (sessions re-check the database).

        Returns whether the other processes were sent it (``False``: this process only), so
        that a sender whose message must arrive eventually can send it again."""

    def on_control(self, handler: ControlHandler) -> None:
        """Register ``handler``, awaited with every control message from any process."""

    async def close(self) -> None:
        """Close every socket with *going away* (1001), so that clients reconnect."""


class InMemoryChannelLayer:
    """A single-process channel layer. Dead or closed sockets leave their groups at once."""

    def __init__(self, *, slow_socket_seconds: float = SLOW_SOCKET_SECONDS) -> None:
        # group → {socket: its accept filter or None}
        self._groups: dict[str, dict[web.WebSocketResponse, Accept | None]] = {}
        self._control_handlers: list[ControlHandler] = []
        self.slow_socket_seconds = slow_socket_seconds
        # Closes of too-slow sockets under way, kept referenced until they finish.
        self._closing: set[asyncio.Task[bool]] = set()

    async def group_add(
        self, group: str, socket: web.WebSocketResponse, *, accept: Accept | None = None
    ) -> None:
        """Make ``socket`` receive what is sent to ``group`` (filtered by ``accept``)."""
        self._groups.setdefault(group, {})[socket] = accept

    async def group_discard(self, group: str, socket: web.WebSocketResponse) -> None:
        """Stop delivering ``group`` to ``socket``."""
        members = self._groups.get(group)
        if members is not None:
            members.pop(socket, None)
            if not members:
                del self._groups[group]

    @property
    def subscribed(self) -> bool:
        """Always true: one process has no other process to hear from."""
        return True

    def on_gap(self, *, lost: Callable[[], None], restored: Callable[[], Awaitable[None]]) -> None:
        """Nothing to do: frames within one process are never lost in transit."""

    async def group_send(
        self, group: str, message: dict[str, Any], *, exclude: web.WebSocketResponse | None = None
    ) -> None:
        """Serialise once and send to every local member concurrently.

        Delivery is shielded: a sender whose own task is cancelled meanwhile (aiohttp cancels a
        WebSocket handler once its peer has gone, which is exactly when a "left" announcement
        is sent) still reaches everyone else.
        """
        text = json.dumps(message, ensure_ascii=False)
        await asyncio.shield(self.deliver_local(group, text, exclude=exclude))

    async def deliver_local(
        self, group: str, text: str, *, exclude: web.WebSocketResponse | None = None
    ) -> None:
        """Send already-serialised ``text`` to this process's members of ``group``."""
        members = [
            (ws, accept) for ws, accept in self._groups.get(group, {}).items() if ws is not exclude
        ]
        for ws, _ in members:
            if ws.closed:
                await self.group_discard(group, ws)
        targets: list[web.WebSocketResponse] = []
        texts: list[str] = []
        for ws, accept in members:
            if ws.closed:
                continue
            verdict = True if accept is None else accept(text)
            if verdict is False:
                continue
            targets.append(ws)
            texts.append(verdict if isinstance(verdict, str) else text)
        if not targets:
            return
        # Encoded once per distinct text (every socket but a filtered one gets the same frame),
        # not once per socket as send_str would.
        encoded: dict[str, bytes] = {}
        for t in texts:
            if t not in encoded:
                encoded[t] = t.encode("utf-8")
        # One task per socket: each writes its frame at once; only a socket whose client stopped
        # reading waits (for its buffer to drain), and not longer than slow_socket_seconds.
        sends = {
            asyncio.ensure_future(ws.send_frame(encoded[t], WSMsgType.TEXT)): ws
            for ws, t in zip(targets, texts, strict=True)
        }
        done, slow = await asyncio.wait(sends, timeout=self.slow_socket_seconds)
        for task in done:
            if not task.cancelled() and (exc := task.exception()) is not None:
                log.info("dropping a dead socket from %s: %s", group, exc)
                await self.group_discard(group, sends[task])
        for task in slow:
            task.cancel()
            self._close_slow(sends[task])

    def _close_slow(self, ws: web.WebSocketResponse) -> None:
        """Take a socket that cannot keep up out of every group, and close it with 1013."""
        log.info("closing a socket whose client stopped reading (%g s)", self.slow_socket_seconds)
        for group in [g for g, members in self._groups.items() if ws in members]:
            members = self._groups[group]
            members.pop(ws, None)
            if not members:
                del self._groups[group]
        task = asyncio.create_task(ws.close(code=CLOSE_TOO_SLOW, message=REASON_TOO_SLOW))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def local_members(self, group: str) -> frozenset[web.WebSocketResponse]:
        """The sockets of ``group`` held by this process."""
        return frozenset(self._groups.get(group, ()))

    def on_control(self, handler: ControlHandler) -> None:
        """Register a control-plane handler."""
        self._control_handlers.append(handler)

    async def send_control(self, message: dict[str, Any]) -> bool:
        """One process: the message goes straight to this process's handlers (always sent)."""
        await self.deliver_control(message)
        return True

    async def deliver_control(self, message: dict[str, Any]) -> None:
        """Await every control handler with ``message``; one failing does not stop the others."""
        for handler in self._control_handlers:
            try:
                await handler(message)
            except Exception:
                log.exception("a control-plane handler failed on %r", message.get("type"))

    async def close(self) -> None:
        """Close every socket with *going away* so clients reconnect elsewhere."""
        from aiohttp import WSCloseCode

        sockets = {ws for members in self._groups.values() for ws in members}
        self._groups.clear()
        await asyncio.gather(
            *(ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown") for ws in sockets),
            return_exceptions=True,
        )
