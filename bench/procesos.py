"""Issue 21 on several processes: ``--workers 2`` against 1, and the chat through Redis.

    .venv/bin/python bench/procesos.py                 # throwaway PostgreSQL and Redis
    .venv/bin/python bench/procesos.py --database-url postgres://… --redis-url redis://…

Without URLs, starts a throwaway PostgreSQL and Redis with ``scripts/postgres.sh`` and
``scripts/redis.sh`` (their ports and directories from ``SOPORTE_PG_PORT``/``SOPORTE_PG_DIR`` and
``SOPORTE_REDIS_PORT``/``SOPORTE_REDIS_DIR``, as the scripts read them) and stops them at the
end. Then runs ``bench/workers.py`` (the lists' req/s, 2 workers : 1, target ≥ 1.7×) and
``bench/chat_fanout.py --workers 2`` (5,000 sockets spread by the kernel over two gunicorn
workers, the messages crossing between them through Redis: p99, nothing lost, each ticket's
order), and prints their summaries with the targets; the last line says whether all are met.
``make bench`` runs it after ``bench/api.py``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import ROOT


def service(script: str, action: str) -> str:
    """``scripts/<script> start|stop``; the URL it prints."""
    out = subprocess.run(
        [str(ROOT / "scripts" / script), action], capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def run(cmd: list[str], keep_from: str) -> tuple[list[str], bool]:
    """Run a bench script, echoing its output; its summary (from the line that starts with
    ``keep_from``) and whether it succeeded."""
    print(f"\n== {shlex.join(cmd[1:])}", flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    sys.stdout.write(out.stdout)
    if out.returncode:
        tail = out.stderr.strip().splitlines()[-3:]
        return [f"{cmd[1]} failed: {' / '.join(tail)}"], False
    lines = out.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(keep_from)), 0)
    return lines[start:], True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chat-args", default="", help="more options for chat_fanout.py")
    args = parser.parse_args()
    started = []
    try:
        if not args.database_url:
            args.database_url = service("postgres.sh", "start")
            started.append("postgres.sh")
        if not args.redis_url:
            args.redis_url = service("redis.sh", "start")
            started.append("redis.sh")
        urls = ["--database-url", args.database_url, "--redis-url", args.redis_url]
        py = sys.executable
        workers, ok_w = run(
            [py, "bench/workers.py", *urls, "--runs", str(args.runs)], keep_from="ratio"
        )
        chat, ok_c = run(
            [py, "bench/chat_fanout.py", "--workers", "2", "--no-baseline", *urls,
             "--runs", str(args.runs), *shlex.split(args.chat_args)],
            keep_from="medians over",
        )  # fmt: skip
    finally:
        for script in started:
            service(script, "stop")
    met = (
        ok_w
        and ok_c
        and not any(": NO" in line for line in workers)
        and "chat fan-out targets met: yes" in chat
    )
    print("\n== several processes (PostgreSQL + Redis)")
    print("\n".join(["`bench/workers.py`:", *workers, "", "`bench/chat_fanout.py --workers 2`:",
                     *chat]))  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"several-process targets met: {'yes' if met else 'NO'}")


if __name__ == "__main__":
    main()
