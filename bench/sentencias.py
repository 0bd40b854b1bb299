"""Statements per agent reply, counted from the database's own statement log.

    .venv/bin/python bench/sentencias.py [--replies 20] [--plugins tickets,…] [--show]

One ``soporte run`` on a fresh SQLite file with tortoise's SQL log on
(``SOPORTE_LOG_LEVEL=DEBUG``: one ``tortoise.db_client`` line per statement; ``BEGIN`` and
``COMMIT`` are not logged), prepared as ``bench/notificaciones.py`` prepares its servers (a
ticket per customer and a first agent reply on each, then every notification read, so every
measured reply queues its customer's mail). Then ``--replies`` sequential agent replies, and
the lines logged from the first reply until the server is idle, divided by the replies: the
outbox worker's claims and records are counted with the replies they deliver. Prints the
count per reply for each plugin set (by default with and without ``notificaciones``) and,
with ``--show``, the statements of one reply.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path

import aiohttp
import notificaciones as bench
from _util import free_port, stop

LOGGER = "tortoise.db_client"


def start(plugins: str, customers: int) -> tuple[bench.Server, Path]:
    """A migrated, seeded server with ``plugins`` and the SQL log on; the log's path."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-sentencias-"))
    env = {**bench.server_env(tmp, plugins), "SOPORTE_LOG_LEVEL": "DEBUG"}
    subprocess.run([bench.SOPORTE, "migrate"], env=env, check=True, capture_output=True)
    agent, tokens = bench.seed_users(tmp / "bench.db", customers)
    port = free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [bench.SOPORTE, "run", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    return bench.Server("sentencias", proc, f"http://127.0.0.1:{port}", tmp, agent, tokens), log


async def count(plugins: str, replies: int) -> tuple[float, list[str]]:
    """Statements logged per reply on a server with ``plugins``; the lines of the first."""
    server, log = start(plugins, replies + 1)
    proc, agent, tmp = server.proc, server.agent, server.tmp
    try:
        await bench.prepare(server)
        if "notificaciones" in plugins.split(","):
            await bench.read_all(server)
        await bench.wait_idle(proc.pid)
        mark = log.stat().st_size
        async with aiohttp.ClientSession(server.base) as session:
            for ticket in server.tickets[:replies]:
                await bench.reply(session, agent, ticket)
        await bench.wait_idle(proc.pid)
        text = log.read_bytes()[mark:].decode(errors="replace")
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    lines = [line for line in text.splitlines() if LOGGER in line]
    return len(lines) / replies, lines[: round(len(lines) / replies)]


async def run(args: argparse.Namespace) -> None:
    for plugins in args.plugins:
        per_reply, first = await count(plugins, args.replies)
        print(f"{plugins}: {per_reply:.1f} statements per reply ({args.replies} replies)")
        if args.show:
            for line in first:
                print("   ", line.split(LOGGER, 1)[1][:240])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--replies", type=int, default=20)
    parser.add_argument(
        "--plugins",
        nargs="+",
        default=[bench.PLUGINS_WITHOUT, bench.PLUGINS_WITH],
        help="one comma-separated plugin set per server",
    )
    parser.add_argument("--show", action="store_true", help="print one reply's statements")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
