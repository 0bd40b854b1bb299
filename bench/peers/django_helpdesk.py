"""soporte beside django-helpdesk at 10,000 tickets: the ticket list and detail, one run.

    .venv/bin/python bench/peers/django_helpdesk.py            # make bench-peers
    .venv/bin/python bench/peers/django_helpdesk.py --runs 3 --seconds 5 --tickets 10000

The peer is django-helpdesk as PyPI ships it (``requirements-django-helpdesk.txt`` pins it and
every dependency), installed on first use into its own virtual environment,
``bench/peers/.venv`` (re-made when the pins change), and served by gunicorn (one process, the
sync worker: Django's usual deployment) from a Django project of its own
(``helpdesk_site/``: DEBUG off, SQLite in WAL mode, session authentication). Its database is
filled by ``helpdesk_site/generar.py`` with what ``soporte demo --tickets N`` gives soporte:
N tickets over two years with ~2.3 follow-ups each, N/20 customers, a few staff members.
soporte is ``soporte run`` (one process) on a fresh ``soporte demo --tickets N`` SQLite file.

Measured with the same client (``wrk``, else the aiohttp generator of ``bench/_util.py``), on
the same machine, interleaved run by run (run *k* hits every case of both in turn), as a staff
member / agent:

* the list, page 1 of 10 newest tickets: soporte's ``GET /api/soporte/tickets/?page=1&size=10``;
  the peer's REST API ``GET /api/tickets/?page=1&page_size=10`` and, as its staff pages read
  it, the ticket list's data (``GET /datatables_ticket_list/<query>``, 10 rows, newest first);
* the detail of a random ticket: soporte's ``GET /api/soporte/tickets/{id}/``; the peer's
  ``GET /api/tickets/{id}/`` and its ticket page (``GET /tickets/{id}/``, HTML).

Latency (p50/p99) with one connection; throughput with ``--connections`` (16) for soporte and
``--peer-connections`` (2) for the peer, whose single sync worker serves one request at a time
(more connections only queue; two keep it busy). A run lasts ``--seconds``, or longer for a
case whose warm-up request took more than a fifth of that (at least five of its answers per
run; wrk's timeout: ten answers' time, at least 10 s); a case slower than a second per answer
is measured with one connection only (:func:`measure`). Prints a table with the ratios
(soporte's req/s to the peer's, and the peer's p50 to soporte's) and the command that
reproduces it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _util import (
    Load,
    Request,
    Runs,
    finish,
    free_port,
    generator_name,
    json_request,
    load,
    stop,
    wait_healthy,
)
from api import login, prepare_database, run_env, sample_ids, start

HERE = Path(__file__).resolve().parent
PEER_VENV = HERE / ".venv"
REQUIREMENTS = HERE / "requirements-django-helpdesk.txt"
PEER_PYTHON = PEER_VENV / "bin" / "python"


@dataclass
class Case:
    """One measured request of one side: its label and what it sends."""

    side: str
    label: str
    request: Request
    #: Which of soporte's cases it is compared with (``None``: soporte's own case).
    versus: str | None = None
    latency: Runs = field(default_factory=Runs)
    throughput: Runs = field(default_factory=Runs)


def ensure_peer_venv() -> None:
    """The peer's virtual environment with exactly the pinned packages (made or re-made when
    the requirements file changed since it was installed)."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    stamp = PEER_VENV / ".requirements-sha256"
    if stamp.exists() and stamp.read_text() == digest and PEER_PYTHON.exists():
        return
    print("== installing django-helpdesk into bench/peers/.venv…", flush=True)
    shutil.rmtree(PEER_VENV, ignore_errors=True)
    venv.create(PEER_VENV, with_pip=True)
    subprocess.run(
        [str(PEER_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(REQUIREMENTS)],
        check=True,
    )  # fmt: skip
    stamp.write_text(digest)


def peer_env(db: Path, media: Path) -> dict[str, str]:
    """The peer's environment: its settings module and this run's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPORTE_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="helpdesk_site.settings",
        HELPDESK_PEER_DB=str(db),
        HELPDESK_PEER_MEDIA=str(media),
        PYTHONPATH=str(HERE),
    )
    return env


def generate_peer(tickets: int, env: dict[str, str], seed: int) -> tuple[dict, float]:
    """Fill the peer's database; returns ``generar.py``'s summary and its seconds."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [str(PEER_PYTHON), "-m", "helpdesk_site.generar", "--tickets", str(tickets),
         "--seed", str(seed)],
        env=env, cwd=HERE, capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(f"helpdesk_site.generar failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1]), time.perf_counter() - t0


def start_peer(env: dict[str, str]) -> tuple[str, subprocess.Popen[bytes]]:
    """gunicorn serving the peer (one sync worker, no access log) on a free loopback port."""
    port = free_port()
    proc = subprocess.Popen(
        [str(PEER_VENV / "bin" / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}",
         "--timeout", "600", "helpdesk_site.wsgi"],
        env=env, cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    asyncio.run(wait_healthy(base, proc, path="/api/"))
    return base, proc


def datatables_path() -> str:
    """The staff list's data request as its page sends it: no filter, newest first, 10 rows."""
    query = {"filtering": {}, "sorting": "created", "sortreverse": True, "search_string": ""}
    encoded = base64.b64encode(json.dumps(query).encode()).decode()
    return f"/datatables_ticket_list/{encoded}?draw=1&start=0&length=10"


async def first_answer_s(base: str, request: Request) -> float:
    """Seconds one request of ``request`` takes (warm-up; it must answer 200)."""
    async with aiohttp.ClientSession(base, timeout=aiohttp.ClientTimeout(total=600)) as s:
        t0 = time.perf_counter()
        async with s.request(request.method, request.paths[0], headers=request.headers) as r:
            await r.read()
            if r.status != 200:
                raise SystemExit(f"{base}{request.paths[0]} answered {r.status}")
        return time.perf_counter() - t0


#: A case whose warm-up answer took longer than this (seconds) is measured by its
#: one-connection runs alone.
SLOW_S = 1.0


def measure(cases: list[tuple[str, Case]], args: argparse.Namespace) -> None:
    """``--runs`` interleaved runs of every case: latency, then throughput.

    A case slower than :data:`SLOW_S` per answer (the peer's REST API, which reads every
    ticket for any page or detail) gets runs of three answers' length, and its throughput is
    that one-connection run's: its one sync worker serves one request at a time, so more
    connections would only queue (and a 16-connection run of 30 s answers would take minutes).
    """
    plan: list[tuple[str, Case, int, int, bool]] = []
    for base, case in cases:
        warm = asyncio.run(first_answer_s(base, case.request))
        slow = warm > SLOW_S
        seconds = math.ceil(max(args.seconds, (3 if slow else 5) * warm))
        plan.append((base, case, seconds, math.ceil(max(10.0, 10 * warm)), slow))
        print(f"   {case.side}: {case.label}: first answer {warm * 1000:,.0f} ms", flush=True)
    for run in range(args.runs):
        print(f"== run {run + 1} of {args.runs}…", flush=True)
        for base, case, seconds, timeout, slow in plan:
            connections = args.connections if case.side == "soporte" else args.peer_connections
            for runs, conns in ((case.latency, 1), (case.throughput, connections)):
                if slow and runs is case.throughput:
                    runs.loads.append(case.latency.loads[-1])
                    continue
                result: Load = load(base, case.request, conns, seconds, timeout)
                if result.errors or not result.requests:
                    raise SystemExit(f"{result.errors} failed responses on {base}{case.label}")
                runs.loads.append(result)


def report(cases: list[Case], args: argparse.Namespace, info: dict[str, str]) -> list[str]:
    """The table: each case's medians, and each peer case's ratios to soporte's."""
    ours = {c.label: c for c in cases if c.side == "soporte"}
    out = [
        f"Load generator: {generator_name()}; latency with 1 connection, throughput with "
        f"{args.connections} (soporte) and {args.peer_connections} (the peer's one sync worker; "
        f"1 for a case slower than {SLOW_S:g} s per answer); "
        f"{args.runs} runs of at least {args.seconds:g} s each, medians. {args.tickets:,} tickets "
        f"each. Python {platform.python_version()}, {os.cpu_count()} CPUs; {info['load']}.",
        "",
        "| case | p50 ms | p99 ms | req/s | soporte's req/s ÷ this | this p50 ÷ soporte's |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in cases:
        p50, p99 = c.latency.median("p50"), c.latency.median("p99")
        rps = c.throughput.median("rps")
        ratio_rps = ratio_p50 = "–"
        if c.versus is not None:
            ref = ours[c.versus]
            ratio_rps = f"{ref.throughput.median('rps') / rps:,.0f}×"
            ratio_p50 = f"{p50 / ref.latency.median('p50'):,.0f}×"
        out.append(
            f"| {c.side}: {c.label} | {p50:,.2f} | {p99:,.2f} | {rps:,.1f} | {ratio_rps} | "
            f"{ratio_p50} |"
        )
    out += [
        "",
        f"Data: soporte {info['soporte']}; django-helpdesk {info['peer']}.",
    ]
    return out


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="Runs per case (medians).")
    parser.add_argument("--seconds", type=float, default=3, help="Shortest load run, seconds.")
    parser.add_argument("--connections", type=int, default=16, help="soporte's throughput runs.")
    parser.add_argument(
        "--peer-connections", type=int, default=2, help="The peer's throughput runs."
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tmp", default=None, help="Where the temporary databases go.")
    parser.add_argument("--markdown", type=Path, default=None, help="Also write the report here.")
    return parser.parse_args()


def main(args: argparse.Namespace) -> None:
    ensure_peer_venv()
    tmp = Path(tempfile.mkdtemp(prefix="soporte-bench-peers-", dir=args.tmp))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        print(f"== {args.tickets:,} tickets for django-helpdesk…", flush=True)
        penv = peer_env(tmp / "peer.db", tmp / "peer-media")
        peer, peer_s = generate_peer(args.tickets, penv, args.seed)
        print(f"== {args.tickets:,} tickets for soporte…", flush=True)
        db = tmp / "soporte.db"
        env = run_env(db, tmp / "media")
        soporte_s = prepare_database(args.tickets, db, env, None)
        ids, _, counts = sample_ids(db, 200, args.seed)
        server, _ = start([str(Path(sys.executable).parent / "soporte"), "run",
                           "--host", "127.0.0.1"], env)  # fmt: skip
        procs.append(server.proc)
        peer_base, peer_proc = start_peer(penv)
        procs.append(peer_proc)
        agente = asyncio.run(login(server.base, "agente", "agente123"))
        rng = random.Random(args.seed)
        peer_ids = [rng.randint(1, peer["max_id"]) for _ in range(200)]
        cookie = {"Cookie": f"sessionid={peer['session']}"}

        def peer_request(paths: list[str]) -> Request:
            return Request(paths, headers=cookie)

        list_label, detail_label = "list, page 1 (JSON API)", "detail (JSON API)"
        cases = [
            (server.base, Case("soporte", list_label,
                               json_request(["/api/soporte/tickets/?page=1&size=10"], agente))),
            (server.base, Case("soporte", detail_label,
                               json_request([f"/api/soporte/tickets/{i}/" for i in ids], agente))),
            (peer_base, Case("django-helpdesk", list_label,
                             peer_request(["/api/tickets/?page=1&page_size=10"]), list_label)),
            (peer_base, Case("django-helpdesk", "list, page 1 (staff page's data)",
                             peer_request([datatables_path()]), list_label)),
            (peer_base, Case("django-helpdesk", detail_label,
                             peer_request([f"/api/tickets/{i}/" for i in peer_ids]),
                             detail_label)),
            (peer_base, Case("django-helpdesk", "detail (staff ticket page, HTML)",
                             peer_request([f"/tickets/{i}/" for i in peer_ids]), detail_label)),
        ]  # fmt: skip
        measure(cases, args)
        loadavg = "load average {:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg())
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    info = {
        "load": loadavg + " at the end",
        "soporte": f"{counts['tickets_ticket']:,} tickets, {counts['tickets_respuesta']:,} "
        f"replies, generated in {soporte_s:.1f} s",
        "peer": f"{peer['tickets']:,} tickets, {peer['followups']:,} follow-ups, generated in "
        f"{peer_s:.1f} s (migrations included)",
    }
    lines = report([case for _, case in cases], args, info)
    finish(lines, "bench/peers/django_helpdesk.py", args.markdown)


if __name__ == "__main__":
    main(parse_args())
