"""One escalation pass on SQLite: N waiting tickets, a tenth of them overdue (one level each).

    .venv/bin/python bench/escalation_pass.py                     # 10,000 waiting, 1,000 due
    .venv/bin/python bench/escalation_pass.py --tickets 10000 --due 1000 --runs 3
    PYTHONPATH=/tmp/old .venv/bin/python bench/escalation_pass.py  # another checkout's code

Builds one database (``soporte migrate`` with only ``tickets`` and ``escalamiento``, then
``--tickets`` open tickets in bulk, every one waiting for an agent: ``--due`` of them, drawn
with ``--seed``, for 90 minutes, the rest for 30), with one rule: ``tiempo_respuesta``, 1 h per
level, 3 levels, every priority, no business hours, notifications on (the ``log`` notifier,
silenced). Then, ``--runs`` times, each in a fresh process on a fresh copy of that database:
one pass, timed alone (it must apply exactly ``--due`` levels), and a second pass (nothing
left to do; it must apply none). Prints each run and the medians, wall-clock and the
process's CPU time (SQLite runs in the process, so its work counts; the CPU figure holds on a
busy machine, the wall-clock one does not).

Only ORM models and ``service.escalar`` are used, which both sides of the public-faces change
have, so the same script measures an older checkout: put its tree first on ``PYTHONPATH``
(``git archive <commit> | tar -x -C /tmp/old``). About 15 s on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOPORTE = str(ROOT / ".venv" / "bin" / "soporte")
#: Only these plugins: the example policies (installed in the venv) import from this tree.
PLUGINS = "tickets,escalamiento"


def entorno(db: Path) -> dict[str, str]:
    """The environment of ``soporte migrate`` and of each run: this database, two plugins."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")}
    env.update(
        SOPORTE_DATABASE_URL=f"sqlite://{db}",
        SOPORTE_MEDIA_DIR=str(db.parent / "media"),
        SOPORTE_SECRET_KEY="bench",
        SOPORTE_ESCALAMIENTO_INTERVALO="0",
        SOPORTE_LOG_LEVEL="WARNING",
        SOPORTE_PLUGINS=PLUGINS,
    )
    return env


async def _con_app(db: Path, trabajo):  # type: ignore[no-untyped-def]
    """Run ``trabajo(app)`` with the app's database open (no server, no scheduler)."""
    from core import keys
    from core.app import create_app
    from core.db import open_context
    from core.settings import Settings

    settings = Settings(
        database_url=f"sqlite://{db}",
        media_dir=db.parent / "media",
        secret_key="bench",
        escalamiento_intervalo=0,
        cors_origins=[],
        plugins=PLUGINS.split(","),
    )
    app = create_app(settings)
    ctx = await open_context(app[keys.DB].config)
    try:
        return await trabajo(app)
    finally:
        await ctx.close_connections()


async def poblar(db: Path, tickets: int, due: int, seed: int) -> None:
    """The tickets, all open and waiting, ``due`` of them one level overdue, and the rule."""
    from core.auth.models import Rol, Usuario
    from plugins.escalamiento.models import Regla
    from plugins.tickets.models import Categoria, Estado, Prioridad, Ticket

    async def trabajo(app: object) -> None:
        ahora = datetime.now(UTC)
        cliente = await Usuario.create(username="cliente", password_hash="!", rol=Rol.CLIENTE)
        rng = random.Random(seed)
        atrasados = set(rng.sample(range(tickets), due))
        prioridades, estados = list(Prioridad), [Estado.ABIERTO, Estado.EN_PROGRESO]
        filas = [
            Ticket(
                numero=f"TK-{i + 1:06d}",
                asunto=f"Ticket {i + 1}",
                descripcion="Sin respuesta todavía.",
                categoria=Categoria.GENERAL,
                prioridad=prioridades[i % len(prioridades)],
                estado=estados[i % 2],
                cliente_id=cliente.id,
                esperando_desde=ahora - timedelta(minutes=90 if i in atrasados else 30),
            )
            for i in range(tickets)
        ]
        await Ticket.bulk_create(filas, batch_size=1000)
        await Regla.create(
            nombre="bench", politica="tiempo_respuesta", tiempo_respuesta_maximo=1,
            prioridades_escalamiento=[p.value for p in prioridades], categorias=[],
            niveles_escalamiento=3, notificaciones_automaticas=True, activa=True, horario=None,
        )  # fmt: skip

    await _con_app(db, trabajo)


async def una_pasada(db: Path) -> dict[str, float | int]:
    """One timed pass and one with nothing left (this process, this database)."""
    from core import keys
    from plugins.escalamiento import service
    from plugins.escalamiento.politicas import REGISTRO

    # The ``log`` notifier writes one warning per escalation: keep producing the records (their
    # cost is part of the pass) but out of the terminal.
    quiet = logging.getLogger("soporte")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False

    async def trabajo(app):  # type: ignore[no-untyped-def]
        bus, registro = app[keys.EVENTS], app[REGISTRO]
        t0, c0 = time.perf_counter(), time.process_time()
        hechos = await service.escalar(bus, registro)
        segundos, cpu = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        otra = await service.escalar(bus, registro)
        vacia, vacia_cpu = time.perf_counter() - t0, time.process_time() - c0
        return {
            "aplicados": len(hechos), "s": segundos, "cpu_s": cpu,
            "vacia_s": vacia, "vacia_cpu_s": vacia_cpu, "otra": len(otra),
        }  # fmt: skip

    return await _con_app(db, trabajo)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000, help="waiting tickets")
    parser.add_argument("--due", type=int, default=1_000, help="of them, one level overdue")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--run-one", type=Path, help=argparse.SUPPRESS)  # a child process
    args = parser.parse_args()
    if args.run_one:
        print(json.dumps(asyncio.run(una_pasada(args.run_one))))
        return

    import core

    print(f"code: {Path(core.__file__).resolve().parent.parent}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="soporte-bench-escalation-"))
    try:
        plantilla = tmp / "plantilla.db"
        t0 = time.perf_counter()
        subprocess.run(
            [SOPORTE, "migrate"], env=entorno(plantilla), check=True, capture_output=True
        )
        asyncio.run(poblar(plantilla, args.tickets, args.due, args.seed))
        print(f"{args.tickets:,} waiting tickets, {args.due:,} due: generated in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip
        corridas = []
        for n in range(1, args.runs + 1):
            db = tmp / f"run{n}.db"
            shutil.copyfile(plantilla, db)
            out = subprocess.run(
                [sys.executable, __file__, "--run-one", str(db)],
                env=entorno(db), check=True, capture_output=True, text=True,
            )  # fmt: skip
            corrida = json.loads(out.stdout.strip().splitlines()[-1])
            if corrida["aplicados"] != args.due or corrida["otra"]:
                raise SystemExit(f"run {n}: expected {args.due} levels, then none: {corrida}")
            corridas.append(corrida)
            print(f"run {n}: pass {corrida['s']:.3f} s wall, {corrida['cpu_s']:.3f} s CPU "
                  f"({corrida['aplicados']:,} levels); nothing due "
                  f"{corrida['vacia_s'] * 1000:.1f} ms wall, "
                  f"{corrida['vacia_cpu_s'] * 1000:.1f} ms CPU", flush=True)  # fmt: skip

        def mediana(clave: str) -> float:
            return statistics.median(float(c[clave]) for c in corridas)

        print(f"median of {args.runs}: pass {mediana('s'):.3f} s wall, {mediana('cpu_s'):.3f} s "
              f"CPU ({mediana('cpu_s') / args.due * 1000:.2f} ms CPU per level); nothing due "
              f"{mediana('vacia_s') * 1000:.1f} ms wall, "
              f"{mediana('vacia_cpu_s') * 1000:.1f} ms CPU")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
