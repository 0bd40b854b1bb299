"""Throughput of ``soporte run --workers N`` on PostgreSQL and Redis: 1 worker against 2.

    scripts/postgres.sh start && scripts/redis.sh start
    .venv/bin/python bench/workers.py \\
        --database-url postgres://postgres@127.0.0.1:54329/soporte_test \\
        --redis-url redis://127.0.0.1:63799/0

Creates a throwaway database next to the one given, migrates it once and loads the demo data
(plus ``--tickets`` more tickets through the API), then for each worker count starts the server,
and measures with ``wrk`` (median of ``--runs``): ``GET /healthz`` (no database), an agent's
ticket list (token lookup, one page of a paginated query, the items' load), a FAQ search, and
ticket creation (a write; the tickets it created are deleted before the next worker count, so
that every count reads the same table). Prints req/s, p99 and the CPU time per request of soporte's
processes and of PostgreSQL's (when it runs on this machine), and the ratio 2 workers : 1. The
load generator shares the cores with the server and PostgreSQL: quote ratios; the CPU figures
per request hold whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import ROOT, Request, Runs, cpu, free_port, json_request, load, stop, wait_healthy

SOPORTE = str(ROOT / ".venv" / "bin" / "soporte")


def entorno(db_url: str, redis_url: str, media: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")}
    env.update(
        SOPORTE_DATABASE_URL=db_url,
        SOPORTE_REDIS_URL=redis_url,
        SOPORTE_SECRET_KEY="bench",
        SOPORTE_MEDIA_DIR=str(media),
        SOPORTE_ESCALAMIENTO_INTERVAL="0",
        SOPORTE_LOG_LEVEL="WARNING",
        # One customer creating tickets as fast as wrk can is the load, not abuse.
        SOPORTE_RATE_TICKETS="off",
    )
    return env


async def token(base: str, username: str, password: str) -> str:
    async with aiohttp.ClientSession() as s:
        r = await s.post(
            f"{base}/api/auth/token/", json={"username": username, "password": password}
        )
        return str((await r.json())["token"])


async def mas_tickets(base: str, cliente: str, n: int) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {cliente}"}) as s:
        sem = asyncio.Semaphore(16)

        async def una(i: int) -> None:
            async with sem:
                body = {"asunto": f"Ticket {i}", "categoria": "GENERAL", "descripcion": "Texto"}
                await s.post(f"{base}/api/soporte/tickets/", json=body)

        await asyncio.gather(*(una(i) for i in range(n)))


def postmaster(port: int) -> int | None:
    """The PostgreSQL server listening on ``port`` (to count its CPU), if it runs here."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"postgres") and str(port).encode() in b" ".join(args):
            return int(proc.name)
    return None


async def sql_en(dsn: str, q: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(q)
    finally:
        await conn.close()


#: Issue 21: the lists served by 2 workers on 2 cores, against 1 worker.
LISTAS = ("GET mis-tickets (customer)", "GET tickets (agent, page 1-5)")
RATIO_MIN = 1.7


def casos(agente: str, cliente: str) -> dict[str, Request]:
    return {
        "GET /healthz": Request(["/healthz"]),
        "GET mis-tickets (customer)": json_request(
            [f"/api/soporte/mis-tickets/?page={p}" for p in range(1, 3)], cliente
        ),
        "GET tickets (agent, page 1-5)": json_request(
            [f"/api/soporte/tickets/?page={p}" for p in range(1, 6)], agente
        ),
        "GET faqs ?q=": json_request(
            [
                "/api/soporte/faqs/?q=reserva",
                "/api/soporte/faqs/?q=pago",
                "/api/soporte/faqs/?q=cancelar",
            ]
        ),
        "POST ticket": json_request(
            ["/api/soporte/tickets/"],
            cliente,
            "POST",
            {"asunto": "Bench", "categoria": "GENERAL", "descripcion": "Carga"},
        ),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True, help="any database on the server to use")
    p.add_argument("--redis-url", required=True)
    p.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--seconds", type=float, default=8)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--tickets", type=int, default=2000, help="tickets added to the demo data")
    args = p.parse_args()

    dsn = "postgres://" + args.database_url.split("://", 1)[1].split("?", 1)[0]
    port = re.search(r":(\d+)/", dsn)
    pg = postmaster(int(port.group(1))) if port else None
    nombre = f"bench_workers_{uuid.uuid4().hex[:8]}"

    async def sql(q: str) -> None:
        await sql_en(dsn, q)

    asyncio.run(sql(f'CREATE DATABASE "{nombre}"'))
    media = Path(f"/tmp/{nombre}-media")
    env = entorno(f"{dsn.rsplit('/', 1)[0]}/{nombre}", args.redis_url, media)
    counts = [int(x) for x in args.workers.split(",")]
    results: dict[int, dict[str, Runs]] = {n: {} for n in counts}
    servers: dict[int, tuple[subprocess.Popen[bytes], str]] = {}
    try:
        subprocess.run([SOPORTE, "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([SOPORTE, "demo"], env=env, check=True, capture_output=True)
        # Every worker count serves at once, and the runs alternate between them: a burst of
        # load from elsewhere on the shared machine falls on all of them alike. Started one
        # after the other (start-up DDL runs one process at a time anyway).
        for n in counts:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            cmd = [SOPORTE, "run", "--host", "127.0.0.1", "--port", str(port), "--workers", str(n)]
            proc = subprocess.Popen(
                cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            servers[n] = proc, base
            asyncio.run(wait_healthy(base, proc))
        first = servers[counts[0]][1]
        agente = asyncio.run(token(first, "agente", "agente123"))
        cliente = asyncio.run(token(first, "cliente", "cliente123"))
        asyncio.run(mas_tickets(first, cliente, args.tickets))
        for nombre_caso, request in casos(agente, cliente).items():
            cpu_s = {n: 0.0 for n in counts}
            pg_s = {n: 0.0 for n in counts}
            for n in counts:
                load(servers[n][1], request, args.connections, 1)  # warm-up, not counted
                results[n][nombre_caso] = Runs()
            for _ in range(args.runs):
                for n in counts:
                    proc, base = servers[n]
                    antes = cpu(proc.pid), cpu(pg) if pg else 0.0
                    results[n][nombre_caso].loads.append(
                        load(base, request, args.connections, args.seconds)
                    )
                    cpu_s[n] += cpu(proc.pid) - antes[0]
                    pg_s[n] += (cpu(pg) - antes[1]) if pg else float("nan")
            for n in counts:
                runs = results[n][nombre_caso]
                total = sum(x.requests for x in runs.loads)
                print(
                    f"workers={n} {nombre_caso:<30} {runs.median('rps'):8.0f} req/s "
                    f"p99 {runs.median('p99'):7.1f} ms  CPU/req: soporte "
                    f"{cpu_s[n] * 1000 / total:5.2f} ms, "
                    f"PostgreSQL {pg_s[n] * 1000 / total:5.2f} ms"
                    f"  errors {runs.errors}",
                    flush=True,
                )
    finally:
        for proc, _ in servers.values():
            stop(proc)
        asyncio.run(sql(f'DROP DATABASE IF EXISTS "{nombre}" WITH (FORCE)'))
    if len(counts) >= 2:
        uno, otro = counts[0], counts[-1]
        print(f"\nratio {otro} workers : {uno} (load average {os.getloadavg()[0]:.1f})")
        for caso in results[uno]:
            r = results[otro][caso].median("rps") / results[uno][caso].median("rps")
            target = ""
            if caso in LISTAS and (uno, otro) == (1, 2):
                target = f"  target ≥ {RATIO_MIN:g}×: {'met' if r >= RATIO_MIN else 'NO'}"
            print(f"  {caso:<30} {r:4.2f}×{target}")


if __name__ == "__main__":
    main()
