"""FAQ search benchmark: latency of ranked full-text search over N generated FAQs (SQLite FTS5).

Generates N realistic Spanish FAQs of a booking platform into a fresh SQLite file (bulk insert,
then one index rebuild), starts the app (plugin ``faq`` only) on a loopback port and measures,
for a fixed set of queries a user would type in the guide's search box:

* ``service``: the search as the handler runs it (``service.buscar`` + ``service.cargar``);
* ``http``: the guide's ``obtenerFAQs`` call (``?categoria=&q=…&activas=true``) over HTTP;

and, as baselines measured in the same run: ``GET /healthz`` (a bare JSON handler behind the
same middlewares), ``GET /api/soporte/faqs/{id}/`` (a primary-key lookup) and the guide's call
without ``q`` (count + first page of 95% of the table). Prints p50/p99 per query and overall,
and the ratios of search to the baselines. Quote ratios and medians: the machine is shared.

    .venv/bin/python bench/faq_search.py --faqs 100000

Bounded: about a minute for 100,000 FAQs on two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp.test_utils import TestClient, TestServer

from core import keys
from core.app import create_app
from core.db import activate
from core.settings import Settings
from plugins.faq import service
from plugins.faq.busqueda import marcador
from plugins.faq.demo import faqs_sinteticas
from plugins.faq.models import FAQ

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

#: What users type: common, medium and rare words, several words, accents and case, plurals,
#: a half-typed word, a natural question, and a query that finds nothing.
QUERIES = [
    "reserva",
    "reembolso",
    "reembolsos",
    "mascota",
    "tarjeta de crédito",
    "CREDITO",
    "cambiar fecha vuelo",
    "equipa",
    "¿Cómo cancelo mi reserva de hotel?",
    "check-in online",
    "factura empresa",
    "xyzzy",
]


def generar(n: int, semilla: int) -> list[tuple[Any, ...]]:
    """``n`` FAQ rows (pregunta, respuesta, categoria, activa, orden, +, -, creada, actualizada)."""
    return faqs_sinteticas(n, random.Random(semilla), datetime.now(UTC))


def tamano_mib(path: Path) -> float:
    """Size of a file in MiB."""
    return path.stat().st_size / 2**20


def pct(muestras: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``muestras``, in milliseconds."""
    orden = sorted(muestras)
    k = max(0, min(len(orden) - 1, round(p / 100 * len(orden) + 0.5) - 1))
    return orden[k] * 1000


async def medir(funcion: Callable[[], Awaitable[Any]]) -> float:
    inicio = time.perf_counter()
    await funcion()
    return time.perf_counter() - inicio


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="faq-bench-"))
    db = tmp / "faq.db"
    url, esquema = f"sqlite://{db}", None
    if args.database_url:
        # PostgreSQL: a throwaway schema, so the tables start empty and nothing else is touched.
        import asyncpg

        esquema = f"faq_bench_{int(time.time())}"
        pg = await asyncpg.connect(args.database_url)
        await pg.execute(f'CREATE SCHEMA "{esquema}"')
        await pg.close()
        url = f"{args.database_url}?schema={esquema},public"
    settings = Settings(
        database_url=url,
        plugins=["faq"],
        media_dir=tmp / "media",
        secret_key="bench",
        plugin_settings={"escalamiento": {"interval": 0}},
        cors_origins=[],
    )
    app = create_app(settings, generate_schemas=True)
    server = TestServer(app, host="127.0.0.1")
    client = TestClient(server)
    await client.start_server()
    try:
        with activate(app[keys.DB].ctx):
            await run(client, args, db if esquema is None else None)
    finally:
        await client.close()
        if esquema is not None:
            pg = await asyncpg.connect(args.database_url)
            await pg.execute(f'DROP SCHEMA "{esquema}" CASCADE')
            await pg.close()
        if args.keep and esquema is None:
            print(f"database kept in {db}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


async def run(client: TestClient, args: argparse.Namespace, db: Path | None) -> None:
    t0 = time.perf_counter()
    filas = generar(args.faqs, args.seed)
    t1 = time.perf_counter()
    conn = FAQ._meta.db
    columnas = (
        "pregunta, respuesta, categoria, activa, orden, valoraciones_positivas, "
        "valoraciones_negativas, fecha_creacion, fecha_actualizacion"
    )
    marcas = ", ".join(marcador(conn, n) for n in range(1, 10))
    await conn.execute_many(f"INSERT INTO faq_faq ({columnas}) VALUES ({marcas})", filas)
    t2 = time.perf_counter()
    await service.reconstruir_indice()
    # Fresh statistics (and, on PostgreSQL, a visibility map for index-only counts), as an
    # installation that has been running for a while would have.
    sqlite = conn.capabilities.dialect == "sqlite"
    await conn.execute_script("ANALYZE" if sqlite else "VACUUM ANALYZE faq_faq")
    t3 = time.perf_counter()
    print(
        f"{args.faqs} FAQs: generated {t1 - t0:.1f} s, inserted {t2 - t1:.1f} s, "
        f"indexed {t3 - t2:.1f} s"
        + (f"; database {tamano_mib(db):.0f} MiB" if db else f" ({conn.capabilities.dialect})")
    )

    guia = {"Content-Type": "application/json"}
    ids = await FAQ.filter(activa=True).limit(200).values_list("id", flat=True)

    def http_search(q: str) -> Callable[[], Awaitable[Any]]:
        async def call() -> Any:
            r = await client.get(
                "/api/soporte/faqs/", params={"categoria": "", "q": q, "activas": "true"},
                headers=guia,
            )  # fmt: skip
            assert r.status == 200, await r.text()
            return await r.read()

        return call

    def service_search(q: str) -> Callable[[], Awaitable[Any]]:
        async def call() -> Any:
            total, page = await service.buscar(service.Consulta(q=q, limit=10))
            return total, await service.cargar(page)

        return call

    async def http_health() -> Any:
        r = await client.get("/healthz")
        return await r.read()

    contador = iter(range(10**9))

    async def http_detail() -> Any:
        r = await client.get(f"/api/soporte/faqs/{ids[next(contador) % len(ids)]}/", headers=guia)
        assert r.status == 200
        return await r.read()

    async def service_pk() -> Any:
        return await FAQ.get(id=ids[next(contador) % len(ids)])

    casos: dict[str, dict[str, Callable[[], Awaitable[Any]]]] = {
        "service search": {q: service_search(q) for q in QUERIES},
        "http search": {q: http_search(q) for q in QUERIES},
        "service pk lookup (baseline)": {"FAQ.get(id)": service_pk},
        "http /healthz (baseline)": {"GET /healthz": http_health},
        "http detail (baseline)": {"GET /faqs/{id}/": http_detail},
        "http list, no q": {"?categoria=&q=&activas=true": http_search("")},
    }
    resultados: dict[str, dict[str, list[float]]] = {
        caso: {nombre: [] for nombre in fn} for caso, fn in casos.items()
    }
    for ronda in range(args.runs + 1):  # round 0 warms caches and is not counted
        for caso, funciones in casos.items():
            repeticiones = 1 if caso.endswith("search") else len(QUERIES)
            for nombre, funcion in funciones.items():
                for _ in range(repeticiones):
                    dt = await medir(funcion)
                    if ronda:
                        resultados[caso][nombre].append(dt)

    total_search, _ = await service.buscar(service.Consulta(q="reserva"))
    print(f'matches: "reserva" {total_search}', end="")
    for q in ("reembolso", "mascota", "cambiar fecha vuelo", "xyzzy"):
        print(f', "{q}" {(await service.buscar(service.Consulta(q=q)))[0]}', end="")
    print()
    print(f"\n{'query':<40} {'service p50':>12} {'p99':>8} {'http p50':>10} {'p99':>8}  ms")
    for q in QUERIES:
        s = resultados["service search"][q]
        h = resultados["http search"][q]
        print(
            f"{q[:40]:<40} {pct(s, 50):>12.2f} {pct(s, 99):>8.2f} "
            f"{pct(h, 50):>10.2f} {pct(h, 99):>8.2f}"
        )
    print(f"\n{'overall (all queries × runs)':<40} {'p50':>12} {'p99':>8}  samples")
    todas: dict[str, list[float]] = {}
    for caso, por_nombre in resultados.items():
        todas[caso] = [x for xs in por_nombre.values() for x in xs]
        print(
            f"{caso:<40} {pct(todas[caso], 50):>12.2f} {pct(todas[caso], 99):>8.2f}  "
            f"{len(todas[caso])}"
        )
    hs, hh = pct(todas["http search"], 50), pct(todas["http /healthz (baseline)"], 50)
    hd = pct(todas["http detail (baseline)"], 50)
    print(
        f"\nratios of p50: http search / bare handler = {hs / hh:.1f}×, "
        f"http search / pk detail = {hs / hd:.1f}×, "
        f"service search / pk lookup = "
        f"{pct(todas['service search'], 50) / pct(todas['service pk lookup (baseline)'], 50):.1f}×"
    )
    print(
        f"mean http search {statistics.fmean(todas['http search']) * 1000:.2f} ms; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    extra = f" --database-url {args.database_url}" if args.database_url else ""
    print(
        f"reproduce: .venv/bin/python bench/faq_search.py --faqs {args.faqs} --runs {args.runs}"
        + extra
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faqs", type=int, default=100_000, help="FAQs to generate.")
    parser.add_argument("--runs", type=int, default=20, help="Measured rounds over the queries.")
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgres://… to measure PostgreSQL instead (in a throwaway schema).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the database file.")
    parser.add_argument("--seed", type=int, default=7, help="Random seed of the generated text.")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
