"""The channel layer: named groups of WebSockets, as in Django Channels.

A WebSocket plugin adds each socket to a group (``ticket.42``) and sends to the group; the
layer delivers to every member it holds. :class:`InMemoryChannelLayer` serves one process; a
Redis-backed layer (``SOPORTE_REDIS_URL``) implements the same interface across processes by
publishing ``group_send`` to Redis and delivering locally what arrives.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("soporte.realtime")


class ChannelLayer(Protocol):
    """What WebSocket handlers may rely on, whatever the backend."""

    async def group_add(self, group: str, socket: web.WebSocketResponse) -> None:
        """Make ``socket`` receive what is sent to ``group``."""

    async def group_discard(self, group: str, socket: web.WebSocketResponse) -> None:
        """Stop delivering ``group`` to ``socket`` (safe to call twice)."""

    async def group_send(
        self, group: str, message: dict[str, Any], *, exclude: web.WebSocketResponse | None = None
    ) -> None:
        """Deliver ``message`` as JSON to every socket of ``group`` (but ``exclude``)."""

    def local_members(self, group: str) -> frozenset[web.WebSocketResponse]:
        """The sockets of ``group`` held by this process."""
        ...

    async def close(self) -> None:
        """Close every socket with *going away* (1001) and release the backend."""


class InMemoryChannelLayer:
    """A single-process channel layer. Dead or closed sockets leave their groups at once."""

    def __init__(self) -> None:
        self._groups: dict[str, set[web.WebSocketResponse]] = {}

    async def group_add(self, group: str, socket: web.WebSocketResponse) -> None:
        """Make ``socket`` receive what is sent to ``group``."""
        self._groups.setdefault(group, set()).add(socket)

    async def group_discard(self, group: str, socket: web.WebSocketResponse) -> None:
        """Stop delivering ``group`` to ``socket``."""
        members = self._groups.get(group)
        if members is not None:
            members.discard(socket)
            if not members:
                del self._groups[group]

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
        members = [ws for ws in self._groups.get(group, ()) if ws is not exclude]
        for ws in members:
            if ws.closed:
                await self.group_discard(group, ws)
        targets = [ws for ws in members if not ws.closed]
        if not targets:
            return
        results = await asyncio.gather(
            *(ws.send_str(text) for ws in targets), return_exceptions=True
        )
        for ws, result in zip(targets, results, strict=True):
            if isinstance(result, Exception):
                log.info("dropping a dead socket from %s: %s", group, result)
                await self.group_discard(group, ws)

    def local_members(self, group: str) -> frozenset[web.WebSocketResponse]:
        """The sockets of ``group`` held by this process."""
        return frozenset(self._groups.get(group, ()))

    async def close(self) -> None:
        """Close every socket with *going away* so clients reconnect elsewhere."""
        from aiohttp import WSCloseCode

        sockets = {ws for members in self._groups.values() for ws in members}
        self._groups.clear()
        await asyncio.gather(
            *(ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown") for ws in sockets),
            return_exceptions=True,
        )
