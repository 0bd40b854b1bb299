"""The dashboard's trends alone: the two requests the dashboard page makes for them,
``GET /api/soporte/dashboard/series/`` (the charts) and ``GET …/series/tablas/`` (the per-agent
and per-team tables, as the page asks: the busiest 20 rows and the rest summed), over 30 and 90
days, as an agent, at 10,000 tickets and the larger scales asked for, beside ``dashboard/stats``
(the reference read of the same page, measured in the same run); ``--todas`` adds the tables
with every row (``filas=0``, the page's "Ver todas", measured for information). The targets are
those of ``bench/api.py`` (p99 < 50 ms, ≤ 1.5× the 10k figure), each printed with met/NO; this
script skips the rest of that suite so that the series can be measured in a few minutes.

    .venv/bin/python bench/dashboard_series.py --tickets 1000000 --cache /tmp/bench-cache

Databases are generated as ``bench/api.py`` does (``soporte demo --tickets N``), or copied from
``--cache``. Quote medians and ratios: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _util import generator_name, json_request, load, stop
from api import (
    GROWTH_MAX,
    P99_MAX_MS,
    REFERENCE,
    Measure,
    Server,
    login,
    measure_run,
    prepare_database,
    run_env,
    start,
    verdict,
)

CASOS = {
    "dashboard": "/api/soporte/dashboard/stats/",
    "series_30": "/api/soporte/dashboard/series/?periodo=30d",
    "series_90": "/api/soporte/dashboard/series/?periodo=90d",
    "tablas_30": "/api/soporte/dashboard/series/tablas/?periodo=30d",
    "tablas_90": "/api/soporte/dashboard/series/tablas/?periodo=90d",
}
#: Measured with ``--todas``, for information (no target): every row of the tables.
TODAS = {"tablas_90_todas": "/api/soporte/dashboard/series/tablas/?periodo=90d&filas=0"}


def main(args: argparse.Namespace) -> None:
    casos = CASOS | (TODAS if args.todas else {})
    scales = sorted({REFERENCE, *args.tickets})
    servers: list[tuple[int, Server]] = []
    medidas: dict[tuple[str, int], Measure] = {}
    dirs: list[Path] = []
    try:
        for n in scales:
            tmp = Path(tempfile.mkdtemp(prefix=f"soporte-series-{n}-", dir=args.tmp))
            dirs.append(tmp)
            db = tmp / "bench.db"
            env = run_env(db, tmp / "media")
            print(f"== {n:,} tickets: preparing…", flush=True)
            prepare_database(n, db, env, args.cache)
            server, arranque = start([str(Path(sys.executable).parent / "soporte"), "run",
                                      "--host", "127.0.0.1"], env)  # fmt: skip
            print(f"   started in {arranque:.1f} s", flush=True)
            agente = asyncio.run(login(server.base, "agente", "agente123"))
            server.requests = {k: json_request([u], agente) for k, u in casos.items()}
            servers.append((n, server))
        for caso in casos:
            print(f"== {caso}…", flush=True)
            for _, server in servers:
                load(server.base, server.requests[caso], 1, 1)  # warm-up
            for _ in range(args.runs):  # interleaved: load from elsewhere falls on all alike
                for n, server in servers:
                    measure_run(server.base, server.requests[caso], args,
                                medidas.setdefault((caso, n), Measure()))  # fmt: skip
    finally:
        for _, server in servers:
            stop(server.proc)
        for tmp in dirs:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nLoad generator: {generator_name()}; {args.runs} runs of {args.seconds:g} s, "
          f"medians; load average {os.getloadavg()[0]:.1f} at the end.\n")  # fmt: skip
    print("| case | tickets | p50 ms | p99 ms | req/s | target | met |")
    print("|---|---:|---:|---:|---:|---|---|")
    for caso in casos:
        ref = medidas[(caso, REFERENCE)].latency.median("p99")
        for n in scales:
            m = medidas[(caso, n)]
            p50, p99 = m.latency.median("p50"), m.latency.median("p99")
            ok = p99 < P99_MAX_MS and (n == REFERENCE or p99 <= GROWTH_MAX * ref)
            meta = f"p99 < {P99_MAX_MS:g} ms"
            if n != REFERENCE:
                meta += f", ≤ {GROWTH_MAX:g}× 10k ({p99 / ref:.2f}×)"
            met = verdict(ok)
            if caso in TODAS:  # for information: the page asks for it on a click only
                meta, met = (
                    "information" + (f" ({p99 / ref:.2f}× 10k)" if n != REFERENCE else ""),
                    "–",
                )
            print(f"| {caso} | {n:,} | {p50:.2f} | {p99:.2f} | "
                  f"{m.throughput.median('rps'):,.0f} | {meta} | {met} |")  # fmt: skip
    print(f"\nReproduce: `.venv/bin/python bench/dashboard_series.py {' '.join(sys.argv[1:])}`"
          f" ({time.strftime('%Y-%m-%d %H:%M')})")  # fmt: skip


def parse_args() -> argparse.Namespace:
    """The command line (the defaults of ``bench/api.py``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, nargs="*", default=[])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--timeout", type=float, default=2.0,
        help="Seconds after which wrk counts a response as an error (as bench/api.py).",
    )  # fmt: skip
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument(
        "--todas", action="store_true",
        help="Also the tables with every row (filas=0), for information.",
    )  # fmt: skip
    parser.add_argument("--tmp", default=None)
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
