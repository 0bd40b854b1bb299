"""Chat fan-out: N live sockets over M tickets, a message rate, delivery latency, order, memory.

    .venv/bin/python bench/chat_fanout.py        # 5,000 sockets, 500 tickets, 500 msg/s
    .venv/bin/python bench/chat_fanout.py --sockets 200 --tickets 10 --rate 40 --seconds 5
    .venv/bin/python bench/chat_fanout.py --workers 2 \\
        --database-url postgres://postgres@127.0.0.1:54415/soporte_test \\
        --redis-url redis://127.0.0.1:56415/0                  # two processes through Redis

Starts a real ``soporte run`` (plugins tickets + chat; a fresh SQLite file, or with ``--workers``
a throwaway PostgreSQL database and Redis under gunicorn) and, in the same run, a bare aiohttp
WebSocket server that relays each message to its group storing nothing (one process). Both are
driven by the same load: ``--clients`` client processes of their own (so the load generator
does not share the server's event loop), each holding every socket of its share of the
tickets, sending its share of ``--rate`` (open loop, round robin over its tickets, from a socket
of the ticket) for ``--seconds``. Every message is stored by soporte (a chat reply) before it
is fanned out, so every socket of the ticket, the sender's included, receives it.

Prints, per run and as medians: latency send → receive over every delivery (clocks are
``CLOCK_MONOTONIC``, shared by the processes), deliveries against those expected (lost,
duplicated, out of order: a socket seeing its ticket's messages in another order than the
ticket's other sockets),
the messages/s achieved, the server's memory per socket (RSS after connecting the sockets minus
before, divided; gunicorn's workers summed) and CPU, and each client's CPU use (a client near
100 % of a core would limit the figures: it is said). Then the targets of issue 21 with
``met``/``NO``: p99 < 50 ms, nothing lost or out of order, the rate achieved.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import secrets
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import (
    ROOT,
    children,
    con_base,
    cpu,
    free_port,
    pct,
    pg_execute,
    rss_kib,
    stop,
    wait_healthy,
)

SOPORTE = str(ROOT / ".venv" / "bin" / "soporte")
#: Issue 21's target for every delivery.
P99_MAX_MS = 50.0
#: Messages/s achieved must be at least this share of ``--rate`` (the open loop kept up).
RATE_MIN_SHARE = 0.95
#: How long the clients wait, after their last message, for deliveries still on their way; what
#: has not arrived by then counts as missing (lost, or so late that it makes no difference).
DRAIN_S = 30.0
#: Sockets a client opens at once while connecting.
CONNECT_CONCURRENCY = 64


def now_ns() -> int:
    """One clock for every process of the bench (the server's and the clients')."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def raise_nofile(wanted: int) -> None:
    """Let this process hold ``wanted`` sockets (the soft limit up to the hard one)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < wanted:
        raise SystemExit(f"ulimit -n allows {hard} files, {wanted} are needed")


# --- the bare baseline server ------------------------------------------------------------------


def baseline_app() -> web.Application:
    """A WebSocket server that relays each message to its group, storing nothing."""
    groups: dict[str, set[web.WebSocketResponse]] = {}

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        group = groups.setdefault(request.match_info["id"], set())
        group.add(ws)
        await ws.send_json({"tipo": "connection_status", "conectado": True})
        try:
            async for msg in ws:
                data = json.loads(msg.data)
                text = json.dumps({"tipo": "mensaje", "contenido": data["mensaje"]})
                await asyncio.gather(*(peer.send_str(text) for peer in group if not peer.closed))
        finally:
            group.discard(ws)
        return ws

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get(r"/ws/soporte/ticket/{id:\d+}/", handler)
    app.router.add_get("/healthz", health)
    return app


# --- a client process --------------------------------------------------------------------------


@dataclass
class Socket:
    """One client socket and what it received."""

    ws: aiohttp.ClientWebSocketResponse
    ticket: int
    #: The messages received, in arrival order (their numbers).
    numbers: list[int] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    duplicated: int = 0


def disordered(group: list[Socket]) -> int:
    """Sockets of one ticket that saw its messages in another order than its first socket.

    Not the order sent: two messages sent at once from two sockets (through two workers) are
    stored in whichever order their transactions commit, and that order — the same for every
    socket — is what the chat promises. Compared on the messages both sockets received.
    """
    ref = group[0].numbers
    out = 0
    for s in group[1:]:
        common = set(ref) & s.seen
        if [n for n in ref if n in common] != [n for n in s.numbers if n in common]:
            out += 1
    return out


async def client(spec: dict[str, Any]) -> None:
    """Open this client's sockets, say ready, send on ``go``, report every delivery.

    Message numbers grow per client; each ticket's messages come from this client alone, so a
    socket must see them in increasing order, each once.
    """
    tickets: list[int] = spec["tickets"]
    per_ticket: int = spec["per_ticket"]
    raise_nofile(len(tickets) * per_ticket + 256)
    ws_base = spec["base"].replace("http://", "ws://")
    params = {"historial": "0", **({"token": spec["token"]} if spec["token"] else {})}
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    by_ticket: dict[int, list[Socket]] = {t: [] for t in tickets}
    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
    started = time.perf_counter()

    async def connect(ticket: int) -> Socket:
        async with sem:
            ws = await session.ws_connect(
                f"{ws_base}/ws/soporte/ticket/{ticket}/", params=params, autoping=True
            )
            while True:  # everything before connection_status (nothing, with historial=0)
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise SystemExit(f"socket to ticket {ticket} closed: {msg.data} {msg.extra}")
                if json.loads(msg.data).get("tipo") == "connection_status":
                    return Socket(ws, ticket)

    latencies: list[float] = []

    async def reader(s: Socket) -> None:
        async for msg in s.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            if data.get("tipo") != "mensaje":
                continue  # presence of sockets joining later, typing…
            number, sent_ns = (int(x) for x in data["contenido"].split(":"))
            latencies.append((now_ns() - sent_ns) / 1e6)
            if number in s.seen:
                s.duplicated += 1
                continue
            s.seen.add(number)
            s.numbers.append(number)

    readers: list[asyncio.Task[None]] = []

    async def join(ticket: int) -> Socket:
        s = await connect(ticket)
        # Read at once: the server's heartbeat pings want their pongs while the others connect.
        readers.append(asyncio.create_task(reader(s)))
        return s

    sockets = await asyncio.gather(*(join(t) for t in tickets for _ in range(per_ticket)))
    for s in sockets:
        by_ticket[s.ticket].append(s)
    print(json.dumps({"ready": True, "connect_s": time.perf_counter() - started}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # "go"
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    rate, seconds = spec["rate"], spec["seconds"]
    interval = 1.0 / rate
    sent = expected = 0
    lag_max = 0.0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        lag_max = max(lag_max, elapsed - sent * interval)
        ticket = tickets[sent % len(tickets)]
        group = by_ticket[ticket]
        sender = group[(sent // len(tickets)) % len(group)]
        text = json.dumps({"tipo": "mensaje", "mensaje": f"{sent}:{now_ns()}"})
        await sender.ws.send_str(text)
        sent += 1
        expected += len(group)
        await asyncio.sleep(max(0.0, start + sent * interval - time.perf_counter()))
    send_s = time.perf_counter() - start
    deadline = time.perf_counter() + spec["drain_s"]
    # Poll the delivery count (bounded by the deadline) rather than signal from every reader.
    while len(latencies) < expected and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter() - start
    for s in sockets:
        await s.ws.close()
    for task in readers:
        task.cancel()
    await session.close()
    used = (cpu_end.ru_utime + cpu_end.ru_stime) - (cpu_start.ru_utime + cpu_start.ru_stime)
    print(json.dumps({
        "sent": sent, "expected": expected, "send_s": send_s, "lag_max_s": lag_max,
        "received": sum(len(s.numbers) for s in sockets),
        "duplicated": sum(s.duplicated for s in sockets),
        "disordered": sum(disordered(group) for group in by_ticket.values()),
        "cpu_share": used / wall,
        "latencies": [round(x, 3) for x in latencies],
    }), flush=True)  # fmt: skip


# --- driving a server --------------------------------------------------------------------------


@dataclass
class Result:
    """One run against one server."""

    latencies_ms: list[float] = field(default_factory=list)
    sent: int = 0
    expected: int = 0
    received: int = 0
    duplicated: int = 0
    disordered: int = 0
    rate: float = 0.0
    client_cpu: list[float] = field(default_factory=list)
    lag_max_s: float = 0.0
    connect_s: float = 0.0
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    server_cpu_share: float = 0.0
    server_cpu_per_message_ms: float = 0.0
    per_worker_sockets: list[int] = field(default_factory=list)

    @property
    def lost(self) -> int:
        """Deliveries expected but never received."""
        return self.expected - self.received

    def per_socket_kib(self, sockets: int) -> float:
        """Server memory per socket."""
        return (self.rss_after_kib - self.rss_before_kib) / max(1, sockets)


def server_pids(pid: int, workers: int) -> list[int]:
    """The processes that hold the sockets: the server, or gunicorn's workers."""
    return children(pid) if workers > 1 else [pid]


def socket_count(pid: int) -> int:
    """Open sockets of a process (its WebSockets, give or take a few)."""
    fds = Path(f"/proc/{pid}/fd")
    n = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            n += os.readlink(fd).startswith("socket:")
    return n


def drive(
    base: str, pid: int, workers: int, ticket_ids: list[int], token: str | None,
    args: argparse.Namespace,
) -> Result:  # fmt: skip
    """Start the client processes, connect, measure memory, send, and gather their reports."""
    per_ticket = args.sockets // args.tickets
    shares = [ticket_ids[k :: args.clients] for k in range(args.clients)]
    pids = server_pids(pid, workers)
    result = Result(rss_before_kib=sum(rss_kib(p) for p in pids))
    before_sockets = [socket_count(p) for p in pids]
    procs = []
    for share in shares:
        spec = {"base": base, "token": token, "tickets": share, "per_ticket": per_ticket,
                "rate": args.rate * len(share) / len(ticket_ids), "seconds": args.seconds,
                "drain_s": DRAIN_S}  # fmt: skip
        cmd = [sys.executable, __file__, "--client"]
        if args.client_cpus:
            cmd = ["taskset", "-c", args.client_cpus, *cmd]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(spec) + "\n")
        proc.stdin.flush()
        procs.append(proc)
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line:
                raise SystemExit(f"a client failed while connecting (exit {proc.wait()})")
            result.connect_s = max(result.connect_s, json.loads(line)["connect_s"])
        time.sleep(1.0)  # let the server settle (the joins' presence frames)
        result.rss_after_kib = sum(rss_kib(p) for p in pids)
        result.per_worker_sockets = [
            socket_count(p) - b for p, b in zip(pids, before_sockets, strict=True)
        ]
        spy = None
        if args.profile:  # the send phase only, every process of the server
            spy = subprocess.Popen(
                [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid),
                 "--subprocesses", "--format", "raw", "--rate", "100", "--nonblocking",
                 "--output", args.profile],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(1.0)  # py-spy attaching
        cpu_before, t0 = cpu(pid), time.perf_counter()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        reports = []
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line:
                raise SystemExit(f"a client failed while sending (exit {proc.wait()})")
            reports.append(json.loads(line))
        result.server_cpu_share = (cpu(pid) - cpu_before) / (time.perf_counter() - t0)
        result.server_cpu_per_message_ms = (
            (cpu(pid) - cpu_before) * 1000 / max(1, sum(r["sent"] for r in reports))
        )
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=30)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    for r in reports:
        result.latencies_ms += r["latencies"]
        result.sent += r["sent"]
        result.expected += r["expected"]
        result.received += r["received"]
        result.duplicated += r["duplicated"]
        result.disordered += r["disordered"]
        result.client_cpu.append(r["cpu_share"])
        result.lag_max_s = max(result.lag_max_s, r["lag_max_s"])
    result.rate = result.sent / max(r["send_s"] for r in reports)
    return result


async def setup_soporte(base: str, tickets: int) -> tuple[list[int], str]:
    """Log in the bench users and create the tickets; returns ticket ids and the customer's
    token (every socket is the customer's: the usual live socket is a customer's on their
    ticket)."""
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{base}/api/auth/token/", json={"username": "bench_cliente", "password": "benchmark1"}
        ) as r:
            cliente = str((await r.json())["token"])
        sem = asyncio.Semaphore(8)

        async def crear(i: int) -> int:
            async with (
                sem,
                session.post(
                    f"{base}/api/soporte/tickets/",
                    headers={"Authorization": f"Bearer {cliente}"},
                    json={
                        "asunto": f"Chat {i}",
                        "categoria": "GENERAL",
                        "prioridad": "MEDIA",
                        "descripcion": "benchmark",
                    },
                ) as r,
            ):
                return int((await r.json())["id"])

        return list(await asyncio.gather(*(crear(i) for i in range(tickets)))), cliente


def soporte_env(tmp: Path, args: argparse.Namespace, database: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")}
    env.update(
        SOPORTE_DATABASE_URL=database or f"sqlite://{tmp}/bench.db",
        SOPORTE_PLUGINS="tickets,chat",
        SOPORTE_MEDIA_DIR=str(tmp / "media"),
        SOPORTE_SECRET_KEY="bench",
        SOPORTE_ESCALAMIENTO_INTERVAL="0",
        SOPORTE_LOG_LEVEL="WARNING",
        # One customer's N sockets and message stream is the load being measured, not abuse:
        # the per-user limits are off (a hit costs ~25 µs in memory).
        SOPORTE_RATE_TICKETS="off",
        SOPORTE_RATE_CHAT_MESSAGES="off",
        SOPORTE_RATE_SOCKET_OPENS="off",
        SOPORTE_RATE_SOCKET_REFUSALS="off",
        SOPORTE_MAX_SOCKETS_PER_USER="100000",
    )
    if args.redis_url:
        env["SOPORTE_REDIS_URL"] = args.redis_url
    return env


def start_soporte(
    tmp: Path, port: int, args: argparse.Namespace, database: str | None
) -> subprocess.Popen[bytes]:
    """Migrate, create the bench users, start the server (its log: ``--server-log``)."""
    env = soporte_env(tmp, args, database)
    subprocess.run([SOPORTE, "migrate"], env=env, check=True, capture_output=True)
    for user, rol in (("bench_cliente", "CLIENTE"), ("bench_agente", "AGENTE")):
        subprocess.run(
            [SOPORTE, "createuser", "--username", user, "--password", "benchmark1", "--rol", rol],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
    cmd = [SOPORTE, "run", "--host", "127.0.0.1", "--port", str(port)]
    if args.workers > 1:
        cmd += ["--workers", str(args.workers)]
    # The log goes to a file: a pipe nobody reads would block the server once full.
    log = open(args.server_log, "ab")  # noqa: SIM115 (the child holds it)
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=log,
        preexec_fn=lambda: raise_nofile(args.sockets + 1024),
    )  # fmt: skip


def run_one(kind: str, args: argparse.Namespace) -> Result:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = None
    if kind == "soporte" and args.database_url:
        nombre = f"bench_chat_{secrets.token_hex(4)}"
        database = con_base(args.database_url, nombre)
        asyncio.run(pg_execute(args.database_url, f'CREATE DATABASE "{nombre}"'))
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            if kind == "soporte":
                proc = start_soporte(Path(tmpdir), port, args, database)
            else:
                proc = subprocess.Popen(
                    [sys.executable, __file__, "--serve-baseline", str(port)],
                    stdout=subprocess.DEVNULL,
                    preexec_fn=lambda: raise_nofile(args.sockets + 1024),
                )
            try:
                asyncio.run(wait_healthy(base, proc))
                if kind == "soporte":
                    ids, token = asyncio.run(setup_soporte(base, args.tickets))
                    workers = args.workers
                else:
                    ids, token, workers = list(range(1, args.tickets + 1)), None, 1
                return drive(base, proc.pid, workers, ids, token, args)
            finally:
                stop(proc)
    finally:
        if database:
            name = database.rsplit("/")[-1]
            asyncio.run(
                pg_execute(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )


def verdict(ok: bool) -> str:
    return "met" if ok else "NO"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--rate", type=float, default=500.0, help="messages per second in all")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--client-cpus", default="", help="taskset CPU list for the clients")
    parser.add_argument("--workers", type=int, default=1, help="soporte run --workers N")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server to use")
    parser.add_argument("--redis-url", default="", help="Redis (the channel layer)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--profile", default="", help="py-spy raw profile of the send phase")
    parser.add_argument(
        "--server-log", default=os.devnull, help="where soporte's log goes (default: nowhere)"
    )
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-baseline", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        asyncio.run(client(json.loads(sys.stdin.readline())))
        return
    if args.serve_baseline:
        web.run_app(
            baseline_app(), host="127.0.0.1", port=args.serve_baseline, print=None, access_log=None
        )
        return
    if args.workers > 1 and not (args.database_url and args.redis_url):
        parser.error("--workers > 1 needs --database-url (PostgreSQL) and --redis-url")
    if args.sockets % args.tickets:
        parser.error("--sockets must be a multiple of --tickets")

    kinds = ("soporte",) if args.no_baseline else ("baseline", "soporte")
    where = (
        f"{args.workers} processes (gunicorn workers) on PostgreSQL + Redis"
        if args.workers > 1
        else "one process, " + ("PostgreSQL + Redis" if args.database_url else "SQLite")
    )
    rows: list[tuple[str, Result]] = []
    for run in range(args.runs):
        for kind in kinds:
            res = run_one(kind, args)
            rows.append((kind, res))
            split = f", sockets per worker {res.per_worker_sockets}" if args.workers > 1 else ""
            print(
                f"{kind:<8} run {run + 1}: sent {res.sent} ({res.rate:.0f}/s), delivered "
                f"{res.received}/{res.expected} (missing {res.lost}, twice {res.duplicated}, "
                f"out of order {res.disordered} sockets), latency ms p50 "
                f"{pct(res.latencies_ms, 50):.2f} "
                f"p99 {pct(res.latencies_ms, 99):.2f} max {pct(res.latencies_ms, 100):.2f}, "
                f"memory/socket {res.per_socket_kib(args.sockets):.1f} KiB, server CPU "
                f"{res.server_cpu_share:.0%} ({res.server_cpu_per_message_ms:.2f} ms per message), "
                f"clients' CPU "
                f"{', '.join(f'{c:.0%}' for c in res.client_cpu)}, connect {res.connect_s:.1f} s"
                f"{split}",
                flush=True,
            )

    def med(kind: str, f: Any) -> float:
        return statistics.median(f(r) for k, r in rows if k == kind)

    def p(q: float) -> Any:
        return lambda r: pct(r.latencies_ms, q)

    soporte = [r for k, r in rows if k == "soporte"]
    lost = sum(r.lost for r in soporte)
    twice = sum(r.duplicated for r in soporte)
    disordered = sum(r.disordered for r in soporte)
    p99 = med("soporte", p(99))
    rate = med("soporte", lambda r: r.rate)
    client_max = max(c for r in soporte for c in r.client_cpu)
    print()
    print(
        f"medians over {args.runs} runs — {args.sockets} sockets, {args.tickets} tickets, "
        f"{args.rate:g} msg/s for {args.seconds:g} s; soporte: {where}; "
        f"{args.clients} client processes"
    )
    print(f"{'':<10}{'p50 ms':>10}{'p99 ms':>10}{'msg/s':>8}{'KiB/socket':>12}{'server CPU':>12}")
    for kind in kinds:
        print(
            f"{kind:<10}{med(kind, p(50)):>10.2f}{med(kind, p(99)):>10.2f}"
            f"{med(kind, lambda r: r.rate):>8.0f}"
            f"{med(kind, lambda r: r.per_socket_kib(args.sockets)):>12.1f}"
            f"{med(kind, lambda r: r.server_cpu_share):>12.0%}"
        )
    if not args.no_baseline:
        print(
            f"ratio soporte/baseline: p50 {med('soporte', p(50)) / med('baseline', p(50)):.2f}×, "
            f"p99 {p99 / med('baseline', p(99)):.2f}×"
        )
    print(
        f"clients' CPU at most {client_max:.0%} of a core"
        + (" — the load generator may limit these figures" if client_max > 0.8 else "")
    )
    label = f"chat {args.sockets:,} sockets, {where}"
    checks = [
        (f"p99 < {P99_MAX_MS:g} ms ({p99:.1f})", p99 < P99_MAX_MS),
        (
            f"nothing missing {DRAIN_S:g} s after the last send, twice or out of order "
            f"({lost}, {twice}, {disordered})",
            lost == twice == disordered == 0,
        ),
        (
            f"≥ {RATE_MIN_SHARE:.0%} of {args.rate:g} msg/s ({rate:.0f})",
            rate >= RATE_MIN_SHARE * args.rate,
        ),
    ]
    for text, ok in checks:
        print(f"target {label}: {text}: {verdict(ok)}")
    print(f"chat fan-out targets met: {'yes' if all(ok for _, ok in checks) else 'NO'}")
    print("reproduce: " + shlex.join([".venv/bin/python", "bench/chat_fanout.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
