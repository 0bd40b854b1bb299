"""The cost of the change history on ticket writes: creation and PATCH, with and without it.

    .venv/bin/python bench/historial.py            # 300 requests per case and side, 5 rounds
    .venv/bin/python bench/historial.py --requests 500 --rounds 7

One process, one SQLite file (WAL, as ``soporte run``), the app on a loopback port (aiohttp's
test server) with the default plugins, then with ``tickets`` alone (there, without the history,
a ticket's creation is a lone ``INSERT`` outside any transaction: the history's listener costs
that fast path). Requests go one at a time (latency, not throughput). Each round measures both
sides back to back — with the history (as shipped) and without it (its two listeners
unsubscribed from the app's bus) — in alternating order, so that the machine's load and the
database's growth hit both alike. Prints the medians over rounds of each side's p50 latency
and of the process's CPU time per request, and their ratios (with / without).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import keys  # noqa: E402
from core.app import create_app  # noqa: E402
from core.auth.models import Rol  # noqa: E402
from core.auth.service import crear_usuario, emitir_token  # noqa: E402
from core.db import activate  # noqa: E402
from core.settings import Settings  # noqa: E402
from plugins.tickets.historial import LISTENERS  # noqa: E402

TICKET = {"asunto": "No puedo pagar", "categoria": "PAGOS", "descripcion": "Falla el pago."}


async def _usuario(username: str, rol: Rol) -> str:
    usuario = await crear_usuario(username, "clave-de-prueba-larga", rol, nombre=username)
    raw, _ = await emitir_token(usuario, timedelta(hours=2))
    return raw


async def _lado(
    client: TestClient[Any, Any], caso: str, n: int, cliente: str, agente: str, ids: list[int]
) -> tuple[float, float]:
    """``n`` requests of ``caso``; the p50 latency (ms) and the CPU time per request (ms)."""
    tiempos: list[float] = []
    cpu = time.process_time()
    for i in range(n):
        inicio = time.perf_counter()
        if caso == "crear":
            r = await client.post(
                "/api/soporte/tickets/", json=TICKET, headers={"Authorization": f"Bearer {cliente}"}
            )
            assert r.status == 201, await r.text()
            ids.append((await r.json())["id"])
        else:
            r = await client.patch(
                f"/api/soporte/tickets/{ids[i % len(ids)]}/",
                json={"prioridad": ("ALTA", "BAJA")[i % 2]},
                headers={"Authorization": f"Bearer {agente}"},
            )
            assert r.status == 200, await r.text()
        await r.read()
        tiempos.append((time.perf_counter() - inicio) * 1000)
    return statistics.median(tiempos), (time.process_time() - cpu) * 1000 / n


async def medir(plugins: list[str] | None, args: argparse.Namespace) -> dict[str, Any]:
    """Both sides of both cases for one plugin set."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite://{tmp}/bench.db",
            media_dir=Path(tmp) / "media",
            secret_key="clave-de-bench",
            plugins=plugins,
            plugin_settings={"escalamiento": {"interval": 0}},
            upload_sweep_interval_seconds=0,
            rate_tickets="off",
        )
        app = create_app(settings, generate_schemas=True)
        async with TestClient(TestServer(app)) as client:
            with activate(app[keys.DB].ctx):
                bus = app[keys.EVENTS]
                cliente = await _usuario("cliente", Rol.CLIENTE)
                agente = await _usuario("agente", Rol.AGENTE)
                ids: list[int] = []
                await _lado(client, "crear", 50, cliente, agente, ids)  # warm-up
                resultados: dict[str, dict[str, list[tuple[float, float]]]] = {
                    c: {"con": [], "sin": []} for c in ("crear", "patch")
                }
                for ronda in range(args.rounds):
                    orden = ("con", "sin") if ronda % 2 == 0 else ("sin", "con")
                    for caso in ("crear", "patch"):
                        for lado in orden:
                            if lado == "sin":
                                for listener in LISTENERS:
                                    bus.unsubscribe(listener)
                            try:
                                resultados[caso][lado].append(
                                    await _lado(client, caso, args.requests, cliente, agente, ids)
                                )
                            finally:
                                if lado == "sin":
                                    for listener in LISTENERS:
                                        bus.subscribe(listener)
        return resultados


def _mediana(muestras: list[tuple[float, float]], k: int) -> float:
    return statistics.median(m[k] for m in muestras)


def main() -> None:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="Requests per case and side.")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print("| plugins | case | p50 with | p50 without | ratio | CPU/req with | without | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for nombre, plugins in (("default", None), ("tickets", ["tickets"])):
        resultados = asyncio.run(medir(plugins, args))
        for caso, lados in resultados.items():
            p_con, p_sin = _mediana(lados["con"], 0), _mediana(lados["sin"], 0)
            c_con, c_sin = _mediana(lados["con"], 1), _mediana(lados["sin"], 1)
            print(
                f"| {nombre} | {caso} | {p_con:.2f} ms | {p_sin:.2f} ms | {p_con / p_sin:.3f} "
                f"| {c_con:.2f} ms | {c_sin:.2f} ms | {c_con / c_sin:.3f} |"
            )


if __name__ == "__main__":
    main()
