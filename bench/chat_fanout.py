"""Chat fan-out benchmark: N sockets over M tickets, a message rate, delivery latency and memory.

Starts a real ``soporte run`` (plugins tickets + chat, a fresh SQLite file) in a subprocess and,
for comparison in the same run, a bare aiohttp WebSocket server that fans messages out to the
same groups without storing anything. Both are driven by the same client code in this process.

    .venv/bin/python bench/chat_fanout.py --sockets 400 --tickets 20 --rate 40 --seconds 10

Prints latency percentiles (send → receive, every delivery), deliveries, server memory per
socket, and the ratio of soporte to the bare baseline. Quote ratios and medians: the machine is
shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


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


# --- driving a server --------------------------------------------------------------------------


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    sent: int = 0
    expected: int = 0
    rss_before_kib: int = 0
    rss_after_kib: int = 0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q * len(data)))]


async def wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            if proc.poll() is not None:
                raise SystemExit(f"server exited early with code {proc.returncode}")
            try:
                async with session.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit("server did not become healthy")


async def drive(
    base: str,
    pid: int,
    ticket_ids: list[int],
    token: str | None,
    sockets: int,
    rate: float,
    seconds: float,
) -> Result:
    """Open the sockets, send at ``rate`` for ``seconds``, and time every delivery."""
    result = Result()
    ws_base = base.replace("http://", "ws://")
    # No connection limit: aiohttp's default (100) made socket 101 wait forever.
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    result.rss_before_kib = rss_kib(pid)
    by_ticket: dict[int, list[aiohttp.ClientWebSocketResponse]] = {t: [] for t in ticket_ids}
    params = {"historial": "0"}
    if token:
        params["token"] = token
    conns = []
    for i in range(sockets):
        tid = ticket_ids[i % len(ticket_ids)]
        ws = await session.ws_connect(f"{ws_base}/ws/soporte/ticket/{tid}/", params=params)
        by_ticket[tid].append(ws)
        conns.append(ws)
    for ws in conns:  # wait for connection_status on each
        while True:
            msg = await ws.receive()
            if json.loads(msg.data).get("tipo") == "connection_status":
                break
    await asyncio.sleep(0.5)
    result.rss_after_kib = rss_kib(pid)

    async def reader(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            if data.get("tipo") == "mensaje":
                sent_ns = int(data["contenido"].split(":", 1)[1])
                result.latencies_ms.append((time.perf_counter_ns() - sent_ns) / 1e6)

    readers = [asyncio.create_task(reader(ws)) for ws in conns]
    interval = 1.0 / rate
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < seconds:
        tid = ticket_ids[n % len(ticket_ids)]
        group = by_ticket[tid]
        sender = group[(n // len(ticket_ids)) % len(group)]
        await sender.send_str(
            json.dumps(
                {
                    "tipo": "mensaje",
                    "mensaje": f"{n}:{time.perf_counter_ns()}",
                    "timestamp": "2026-01-01T00:00:00Z",
                }
            )
        )
        result.sent += 1
        result.expected += len(group)
        n += 1
        next_at = start + n * interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    deadline = time.perf_counter() + 10
    # Poll the delivery count (bounded by the deadline) rather than signal from every reader.
    while len(result.latencies_ms) < result.expected and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    for ws in conns:
        await ws.close()
    for task in readers:
        task.cancel()
    await session.close()
    return result


async def setup_soporte(base: str, env: dict[str, str], tickets: int) -> tuple[list[int], str]:
    """Log in the bench users and create the tickets; returns ticket ids and the agent's token."""
    async with aiohttp.ClientSession() as session:

        async def login(username: str) -> str:
            async with session.post(
                f"{base}/api/auth/token/", json={"username": username, "password": "benchmark1"}
            ) as r:
                return (await r.json())["token"]

        cliente, agente = await login("bench_cliente"), await login("bench_agente")
        ids = []
        for i in range(tickets):
            async with session.post(
                f"{base}/api/soporte/tickets/",
                headers={"Authorization": f"Bearer {cliente}"},
                json={
                    "asunto": f"Chat {i}",
                    "categoria": "GENERAL",
                    "prioridad": "MEDIA",
                    "descripcion": "benchmark",
                },
            ) as r:
                ids.append((await r.json())["id"])
        return ids, agente


def start_soporte(tmp: Path, port: int) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    env = dict(os.environ)
    env.update(
        SOPORTE_DATABASE_URL=f"sqlite://{tmp}/bench.db",
        SOPORTE_PLUGINS="tickets,chat",
        SOPORTE_MEDIA_DIR=str(tmp / "media"),
        SOPORTE_ESCALAMIENTO_INTERVAL="0",
        SOPORTE_LOG_LEVEL="WARNING",
        # One agent's N sockets and message stream is the load being measured, not abuse: the
        # per-user chat limits are off (a hit costs ~25 µs in memory).
        SOPORTE_RATE_CHAT_MESSAGES="off",
        SOPORTE_RATE_SOCKET_OPENS="off",
        SOPORTE_MAX_SOCKETS_PER_USER="100000",
    )
    soporte = str(BIN / "soporte")
    subprocess.run([soporte, "migrate"], env=env, check=True, capture_output=True)
    for user, rol in (("bench_cliente", "CLIENTE"), ("bench_agente", "AGENTE")):
        subprocess.run(
            [soporte, "createuser", "--username", user, "--password", "benchmark1", "--rol", rol],
            env=env,
            check=True,
            capture_output=True,
        )
    proc = subprocess.Popen(
        [soporte, "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return proc, env


def start_baseline(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, "--serve-baseline", str(port)],
        stdout=subprocess.DEVNULL,
    )


async def run_one(kind: str, args: argparse.Namespace) -> Result:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmpdir:
        if kind == "soporte":
            proc, env = start_soporte(Path(tmpdir), port)
        else:
            proc, env = start_baseline(port), {}
        try:
            await wait_healthy(base, proc)
            if kind == "soporte":
                ids, token = await setup_soporte(base, env, args.tickets)
            else:
                ids, token = list(range(1, args.tickets + 1)), None
            return await drive(base, proc.pid, ids, token, args.sockets, args.rate, args.seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sockets", type=int, default=400)
    parser.add_argument("--tickets", type=int, default=20)
    parser.add_argument("--rate", type=float, default=40.0, help="messages per second in all")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serve-baseline", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        web.run_app(
            baseline_app(), host="127.0.0.1", port=args.serve_baseline, print=None, access_log=None
        )
        return

    rows = []
    for run in range(args.runs):
        for kind in ("baseline", "soporte"):
            res = asyncio.run(run_one(kind, args))
            rows.append((kind, run, res))
            per_socket = (res.rss_after_kib - res.rss_before_kib) / max(1, args.sockets)
            print(
                f"{kind:<8} run {run + 1}: sent {res.sent}, delivered "
                f"{len(res.latencies_ms)}/{res.expected}, latency ms p50 {res.pct(0.5):.2f} "
                f"p90 {res.pct(0.9):.2f} p99 {res.pct(0.99):.2f} max {res.pct(1.0):.2f}, "
                f"memory/socket {per_socket:.1f} KiB"
            )

    def median(kind: str, q: float) -> float:
        return statistics.median(r.pct(q) for k, _, r in rows if k == kind)

    def median_mem(kind: str) -> float:
        return statistics.median(
            (r.rss_after_kib - r.rss_before_kib) / max(1, args.sockets)
            for k, _, r in rows
            if k == kind
        )

    lost = sum(r.expected - len(r.latencies_ms) for k, _, r in rows if k == "soporte")
    print()
    print(
        f"medians over {args.runs} runs — {args.sockets} sockets, {args.tickets} tickets, "
        f"{args.rate:g} msg/s for {args.seconds:g} s"
    )
    print(f"{'':<10}{'p50 ms':>10}{'p99 ms':>10}{'KiB/socket':>12}")
    for kind in ("baseline", "soporte"):
        print(
            f"{kind:<10}{median(kind, 0.5):>10.2f}{median(kind, 0.99):>10.2f}"
            f"{median_mem(kind):>12.1f}"
        )
    print(
        f"ratio soporte/baseline: p50 {median('soporte', 0.5) / median('baseline', 0.5):.2f}×, "
        f"p99 {median('soporte', 0.99) / median('baseline', 0.99):.2f}×; "
        f"deliveries lost by soporte: {lost}"
    )
    print("reproduce: " + shlex.join([".venv/bin/python", "bench/chat_fanout.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
