"""Inbound mail benchmark: messages per second through SMTP into soporte, end to end, against a
bare aiosmtpd sink that stores nothing — the same client, in the same run.

    .venv/bin/python bench/correo.py [--messages 500] [--connections 4] [--runs 3]

**soporte**: one ``soporte run`` process on a fresh, migrated SQLite file with the SMTP receiver
on (``SOPORTE_CORREO_SMTP_LISTEN``), the default plugins, no SMTP server for outgoing mail
(acknowledgements go to the log through the outbox, as with ``make run``). **sink**: a process
of its own running aiosmtpd (the library the receiver is built on) whose handler answers 250 at
once and keeps nothing. Per run, the client (aiosmtplib, ``--connections`` connections, each
sending its share of ``--messages`` one after another: an MTA's delivery queue) sends
``--messages`` distinct messages (each from its own customer, so the per-sender limit never
applies) to each server. Figures:

- **accepted/s**: messages answered 250 per second (soporte: each one committed first);
- **end to end/s** (soporte only): from the first message sent until every message has been
  processed — a ticket exists for it, or the pipeline recorded why not (read from the database
  file; the count of tickets is printed).

Ratios to the sink's accepted/s. Medians over ``--runs`` (after a warm-up round of 50 messages
to each, not counted), each run on new messages. The machine
is shared (2 cores here): quote the medians and the ratios; the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from _util import ROOT, free_port, stop, wait_healthy

SOPORTE = str(Path(sys.executable).with_name("soporte"))
ADDRESS = "soporte@bench.test"

SINK = """
import asyncio, sys
from aiosmtpd.smtp import SMTP

class Handler:
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 OK"

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Handler(), hostname="sink"), "127.0.0.1",
                                      int(sys.argv[1]))
    print("ready", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    tmp: Path | None = None

    @property
    def db(self) -> Path:
        assert self.tmp is not None
        return self.tmp / "soporte.db"


def soporte_env(tmp: Path, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")}
    env.update(
        SOPORTE_DATABASE_URL=f"sqlite://{tmp / 'soporte.db'}",
        SOPORTE_MEDIA_DIR=str(tmp / "media"),
        SOPORTE_SECRET_KEY="clave-del-benchmark-de-correo",
        SOPORTE_LOG_LEVEL="WARNING",
        SOPORTE_ESCALAMIENTO_INTERVAL="0",
        SOPORTE_MAIL_FROM=ADDRESS,
        SOPORTE_CORREO_ADDRESS=ADDRESS,
        SOPORTE_CORREO_SMTP_LISTEN=f"127.0.0.1:{smtp_port}",
        SOPORTE_CORREO_SENDER_RATE="off",
    )
    return env


def launch_soporte() -> tuple[Server, str]:
    """A migrated ``soporte run`` being started; its health URL."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-correo-"))
    smtp_port, http_port = free_port(), free_port()
    env = soporte_env(tmp, smtp_port)
    subprocess.run([SOPORTE, "migrate"], env=env, cwd=tmp, check=True, capture_output=True)
    proc = subprocess.Popen(
        [SOPORTE, "run", "--host", "127.0.0.1", "--port", str(http_port)],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return Server("soporte", proc, smtp_port, tmp), f"http://127.0.0.1:{http_port}"


async def start_soporte() -> Server:
    server, health = launch_soporte()
    await wait_healthy(health, server.proc)
    return server


def start_sink() -> Server:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, cwd=ROOT
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != b"ready":
        raise SystemExit("the sink did not start")
    return Server("sink", proc, port)


def message(run: int, n: int) -> EmailMessage:
    m = EmailMessage()
    m["From"] = f"Cliente {n} <cliente{run}-{n}@clientes.test>"
    m["To"] = ADDRESS
    m["Subject"] = f"Consulta {run}-{n}: no puedo entrar"
    m["Message-ID"] = f"<bench-{run}-{n}@clientes.test>"
    m.set_content(
        "Hola,\n\nDesde esta mañana no puedo entrar en mi cuenta: la página dice que la "
        "contraseña no es correcta, aunque la acabo de cambiar.\n\nGracias,\nCliente\n"
    )
    return m


async def send_all(port: int, run: int, messages: int, connections: int) -> float:
    """Send every message; the seconds until the last 250."""
    start = time.perf_counter()

    async def one_connection(numbers: range) -> None:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as smtp:
            for n in numbers:
                await smtp.send_message(message(run, n))

    await asyncio.gather(
        *(one_connection(range(c, messages, connections)) for c in range(connections))
    )
    return time.perf_counter() - start


def processed(db: Path, run: int) -> tuple[int, int]:
    """Messages of ``run`` processed (any final state), and tickets they opened."""
    con = sqlite3.connect(db, timeout=30)
    try:
        done, tickets = con.execute(
            'SELECT COUNT(*), COUNT("ticket_id") FROM "correo_mensaje" '
            'WHERE "message_id" LIKE ? AND "estado" != \'RECIBIDO\'',
            (f"<bench-{run}-%",),
        ).fetchone()
        return int(done), int(tickets)
    finally:
        con.close()


async def end_to_end(server: Server, run: int, messages: int, connections: int) -> tuple:
    start = time.perf_counter()
    accepted_s = await send_all(server.port, run, messages, connections)
    while True:
        done, tickets = processed(server.db, run)
        if done >= messages:
            return accepted_s, time.perf_counter() - start, tickets
        if time.perf_counter() - start > 600:
            raise SystemExit(f"only {done} of {messages} messages processed in 10 minutes")
        await asyncio.sleep(0.02)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


async def run(args: argparse.Namespace) -> list[str]:
    sink = start_sink()
    soporte = await start_soporte()
    loads = [load_average()]
    sink_rates, accepted_rates, e2e_rates, ticket_counts = [], [], [], []
    try:
        # A warm-up round, not counted: the first messages pay for imports, the ORM's SQL
        # cache and SQLite's page cache.
        await send_all(sink.port, -1, 50, args.connections)
        await end_to_end(soporte, -1, 50, args.connections)
        for r in range(args.runs):
            s = await send_all(sink.port, r, args.messages, args.connections)
            accepted, e2e, tickets = await end_to_end(soporte, r, args.messages, args.connections)
            sink_rates.append(args.messages / s)
            accepted_rates.append(args.messages / accepted)
            e2e_rates.append(args.messages / e2e)
            ticket_counts.append(tickets)
            loads.append(load_average())
            print(
                f"run {r + 1}: sink {args.messages / s:.0f}/s, soporte accepted "
                f"{args.messages / accepted:.0f}/s, end to end {args.messages / e2e:.0f}/s "
                f"({tickets} tickets)",
                flush=True,
            )
    finally:
        stop(soporte.proc)
        stop(sink.proc)
        if soporte.tmp is not None and not args.keep:
            shutil.rmtree(soporte.tmp, ignore_errors=True)
    med = statistics.median
    base = med(sink_rates)
    rows = [
        ("bare aiosmtpd sink, accepted", med(sink_rates)),
        ("soporte, accepted (stored before 250)", med(accepted_rates)),
        ("soporte, end to end (processed: ticket or reason)", med(e2e_rates)),
    ]
    out = [
        f"medians over {args.runs} runs — {args.messages} messages per run over "
        f"{args.connections} SMTP connections; {os.cpu_count()} CPUs shared with other work, "
        f"load average {loads[0]} before, {loads[-1]} after; tickets opened per run: "
        f"{ticket_counts}",
        "",
        "| case | messages/s | ratio to the sink | target | met |",
        "|---|---:|---:|---|---|",
    ]
    out += [f"| {label} | {rate:.0f} | {rate / base:.2f}× | none set | – |" for label, rate in rows]
    out += [
        "",
        f"reproduce: .venv/bin/python bench/correo.py {shlex.join(sys.argv[1:])}".rstrip(),
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=500, help="per run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    print("\n" + "\n".join(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
