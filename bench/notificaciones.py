"""Notifications benchmark: live delivery to 2,000 sockets under 200 replies/s, and what the
plugin adds to the cost of a reply.

    .venv/bin/python bench/notificaciones.py [--sockets 2000] [--rate 200] [--seconds 10]
        [--runs 3] [--cost-replies 300] [--database-url postgres://… --redis-url redis://…]

``soporte run`` processes on fresh SQLite files, the same plugins but for one: **with**
(``tickets,chat,faq,casos,escalamiento,notificaciones``) and **without** (the same minus
``notificaciones``). Each gets one agent and ``--sockets`` customers with an e-mail address and
one open ticket each (users and tokens written straight into the database; tickets created
through the API), and a first agent reply on every ticket, so that every measured reply is the
steady case (the ticket already EN_PROGRESO). No SMTP server: mails go to the log, as with
``make run``, through the outbox in the same process.

1. **Reply cost**: per run, the agent replies (``POST /api/soporte/tickets/{id}/responder/``,
   JSON) once to each of ``--cost-replies`` tickets, one request at a time, on the server
   without the plugin and twice on the one with it: after every customer marked their
   notifications read (so every reply queues its customer's mail: the dearer case), and again
   on the same tickets (each one's previous notification now unread and recent, so the
   plugin's flood rule holds the mail back). Per case: the p50 latency, and the server's CPU
   time per reply (``/proc``, counted until its CPU goes idle, so the work a reply leaves
   behind — the push, the mail's rendering and delivery to the log — is included; the figure
   that holds on a machine shared with other work). Ratios to "without", target ≤ 1.10.
2. **Live delivery** (the server with the plugin): every customer opens the notifications socket
   (``/ws/soporte/notificaciones/?token=``, ``--sockets`` in one process) and waits for its
   ``sincronizado``; then the agent replies at ``--rate`` per second (open loop: each reply is
   sent on schedule whether or not the earlier ones have answered) for ``--seconds``, round
   robin over the customers' tickets. Latency = from the moment the reply's request starts to
   the arrival of that customer's ``notificacion`` frame (``respuesta_agente``). Twice: every
   reply mailed, then mail held back. Target: p99 < 50 ms, nothing lost.

3. **The reply's own cost**: a third server with the plugin but no outbox worker
   (``SOPORTE_OUTBOX_WORKER=false``), every reply queuing its mail: CPU and p50 without the
   mail's rendering and delivery (done by the worker after the response). And the server
   **without** the plugin driven by the delivery's open loop (no sockets): the replies/s one
   process achieves at all, the baseline of the delivery line.

``--database-url``/``--redis-url``: the delivery only, on PostgreSQL + Redis, each setup as two
processes (the sockets on one, the replies created through the other), throwaway databases.

Medians over ``--runs``. The machine is shared (2 cores here, with other work): quote the
medians and the ratios, and say how loaded the machine was (the load average is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from _util import free_port, pct, rss_kib, stop, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
SOPORTE = str(Path(sys.executable).parent / "soporte")
PLUGINS_WITHOUT = "tickets,chat,faq,casos,escalamiento"
PLUGINS_WITH = PLUGINS_WITHOUT + ",notificaciones"
DELIVERY_P99_MAX_MS = 50.0
COST_RATIO_MAX = 1.10
AGENT = "bench_agente"
#: The reply-cost cases (the first is the baseline).
COST_CASES = {
    "without": "without the plugin",
    "with_mail": "with its mail queued (CPU until idle: its rendering and delivery included)",
    "with_held": "with its mail held back",
    "own_mail": "with its mail queued, the reply's own cost (no outbox worker in the process)",
}
#: The delivery cases: every reply mails its customer, or the flood rule holds the mail back.
DELIVERY_CASES = {"mail": "(each reply mailed)", "held": "(mail held back)"}


def clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / clock_ticks()


def server_env(tmp: Path, plugins: str) -> dict[str, str]:
    """A server on its own SQLite file; limits that exist to refuse one abusive user are off,
    since one agent replying 200 times a second and 2,000 sockets from one address are the
    load being measured here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")}
    env.update(
        SOPORTE_DATABASE_URL=f"sqlite://{tmp}/bench.db",
        SOPORTE_PLUGINS=plugins,
        SOPORTE_MEDIA_DIR=str(tmp / "media"),
        SOPORTE_SECRET_KEY="bench",
        SOPORTE_ESCALAMIENTO_INTERVAL="0",
        SOPORTE_LOG_LEVEL="WARNING",
        SOPORTE_RATE_TICKETS="off",
        SOPORTE_RATE_UPLOADS="off",
        SOPORTE_RATE_CHAT_MESSAGES="off",
        SOPORTE_RATE_SOCKET_OPENS="off",
        SOPORTE_RATE_SOCKET_REFUSALS="off",
        SOPORTE_MAX_SOCKETS_PER_USER="100000",
    )
    return env


def seed_users(db: Path, customers: int) -> tuple[str, list[str]]:
    """The agent and ``customers`` customers with a token each, written straight into the
    database (logging in 2,000 times would time the password hash). Returns the raw tokens."""
    from core.auth.names import skeleton  # the same skeleton sign-up stores

    now = datetime.now(UTC)
    fecha = now.isoformat(sep=" ")
    expira = (now + timedelta(days=1)).isoformat(sep=" ")
    con = sqlite3.connect(db)
    try:
        rows = [(AGENT, "AGENTE", "Agente Bench", "")]
        rows += [
            (f"bench_cliente_{i}", "CLIENTE", f"Cliente {i}", f"cliente{i}@example.test")
            for i in range(customers)
        ]
        tokens: list[str] = []
        for username, rol, nombre, email in rows:
            cur = con.execute(
                "INSERT INTO core_usuario (username, username_skeleton, password_hash, nombre, "
                "email, rol, activo, fecha_creacion) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
                (username, skeleton(username), "!", nombre, email, rol, fecha),
            )
            raw = secrets.token_urlsafe(32)
            con.execute(
                "INSERT INTO core_token (key_hash, usuario_id, creado, expira) VALUES (?, ?, ?, ?)",
                (hashlib.sha256(raw.encode()).hexdigest(), cur.lastrowid, fecha, expira),
            )
            tokens.append(raw)
        con.commit()
    finally:
        con.close()
    return tokens[0], tokens[1:]


@dataclass
class Server:
    """One running ``soporte run`` with its users and tickets — or two sharing a PostgreSQL
    database and Redis (``--database-url``): the sockets on the first (``base``), the replies
    sent to the second (``reply_base``, ``others``)."""

    name: str
    proc: subprocess.Popen[bytes]
    base: str
    tmp: Path
    agent: str = ""
    customers: list[str] = field(default_factory=list)
    tickets: list[int] = field(default_factory=list)
    reply_base: str = ""
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)
    #: The throwaway PostgreSQL database to drop at the end (``--database-url``).
    database: str = ""

    def __post_init__(self) -> None:
        self.reply_base = self.reply_base or self.base

    @property
    def pids(self) -> list[int]:
        return [self.proc.pid, *(o.pid for o in self.others)]


def spawn(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [SOPORTE, "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return proc, f"http://127.0.0.1:{port}"


def start_server(
    name: str, plugins: str, customers: int, extra_env: dict[str, str] | None = None
) -> Server:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-notif-{name}-"))
    env = {**server_env(tmp, plugins), **(extra_env or {})}
    subprocess.run([SOPORTE, "migrate"], env=env, check=True, capture_output=True)
    agent, tokens = seed_users(tmp / "bench.db", customers)
    proc, base = spawn(env)
    return Server(name, proc, base, tmp, agent, tokens)


async def seed_users_pg(dsn: str, customers: int) -> tuple[str, list[str]]:
    """:func:`seed_users` on PostgreSQL."""
    import asyncpg

    from core.auth.names import skeleton

    now = datetime.now(UTC)
    expira = now + timedelta(days=1)
    con = await asyncpg.connect(dsn)
    try:
        rows = [(AGENT, "AGENTE", "Agente Bench", "")]
        rows += [
            (f"bench_cliente_{i}", "CLIENTE", f"Cliente {i}", f"cliente{i}@example.test")
            for i in range(customers)
        ]
        tokens: list[str] = []
        for username, rol, nombre, email in rows:
            uid = await con.fetchval(
                "INSERT INTO core_usuario (username, username_skeleton, password_hash, nombre, "
                "email, rol, activo, fecha_creacion) VALUES ($1, $2, '!', $3, $4, $5, true, $6) "
                "RETURNING id",
                username, skeleton(username), nombre, email, rol, now,
            )  # fmt: skip
            raw = secrets.token_urlsafe(32)
            await con.execute(
                "INSERT INTO core_token (key_hash, usuario_id, creado, expira) "
                "VALUES ($1, $2, $3, $4)",
                hashlib.sha256(raw.encode()).hexdigest(), uid, now, expira,
            )  # fmt: skip
            tokens.append(raw)
    finally:
        await con.close()
    return tokens[0], tokens[1:]


async def start_scaleout(
    name: str, plugins: str, customers: int, args: argparse.Namespace
) -> Server:
    """Two ``soporte run`` processes on a throwaway PostgreSQL database and Redis: the first
    holds the sockets, the second creates the replies (its notifications reach the first's
    sockets through Redis)."""
    import asyncpg

    admin = "postgres://" + args.database_url.split("://", 1)[1].split("?", 1)[0]
    database = f"bench_notif_{name}_{secrets.token_hex(4)}"
    con = await asyncpg.connect(admin)
    try:
        await con.execute(f'CREATE DATABASE "{database}"')
    finally:
        await con.close()
    dsn = f"{admin.rsplit('/', 1)[0]}/{database}"
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-notif-{name}-"))
    env = {**server_env(tmp, plugins), "SOPORTE_DATABASE_URL": dsn,
           "SOPORTE_REDIS_URL": args.redis_url}  # fmt: skip
    migrate = [SOPORTE, "migrate"]
    await asyncio.to_thread(subprocess.run, migrate, env=env, check=True, capture_output=True)
    agent, tokens = await seed_users_pg(dsn, customers)
    # One after the other: two processes starting at once on a fresh database race at their
    # start-up's own DDL.
    sockets, base = spawn(env)
    started = [sockets]
    try:
        await wait_healthy(base, sockets)
        replies, reply_base = spawn(env)
        started.append(replies)
        await wait_healthy(reply_base, replies)
    except BaseException:
        for proc in started:  # never leave a server behind
            stop(proc)
        raise
    return Server(
        name, sockets, base, tmp, agent, tokens,
        reply_base=reply_base, others=[replies], database=database,
    )  # fmt: skip


async def drop_database(args: argparse.Namespace, database: str) -> None:
    import asyncpg

    admin = "postgres://" + args.database_url.split("://", 1)[1].split("?", 1)[0]
    con = await asyncpg.connect(admin)
    try:
        await con.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await con.close()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


async def gather_limited(n: int, coros: list) -> list:  # type: ignore[type-arg]
    """Run coroutines ``n`` at a time, results in order."""
    sem = asyncio.Semaphore(n)

    async def one(c):  # type: ignore[no-untyped-def]
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


async def prepare(server: Server) -> None:
    """A ticket per customer, then a first agent reply on each (ABIERTO → EN_PROGRESO)."""
    await wait_healthy(server.base, server.proc)
    async with aiohttp.ClientSession(server.reply_base) as s:

        async def crear(token: str) -> int:
            body = {"asunto": "Factura duplicada", "categoria": "PAGOS", "prioridad": "MEDIA",
                    "descripcion": "Me cobraron dos veces la misma reserva."}  # fmt: skip
            async with s.post("/api/soporte/tickets/", headers=auth(token), json=body) as r:
                assert r.status == 201, await r.text()
                return int((await r.json())["id"])

        server.tickets = await gather_limited(16, [crear(t) for t in server.customers])
        await gather_limited(16, [reply(s, server.agent, t) for t in server.tickets])


async def reply(session: aiohttp.ClientSession, token: str, ticket: int) -> float:
    """One agent reply; answers its latency in ms."""
    start = time.perf_counter()
    async with session.post(
        f"/api/soporte/tickets/{ticket}/responder/",
        headers=auth(token),
        json={"mensaje": "Lo estamos revisando; te escribimos en cuanto lo sepamos."},
    ) as r:
        await r.read()
        assert r.status == 201, f"{r.status} {await r.text()}"
    return (time.perf_counter() - start) * 1000


# --- 1. reply cost -----------------------------------------------------------------------------


@dataclass
class Cost:
    p50_ms: float
    cpu_ms_per_reply: float
    replies: int


async def wait_idle(pid: int | list[int], quiet_s: float = 0.3, limit_s: float = 10.0) -> None:
    """Until the process(es) used (almost) no CPU for ``quiet_s``: their deferred work is done."""
    pids = pid if isinstance(pid, list) else [pid]
    deadline = time.perf_counter() + limit_s
    last = sum(cpu_seconds(p) for p in pids)
    while time.perf_counter() < deadline:
        await asyncio.sleep(quiet_s)
        now = sum(cpu_seconds(p) for p in pids)
        if now - last < quiet_s * 0.05 * len(pids):
            return
        last = now


@dataclass
class OpenLoop:
    """Replies sent at a fixed rate, answered or not."""

    achieved_rate: float
    p50_ms: float
    p99_ms: float


async def measure_open_loop(server: Server, rate: float, seconds: float) -> OpenLoop:
    """The agent replies at ``rate`` per second for ``seconds``, round robin over the tickets,
    open loop, with no socket open — the delivery case's load on a server without the plugin,
    the baseline of "replies/s achieved"."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(server.reply_base, connector=connector) as s:
        await reply(s, server.agent, server.tickets[-1])
        await wait_idle(server.pids)

        async def send(ticket: int) -> None:
            latencies.append(await reply(s, server.agent, ticket))

        total = int(rate * seconds)
        tasks = []
        begin = time.perf_counter()
        for k in range(total):
            delay = begin + k / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(server.tickets[k % len(server.tickets)])))
        await asyncio.gather(*tasks)
        achieved = total / (time.perf_counter() - begin)
    return OpenLoop(achieved, pct(latencies, 50), pct(latencies, 99))


async def read_all(server: Server) -> None:
    """Every customer marks their notifications read: the e-mail of a notification is held
    back while an earlier one of the same ticket is unread and recent (the plugin's flood rule),
    so after this every measured reply also queues its mail — the dearer case."""
    async with aiohttp.ClientSession(server.base) as s:

        async def one(token: str) -> None:
            async with s.post("/api/soporte/notificaciones/leer-todas/", headers=auth(token)) as r:
                assert r.status == 204, await r.text()

        await gather_limited(16, [one(t) for t in server.customers])


async def measure_cost(server: Server, tickets: list[int]) -> Cost:
    """One agent reply to each of ``tickets``, one request at a time."""
    latencies: list[float] = []
    async with aiohttp.ClientSession(server.base) as s:
        await reply(s, server.agent, server.tickets[-1])  # warm the connection
        await wait_idle(server.proc.pid)
        cpu0 = cpu_seconds(server.proc.pid)
        for ticket in tickets:
            latencies.append(await reply(s, server.agent, ticket))
        await wait_idle(server.proc.pid)
        cpu = cpu_seconds(server.proc.pid) - cpu0
    return Cost(pct(latencies, 50), cpu * 1000 / len(latencies), len(latencies))


# --- 2. live delivery --------------------------------------------------------------------------


@dataclass
class Delivery:
    latencies_ms: list[float] = field(default_factory=list)
    sent: int = 0
    lost: int = 0
    achieved_rate: float = 0.0
    connect_s: float = 0.0
    kib_per_socket: float = 0.0
    reply_p99_ms: float = 0.0
    refused: int = 0


async def measure_delivery(server: Server, sockets: int, rate: float, seconds: float) -> Delivery:
    result = Delivery()
    ws_base = server.base.replace("http://", "ws://")
    # ticket id → when its replies' requests started, oldest first (a customer's frames
    # arrive in order, so each frame answers the oldest reply still waiting)
    started: dict[int, deque[float]] = defaultdict(deque)
    expected = 0
    all_arrived = asyncio.Event()
    # No connection limit: aiohttp's default (100) would queue socket 101 forever.
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as ws_session:
        rss0 = rss_kib(server.proc.pid)
        t0 = time.perf_counter()

        async def open_one(token: str) -> aiohttp.ClientWebSocketResponse | None:
            ws = await ws_session.ws_connect(
                f"{ws_base}/ws/soporte/notificaciones/", params={"token": token}, heartbeat=None
            )
            frames = 0
            while True:  # the replay of unread ones, then "sincronizado"
                msg = await ws.receive(timeout=60)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    # Counted and reported, not fatal: one refusal must not void the run.
                    i = server.customers.index(token)
                    print(
                        f"socket of customer {i} closed while connecting, after {frames} "
                        f"frames: {msg.type.name} {msg.data} {msg.extra}",
                        flush=True,
                    )
                    return None
                frames += 1
                if json.loads(msg.data).get("tipo") == "sincronizado":
                    return ws

        abiertos = await gather_limited(50, [open_one(t) for t in server.customers[:sockets]])
        conns = [ws for ws in abiertos if ws is not None]
        result.refused = len(abiertos) - len(conns)
        refused_tokens = {
            t for t, ws in zip(server.customers, abiertos, strict=False) if ws is None
        }
        result.connect_s = time.perf_counter() - t0
        # Until the work left by the connections and by the previous case (mails still being
        # delivered by the outbox worker) is done.
        await wait_idle(server.pids)
        result.kib_per_socket = (rss_kib(server.proc.pid) - rss0) / max(1, sockets)

        async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                now = time.perf_counter()
                frame = json.loads(msg.data)
                n = frame.get("notificacion") if frame.get("tipo") == "notificacion" else None
                if not n or n.get("tipo") != "respuesta_agente":
                    continue
                queue = started.get(n.get("ticket_id"))
                if queue:
                    result.latencies_ms.append((now - queue.popleft()) * 1000)
                    if len(result.latencies_ms) >= expected:
                        all_arrived.set()

        readers = [asyncio.create_task(read(ws)) for ws in conns]
        reply_latencies: list[float] = []
        async with aiohttp.ClientSession(
            server.reply_base, connector=aiohttp.TCPConnector(limit=0)
        ) as s:

            async def send(ticket: int) -> None:
                started[ticket].append(time.perf_counter())
                reply_latencies.append(await reply(s, server.agent, ticket))

            await reply(s, server.agent, server.tickets[-1])  # warm the HTTP connection
            await asyncio.sleep(0.5)
            # Only the customers whose socket is open are sent replies.
            tickets = [
                t
                for t, token in zip(server.tickets[:sockets], server.customers, strict=False)
                if token not in refused_tokens
            ]
            total = int(rate * seconds)
            expected = total
            tasks = []
            begin = time.perf_counter()
            for k in range(total):
                # Open loop: the k-th reply starts at begin + k/rate, answered or not.
                delay = begin + k / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                # Round robin over the customers: each hears every len(tickets)/rate seconds.
                tasks.append(asyncio.create_task(send(tickets[k % len(tickets)])))
            await asyncio.gather(*tasks)
            result.sent = total
            result.achieved_rate = total / (time.perf_counter() - begin)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(all_arrived.wait(), timeout=10)
        for task in readers:
            task.cancel()
        for ws in conns:
            await ws.close()
    result.lost = result.sent - len(result.latencies_ms)
    result.reply_p99_ms = pct(reply_latencies, 99)
    return result


# --- the run -----------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def delivery_line(r: int, case: str, sockets: int, d: Delivery) -> str:
    return (
        f"run {r + 1} delivery ({case}): {sockets:,} sockets (connected in "
        f"{d.connect_s:.1f} s, {d.kib_per_socket:.1f} KiB each), {d.sent} replies "
        f"at {d.achieved_rate:.0f}/s, delivered {len(d.latencies_ms)}, lost "
        f"{d.lost}, latency ms p50 {pct(d.latencies_ms, 50):.2f} p99 "
        f"{pct(d.latencies_ms, 99):.2f} max "
        f"{max(d.latencies_ms, default=float('nan')):.2f}; reply p99 "
        f"{d.reply_p99_ms:.2f}"
    )


async def run(args: argparse.Namespace) -> list[str]:
    customers = max(args.sockets, 2)
    scaleout = bool(args.database_url)
    loads = [load_average()]
    servers: list[Server] = []
    try:
        if scaleout:
            with_ = await start_scaleout("with", PLUGINS_WITH, customers, args)
            servers.append(with_)
            without = await start_scaleout("without", PLUGINS_WITHOUT, customers, args)
            servers.append(without)
            prepared = [with_, without]
            own = None
        else:
            with_ = start_server("with", PLUGINS_WITH, customers)
            without = start_server("without", PLUGINS_WITHOUT, customers)
            # The reply's own cost: the plugin, its mail queued, but no outbox worker in the
            # process (SOPORTE_OUTBOX_WORKER=false), so that the mails' rendering and delivery
            # — work done after the response, off the request — is not counted.
            own = start_server(
                "own",
                PLUGINS_WITH,
                max(2, args.runs * args.cost_replies),
                {"SOPORTE_OUTBOX_WORKER": "false"},
            )
            servers += [with_, without, own]
            prepared = servers
        print(f"preparing {customers:,} customers with a ticket each…", flush=True)
        await asyncio.gather(*(prepare(s) for s in prepared))
        costs: dict[str, list[Cost]] = {k: [] for k in COST_CASES}
        deliveries: dict[str, list[Delivery]] = {k: [] for k in DELIVERY_CASES}
        baselines: list[OpenLoop] = []
        n = len(with_.tickets)
        for r in range(args.runs):
            if own is not None:
                # The same tickets for every case of a run (each replied to once per case).
                start = r * args.cost_replies
                tickets = [with_.tickets[(start + k) % n] for k in range(args.cost_replies)]
                order = ["without", "with_mail", "with_held", "own_mail"]
                for case in order if r % 2 == 0 else [*order[1:], order[0]]:
                    server = {"without": without, "own_mail": own}.get(case, with_)
                    if case in ("with_mail", "own_mail"):
                        await read_all(server)
                    # "with_held" follows "with_mail" on the same tickets: each one's previous
                    # notification is unread and recent, so its mail is held back.
                    ts = (
                        own.tickets[start : start + args.cost_replies]
                        if case == "own_mail"
                        else tickets
                    )
                    c = await measure_cost(server, ts)
                    costs[case].append(c)
                    print(
                        f"run {r + 1} cost {case:<9}: {c.replies} replies, p50 "
                        f"{c.p50_ms:.2f} ms, CPU {c.cpu_ms_per_reply:.2f} ms/reply",
                        flush=True,
                    )
            b = await measure_open_loop(without, args.rate, args.seconds)
            baselines.append(b)
            print(
                f"run {r + 1} open loop without the plugin: {int(args.rate * args.seconds)} "
                f"replies at {b.achieved_rate:.0f}/s, reply ms p50 {b.p50_ms:.2f} p99 "
                f"{b.p99_ms:.2f}",
                flush=True,
            )
            for case in DELIVERY_CASES:
                if case == "mail":
                    await read_all(with_)
                d = await measure_delivery(with_, args.sockets, args.rate, args.seconds)
                deliveries[case].append(d)
                loads.append(load_average())
                print(delivery_line(r, case, args.sockets, d), flush=True)
    finally:
        for server in servers:
            for proc in (server.proc, *server.others):
                stop(proc)
        for server in servers:
            if server.database:
                await drop_database(args, server.database)
            if not args.keep:
                shutil.rmtree(server.tmp, ignore_errors=True)

    def med(values: list[float]) -> float:
        return statistics.median(values)

    setup = (
        "two processes on PostgreSQL + Redis (sockets on one, replies created on the other)"
        if scaleout
        else "one process on SQLite"
    )
    out = [
        f"medians over {args.runs} runs — {args.sockets:,} notification sockets in one process, "
        f"{args.rate:g} replies/s for {args.seconds:g} s, {setup}; "
        + (
            "no cost cases (they run on SQLite); "
            if scaleout
            else f"cost: {args.cost_replies} sequential replies per case and run; "
        )
        + f"{os.cpu_count()} CPUs shared with other work, "
        f"load average {loads[0]} before, {loads[-1]} after",
        "",
        "| case | with notificaciones | without | ratio | target | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    met = True
    base_rate = med([b.achieved_rate for b in baselines])
    for case, label in DELIVERY_CASES.items():
        ds = deliveries[case]
        p50 = med([pct(d.latencies_ms, 50) for d in ds])
        p99 = med([pct(d.latencies_ms, 99) for d in ds])
        lost = sum(d.lost for d in ds)
        refused = sum(d.refused for d in ds)
        ok = p99 < DELIVERY_P99_MAX_MS and lost == 0 and refused == 0
        met = met and ok
        rate = med([d.achieved_rate for d in ds])
        out += [
            f"| delivery {label}, reply start → frame, p50 / p99 ms | {p50:.2f} / {p99:.2f} | – "
            f"| – | p99 < {DELIVERY_P99_MAX_MS:g} ms, none lost or refused ({lost} lost, "
            f"{refused} sockets refused) | {verdict(ok)} |",
            f"| replies/s achieved, {label} (without: the same open loop, no sockets) | "
            f"{rate:.0f} | {base_rate:.0f} | {rate / base_rate:.2f}× | {args.rate:g} | "
            f"{verdict(rate >= 0.98 * args.rate)} |",
        ]
    out.append(
        f"| reply latency p50 / p99 ms under the open loop, without the plugin | – | "
        f"{med([b.p50_ms for b in baselines]):.2f} / {med([b.p99_ms for b in baselines]):.2f} "
        "| – | – | – |"
    )
    # Only the first connection of the sockets says it: the memory of the earlier sockets is
    # reused by the later ones (the process does not give it back).
    kib = deliveries["mail"][0].kib_per_socket
    out.append(f"| server memory per socket (first run), KiB | {kib:.1f} | – | – | – | – |")
    if own is not None:
        base_lat = med([c.p50_ms for c in costs["without"]])
        base_cpu = med([c.cpu_ms_per_reply for c in costs["without"]])
        for case in ("with_mail", "with_held", "own_mail"):
            label = COST_CASES[case]
            lat = med([c.p50_ms for c in costs[case]])
            cpu = med([c.cpu_ms_per_reply for c in costs[case]])
            for what, value, base in (("p50 latency ms", lat, base_lat),
                                      ("server CPU ms per reply", cpu, base_cpu)):  # fmt: skip
                ratio = value / base
                ok = ratio <= COST_RATIO_MAX
                met = met and ok
                out.append(
                    f"| reply {label}, {what} | {value:.2f} | {base:.2f} | {ratio:.2f}× | "
                    f"≤ {COST_RATIO_MAX:.2f}× | {verdict(ok)} |"
                )
    out += [
        "",
        f"notificaciones targets met: {verdict(met)}",
        f"reproduce: .venv/bin/python bench/notificaciones.py {shlex.join(sys.argv[1:])}".rstrip(),
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0, help="replies per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="of replies at --rate")
    parser.add_argument("--cost-replies", type=int, default=300, help="per case and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL (any database of the server): run the delivery on two processes, "
        "sockets on one and replies on the other, on throwaway databases; no cost cases",
    )
    parser.add_argument("--redis-url", help="with --database-url: the channel layer's Redis")
    args = parser.parse_args()
    if bool(args.database_url) != bool(args.redis_url):
        parser.error("--database-url and --redis-url go together")
    lines = asyncio.run(run(args))
    print("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
