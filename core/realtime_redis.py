"""The channel layer across processes: ``group_send`` goes through Redis pub/sub.

Every process publishes its frames on one Redis channel (``<prefix>:grupos``) and subscribes to
it; what arrives is delivered to the members that process holds, through the in-memory layer's
:meth:`~core.realtime.InMemoryChannelLayer.deliver_local`. A process also hears its own frames
back, so every socket of a group, whatever process holds it, sees one order: Redis's. Frames to
one group are published one at a time in call order and delivered one at a time in arrival
order; different groups never wait for each other.

Redis being away never stops the server:

- publishing fails fast (short timeouts, one retry) and the frame is delivered locally
  instead, so HTTP keeps working and this process's sockets still get it;
- the subscriber notices the loss — a closed connection at once, a silent one within
  :data:`DEAD_AFTER` seconds thanks to its own pings — and tells the ``on_gap`` handlers;
  it then reconnects with backoff (never through the client's silent automatic reconnection,
  which would resubscribe without anyone knowing frames were lost: Chatwoot's "alive but
  silent" sockets) and, once subscribed again, awaits the ``restored`` handlers before it
  delivers anything newer.

Wire format of a message: ``group \\n origin \\n excluded-socket-id \\n frame-json``.

Control-plane messages (:meth:`send_control`) travel on a second channel,
``<prefix>:control``, as plain JSON; every process hands them to its ``on_control`` handlers.
:func:`publish_control` sends one from outside a server (the CLI).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import uuid
import weakref
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from core.realtime import InMemoryChannelLayer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from aiohttp import web

log = logging.getLogger("soporte.realtime")

#: Seconds to connect, and to wait for one publish, before falling back to local delivery.
PUBLISH_TIMEOUT = 1.0
#: The subscriber pings Redis when it heard nothing for this long…
PING_EVERY = 5.0
#: …and gives the connection up when it heard nothing at all (not even a pong) for this long.
DEAD_AFTER = 15.0
#: Reconnection backoff, doubling from the first to the last.
RETRY_FIRST, RETRY_MAX = 0.1, 2.0
#: At start-up, how long to wait for the first subscription before serving anyway.
START_WAIT = 3.0
#: Longest a ``restored`` handler may take before the subscriber gives up on it and goes on.
RESTORE_TIMEOUT = 60.0


class RedisChannelLayer(InMemoryChannelLayer):
    """A channel layer for several processes and machines, over Redis pub/sub.

    ``start()`` (at application start-up) subscribes; ``stop()`` (at clean-up, once requests
    have finished) releases Redis. ``close()``, as for every layer, closes the sockets.
    ``prefix`` names the Redis channel, so that several helpdesks can share one Redis (pub/sub
    ignores the database number in the URL).
    """

    def __init__(self, url: str, *, prefix: str = "soporte") -> None:
        super().__init__()
        self.url = url
        self.channel = f"{prefix}:grupos"
        self.control_channel = control_channel(prefix)
        self._origin = uuid.uuid4().hex[:16]
        self._publisher: aioredis.Redis | None = None
        self._subscriber: asyncio.Task[None] | None = None
        self._subscribed = False
        self._ready = asyncio.Event()
        self._publish_failing = False
        self._stopping = False
        # Excluding a socket across the wire: a number per socket, never reused.
        self._numbers = itertools.count(1)
        self._socket_ids: weakref.WeakKeyDictionary[web.WebSocketResponse, int] = (
            weakref.WeakKeyDictionary()
        )
        self._sockets: weakref.WeakValueDictionary[int, web.WebSocketResponse] = (
            weakref.WeakValueDictionary()
        )
        # Per group: a lock that orders publishes, and the last delivery that orders arrivals.
        self._publish_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._lanes: dict[str, asyncio.Task[None]] = {}
        self._gap_handlers: list[tuple[Callable[[], None], Callable[[], Awaitable[None]]]] = []
        # Running control handlers, kept referenced until they finish.
        self._control_tasks: set[asyncio.Task[None]] = set()

    # --- the ChannelLayer interface ------------------------------------------------------------

    @property
    def subscribed(self) -> bool:
        """Whether frames published by other processes reach this one now."""
        return self._subscribed

    def on_gap(self, *, lost: Callable[[], None], restored: Callable[[], Awaitable[None]]) -> None:
        """Register handlers for a lost and then restored subscription (see the protocol)."""
        self._gap_handlers.append((lost, restored))

    async def group_send(
        self, group: str, message: dict[str, Any], *, exclude: web.WebSocketResponse | None = None
    ) -> None:
        """Publish ``message`` to every process holding members of ``group``.

        Shielded like the in-memory layer's: a sender cancelled meanwhile still publishes.
        When Redis cannot take it, the frame is delivered to this process's members only.
        """
        if "\n" in group:
            raise ValueError(f"a group name has no line break: {group!r}")
        text = json_dumps(message)
        await asyncio.shield(self._send(group, text, exclude))

    async def send_control(self, message: dict[str, Any]) -> bool:
        """Publish ``message`` to every process's control handlers (this one hears it back);
        whether Redis took it.

        When Redis cannot take it, or this process is not subscribed now, this process's
        handlers get it at once; other processes rely on their own fallback then.
        """
        text = json_dumps(message)
        published = await asyncio.shield(self._publish(text, self.control_channel))
        if not published or not self._subscribed:
            await self.deliver_control(message)
        return published

    # --- lifetime ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe, waiting up to :data:`START_WAIT` s; with Redis away, serve anyway."""
        self._stopping = False
        self._subscriber = asyncio.create_task(self._subscribe_forever(), name="soporte-redis")
        try:
            await asyncio.wait_for(self._ready.wait(), START_WAIT)
        except TimeoutError:
            log.warning(
                "Redis at %s does not answer; serving anyway: frames stay in this process "
                "until it does",
                _safe(self.url),
            )

    async def stop(self) -> None:
        """Stop listening and release the connections (after the last request)."""
        self._stopping = True
        if self._subscriber is not None:
            self._subscriber.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._subscriber
            self._subscriber = None
        self._subscribed = False
        lanes = list(self._lanes.values())
        if lanes:
            await asyncio.wait(lanes, timeout=5)
        if self._publisher is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._publisher.aclose()
            self._publisher = None

    async def lifetime(self, app: web.Application) -> AsyncIterator[None]:
        """The ``cleanup_ctx`` the app factory installs: :meth:`start`, then :meth:`stop`."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    # --- publishing ----------------------------------------------------------------------------

    def _client(self) -> aioredis.Redis:
        """The publishing client, created on first use (in the loop that uses it)."""
        if self._publisher is None:
            self._publisher = aioredis.Redis.from_url(
                self.url,
                socket_connect_timeout=PUBLISH_TIMEOUT,
                socket_timeout=PUBLISH_TIMEOUT,
                # One retry: after a Redis restart the pooled connection is dead, the next is not.
                retry=Retry(NoBackoff(), 1),
            )
        return self._publisher

    def _socket_id(self, socket: web.WebSocketResponse | None) -> str:
        if socket is None:
            return ""
        number = self._socket_ids.get(socket)
        if number is None:
            number = next(self._numbers)
            self._socket_ids[socket] = number
            self._sockets[number] = socket
        return str(number)

    async def _send(self, group: str, text: str, exclude: web.WebSocketResponse | None) -> None:
        payload = f"{group}\n{self._origin}\n{self._socket_id(exclude)}\n{text}"
        lock, users = self._publish_locks.get(group) or (asyncio.Lock(), 0)
        self._publish_locks[group] = (lock, users + 1)
        try:
            async with lock:
                published = await self._publish(payload)
                # Not heard back while unsubscribed: this process's sockets get it now (a copy
                # arriving later anyway is dropped by their filters, or is harmless).
                if not published or not self._subscribed:
                    await self.deliver_local(group, text, exclude=exclude)
        finally:
            lock, users = self._publish_locks[group]
            if users <= 1:
                del self._publish_locks[group]
            else:
                self._publish_locks[group] = (lock, users - 1)

    async def _publish(self, payload: str, channel: str | None = None) -> bool:
        if self._stopping and self._publisher is None:
            return False
        try:
            await asyncio.wait_for(
                self._client().publish(channel or self.channel, payload), PUBLISH_TIMEOUT
            )
        except (RedisError, OSError, TimeoutError) as exc:
            if not self._publish_failing:
                log.warning(
                    "cannot publish to Redis (%s); delivering in this process only until it "
                    "is back",
                    exc,
                )
                self._publish_failing = True
            return False
        if self._publish_failing:
            log.info("publishing to Redis again")
            self._publish_failing = False
        return True

    # --- subscribing ---------------------------------------------------------------------------

    async def _subscribe_forever(self) -> None:
        """Subscribe, deliver, and after any failure say so and subscribe again."""
        delay = RETRY_FIRST
        # No automatic retry: a reconnection must go through here, where the gap is reported.
        client = aioredis.Redis.from_url(
            self.url,
            socket_connect_timeout=PUBLISH_TIMEOUT,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),
        )
        gap = True  # nothing has been heard yet
        try:
            while True:
                pubsub = client.pubsub()
                try:
                    await pubsub.subscribe(self.channel, self.control_channel)
                    await self._confirmed(pubsub)
                    self._subscribed = True
                    self._ready.set()
                    delay = RETRY_FIRST
                    if gap:
                        gap = False
                        await self._restored()
                    await self._pump(pubsub)
                except (RedisError, OSError, TimeoutError) as exc:
                    if not gap:
                        log.warning(
                            "lost the Redis subscription (%s); reconnecting, and replaying "
                            "what was missed once back",
                            exc or type(exc).__name__,
                        )
                except Exception:
                    log.exception("the Redis subscriber failed; subscribing again")
                finally:
                    self._subscribed = False
                    if not gap:
                        gap = True
                        self._lost()
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def _confirmed(self, pubsub: Any) -> None:
        """Wait for Redis to confirm both subscriptions (then nothing published is missed)."""
        async with asyncio.timeout(DEAD_AFTER):
            while True:
                msg = await pubsub.get_message(timeout=PING_EVERY)
                # ``data`` of a confirmation: how many channels this connection now listens to.
                if msg is not None and msg["type"] == "subscribe" and int(msg["data"]) >= 2:
                    return

    async def _pump(self, pubsub: Any) -> None:
        """Deliver what arrives; ping when quiet; raise when Redis has gone silent."""
        loop = asyncio.get_running_loop()
        heard = pinged = loop.time()
        while True:
            msg = await pubsub.get_message(timeout=1.0)
            now = loop.time()
            if msg is not None:
                heard = now
                if msg["type"] == "message":
                    if _text(msg["channel"]) == self.control_channel:
                        self._dispatch_control(msg["data"])
                    else:
                        self._dispatch(msg["data"])
                continue
            if now - heard > DEAD_AFTER:
                raise TimeoutError(f"no answer from Redis for {DEAD_AFTER:g} s")
            if now - heard > PING_EVERY and now - pinged > PING_EVERY:
                await pubsub.ping()
                pinged = now

    def _dispatch(self, data: bytes | str) -> None:
        """Queue one message for delivery after the previous one of its group."""
        raw = data.decode() if isinstance(data, bytes) else data
        try:
            group, origin, excluded, text = raw.split("\n", 3)
        except ValueError:
            log.warning("ignoring a malformed message on %s", self.channel)
            return
        exclude = None
        if origin == self._origin and excluded:
            exclude = self._sockets.get(int(excluded))
        previous = self._lanes.get(group)
        lane = asyncio.create_task(self._deliver_after(previous, group, text, exclude))
        self._lanes[group] = lane
        lane.add_done_callback(lambda done: self._lane_done(group, done))

    def _dispatch_control(self, data: bytes | str) -> None:
        """Hand a control message to this process's handlers, in a task of its own (so that a
        slow handler never holds the subscriber up)."""
        try:
            message = json.loads(_text(data))
        except ValueError:
            log.warning("ignoring a malformed message on %s", self.control_channel)
            return
        if not isinstance(message, dict):
            log.warning("ignoring a malformed message on %s", self.control_channel)
            return
        task = asyncio.create_task(self.deliver_control(message))
        self._control_tasks.add(task)
        task.add_done_callback(self._control_tasks.discard)

    async def _deliver_after(
        self,
        previous: asyncio.Task[None] | None,
        group: str,
        text: str,
        exclude: web.WebSocketResponse | None,
    ) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        try:
            await self.deliver_local(group, text, exclude=exclude)
        except Exception:
            log.exception("delivering a frame to %s failed", group)

    def _lane_done(self, group: str, lane: asyncio.Task[None]) -> None:
        if self._lanes.get(group) is lane:
            del self._lanes[group]

    def _lost(self) -> None:
        for lost, _ in self._gap_handlers:
            try:
                lost()
            except Exception:
                log.exception("a channel-layer 'lost' handler failed")

    async def _restored(self) -> None:
        for _, restored in self._gap_handlers:
            try:
                await asyncio.wait_for(restored(), RESTORE_TIMEOUT)
            except Exception:
                log.exception("a channel-layer 'restored' handler failed")


def control_channel(prefix: str) -> str:
    """The Redis channel of the control plane of the helpdesk named ``prefix``."""
    return f"{prefix}:control"


async def publish_control(url: str, prefix: str, message: dict[str, Any]) -> bool:
    """Publish one control message from outside a server (the CLI); whether Redis took it.

    A short-lived client of its own, with the layer's short timeouts: a command never hangs
    on an unreachable Redis (the servers' periodic checks then do the work).
    """
    client = aioredis.Redis.from_url(
        url, socket_connect_timeout=PUBLISH_TIMEOUT, socket_timeout=PUBLISH_TIMEOUT
    )
    try:
        await asyncio.wait_for(
            client.publish(control_channel(prefix), json_dumps(message)), PUBLISH_TIMEOUT
        )
    except (RedisError, OSError, TimeoutError) as exc:
        log.warning("cannot publish to Redis at %s: %s", _safe(url), exc)
        return False
    finally:
        with contextlib.suppress(RedisError, OSError):
            await client.aclose()
    return True


def _text(data: bytes | str) -> str:
    """A pub/sub field as text (redis-py gives bytes unless told to decode)."""
    return data.decode() if isinstance(data, bytes) else data


def json_dumps(message: dict[str, Any]) -> str:
    """Frames as the in-memory layer writes them (UTF-8 kept as is)."""
    return json.dumps(message, ensure_ascii=False)


def _safe(url: str) -> str:
    """The URL without its password, for logs."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1) if "://" in url else ("", url)
    return f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
