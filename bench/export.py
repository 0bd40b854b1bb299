"""CSV export benchmark: ``GET /api/soporte/tickets/exportar/`` streams with flat memory.

For each scale it builds a fresh SQLite database (``soporte migrate`` + ``soporte demo
--tickets N``, replies included), starts ``soporte run`` as a subprocess, and downloads the
whole export as an agent while sampling the server's resident memory (``/proc/<pid>/status``
``VmRSS`` every 20 ms; ``VmHWM``, the kernel's own peak, before and after). It reports rows,
seconds, MB/s and the server's memory before and during the download. Flat memory means the
peak during the million-row export is within a few MB of the 10,000-row one; the target is a
peak-RSS growth below ``--max-growth-mib`` (50 MiB) from the smallest to the largest scale.

It then checks a client leaving mid-stream on the real server (aiohttp without handler
cancellation: the server sees the broken connection at its next write): read 256 KB, close,
and the server must still answer and export.

    .venv/bin/python bench/export.py                         # 10,000 and 1,000,000 tickets
    .venv/bin/python bench/export.py --tickets 10000 100000  # quicker
    .venv/bin/python bench/export.py --postgres postgres://postgres@127.0.0.1:54344/postgres

The machine is shared: seconds and MB/s vary with its load; the memory figures do not.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from _util import free_port, rss_kib, stop, wait_healthy
from api import login, prepare_database, run_env

BIN = Path(sys.executable).parent
SOPORTE = str(BIN / "soporte")
MAX_GROWTH_MIB = 50.0


@dataclass
class Result:
    """One scale's export."""

    tickets: int
    generation_s: float = 0.0
    expected: int = 0
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    rss_before_mib: float = 0.0
    hwm_before_mib: float = 0.0
    rss_peak_mib: float = 0.0
    hwm_after_mib: float = 0.0
    disconnect_ok: bool = False

    @property
    def mb_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0


async def download(base: str, token: str, pid: int, result: Result, batch: int) -> None:
    """The whole export, chunk by chunk (nothing kept), with the server's RSS sampled."""
    peak = 0
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_kib(pid))
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=None, sock_read=600)
    start = time.perf_counter()
    tail = b""
    async with (
        aiohttp.ClientSession(timeout=timeout) as s,
        s.get(f"{base}/api/soporte/tickets/exportar/", headers=headers) as r,
    ):
        assert r.status == 200, await r.text()
        async for chunk in r.content.iter_chunked(256 * 1024):
            result.bytes += len(chunk)
            # Rows end with CRLF; a CRLF split across two chunks is counted once.
            result.rows += (tail + chunk).count(b"\r\n") - tail.count(b"\r\n")
            tail = chunk[-1:]
    result.seconds = time.perf_counter() - start
    done.set()
    await sampler
    result.rows -= 1  # the header
    result.rss_peak_mib = peak / 1024


async def disconnect(base: str, token: str) -> bool:
    """Read 256 KB of an export and close; the server must then still serve an export."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{base}/api/soporte/tickets/exportar/", headers=headers) as r:
            await r.content.read(256 * 1024)
            r.close()
        await asyncio.sleep(0.5)
        async with s.get(f"{base}/healthz") as r:
            if r.status != 200:
                return False
        params = {"estado": "ABIERTO", "size": "1"}
        async with s.get(
            f"{base}/api/soporte/tickets/exportar/", headers=headers, params=params
        ) as r:
            return r.status == 200 and (await r.read()).startswith("\ufeff".encode())


async def _pg(url: str, sql: str) -> object:
    """One statement on a PostgreSQL server (its first value)."""
    import asyncpg  # only with --postgres (the `scale` extra)

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def measure(tickets: int, args: argparse.Namespace) -> Result:
    """Generate, serve and export one scale."""
    result = Result(tickets)
    tmp = Path(tempfile.mkdtemp(prefix=f"soporte-export-{tickets}-", dir=args.tmp))
    db = tmp / "bench.db"
    env = run_env(db, tmp / "media")
    env["SOPORTE_EXPORT_BATCH_SIZE"] = str(args.batch)
    pg = None
    if args.postgres:
        # A database of its own per scale on that server (dropped afterwards unless --keep).
        pg = f"{args.postgres.rsplit('/', 1)[0]}/soporte_export_{tickets}"
        asyncio.run(_pg(args.postgres, f"DROP DATABASE IF EXISTS soporte_export_{tickets}"))
        asyncio.run(_pg(args.postgres, f"CREATE DATABASE soporte_export_{tickets}"))
        env["SOPORTE_DATABASE_URL"] = pg
    print(f"\n== {tickets:,} tickets: generating…", flush=True)
    result.generation_s = prepare_database(tickets, db, env, None if pg else args.cache)
    # The demo adds its handful of named tickets to the N generated ones.
    if pg:
        result.expected = int(asyncio.run(_pg(pg, "SELECT COUNT(*) FROM tickets_ticket")))
    else:
        con = sqlite3.connect(db)
        try:
            (result.expected,) = con.execute("SELECT COUNT(*) FROM tickets_ticket").fetchone()
        finally:
            con.close()
    print(f"   generated in {result.generation_s:.1f} s", flush=True)
    port = free_port()
    proc = subprocess.Popen(
        [SOPORTE, "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(wait_healthy(base, proc))
        token = asyncio.run(login(base, "agente", "agente123"))
        result.rss_before_mib = rss_kib(proc.pid) / 1024
        result.hwm_before_mib = rss_kib(proc.pid, "VmHWM") / 1024
        asyncio.run(download(base, token, proc.pid, result, args.batch))
        result.hwm_after_mib = rss_kib(proc.pid, "VmHWM") / 1024
        result.disconnect_ok = asyncio.run(disconnect(base, token))
    finally:
        stop(proc)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
            if pg:
                asyncio.run(_pg(args.postgres, f"DROP DATABASE soporte_export_{tickets}"))
    print(
        f"   {result.rows:,} rows, {result.bytes / 1e6:,.1f} MB in {result.seconds:.1f} s "
        f"({result.mb_s:.1f} MB/s); server RSS {result.rss_before_mib:.1f} MiB before, "
        f"peak {result.rss_peak_mib:.1f} MiB during (VmHWM {result.hwm_before_mib:.1f} → "
        f"{result.hwm_after_mib:.1f} MiB); disconnect mid-stream: "
        f"{'ok' if result.disconnect_ok else 'BROKEN'}",
        flush=True,
    )
    return result


def report(results: list[Result], max_growth: float) -> bool:
    """The markdown table and the verdict; whether the target is met."""
    print("\n| tickets | rows | MB | seconds | MB/s | RSS before | peak RSS during | VmHWM after |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.tickets:,} | {r.rows:,} | {r.bytes / 1e6:,.1f} | {r.seconds:.1f} | "
            f"{r.mb_s:.1f} | {r.rss_before_mib:.1f} MiB | {r.rss_peak_mib:.1f} MiB | "
            f"{r.hwm_after_mib:.1f} MiB |"
        )
    ok = all(r.rows == r.expected for r in results) and all(r.disconnect_ok for r in results)
    if len(results) > 1:
        growth = results[-1].rss_peak_mib - results[0].rss_peak_mib
        met = growth < max_growth
        print(
            f"\npeak RSS growth {results[0].tickets:,} → {results[-1].tickets:,} tickets: "
            f"{growth:+.1f} MiB (target < {max_growth:.0f} MiB): {'met' if met else 'NO'}"
        )
        ok = ok and met
    print(f"every row exported and disconnects harmless: {'met' if ok else 'NO'}")
    return ok


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tickets", type=int, nargs="+", default=[10_000, 1_000_000], help="Scales."
    )
    parser.add_argument("--batch", type=int, default=1000, help="SOPORTE_EXPORT_BATCH_SIZE.")
    parser.add_argument("--max-growth-mib", type=float, default=MAX_GROWTH_MIB)
    parser.add_argument(
        "--postgres",
        default=None,
        help="A PostgreSQL URL (postgres://user@host:port/db): each scale gets a database of "
        "its own on that server instead of a SQLite file.",
    )
    parser.add_argument("--cache", type=Path, default=None, help="Reuse generated databases.")
    parser.add_argument("--tmp", default=None, help="Where temporary databases go.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary databases.")
    return parser.parse_args()


def main(args: argparse.Namespace) -> None:
    results = [measure(n, args) for n in sorted(args.tickets)]
    if not report(results, args.max_growth_mib):
        raise SystemExit(1)


if __name__ == "__main__":
    main(parse_args())
