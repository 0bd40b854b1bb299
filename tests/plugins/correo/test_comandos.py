"""``soporte correo smtpd``: the SMTP receiver as a process of its own (no HTTP server)."""

from __future__ import annotations

import signal
import smtplib
import sqlite3
import subprocess
import time
from typing import TYPE_CHECKING

from core.settings import sqlite_path
from core.testing import free_port
from tests.reliability.servidor import SOPORTE, Servidor

if TYPE_CHECKING:
    from pathlib import Path

MENSAJE = (
    b"From: Ana <ana@cliente.test>\r\nTo: soporte@cli.test\r\nMessage-ID: <cli-1@cliente.test>\r\n"
    b"Subject: Desde la consola\r\n\r\nHola.\r\n"
)


def test_smtpd_command_receives_until_sigterm(tmp_path: Path) -> None:
    database_url = f"sqlite://{tmp_path / 'soporte.db'}"
    servidor = Servidor(tmp_path, database_url, extra={"SOPORTE_MAIL_FROM": "soporte@cli.test"})
    servidor.soporte("migrate")
    # Without a place to listen it refuses to start, in one line.
    done = subprocess.run(
        [SOPORTE, "correo", "smtpd"],
        env=servidor.entorno(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0 and "SOPORTE_CORREO_SMTP_LISTEN" in done.stderr
    puerto = free_port()
    proceso = subprocess.Popen(
        [SOPORTE, "correo", "smtpd", "--listen", f"127.0.0.1:{puerto}"],
        env=servidor.entorno(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proceso.stdout is not None
        linea = proceso.stdout.readline()  # printed once listening
        assert f"127.0.0.1:{puerto}" in linea, linea
        with smtplib.SMTP("127.0.0.1", puerto, timeout=30) as cliente:
            cliente.sendmail("ana@cliente.test", ["soporte@cli.test"], MENSAJE)
        path = sqlite_path(database_url)
        assert path is not None
        limite = time.monotonic() + 30
        while True:  # stored before the 250; processed right after, by the same process
            con = sqlite3.connect(path)
            try:
                [(origen, estado)] = con.execute('SELECT "origen", "estado" FROM "correo_mensaje"')
            finally:
                con.close()
            if estado != "RECIBIDO" or time.monotonic() > limite:
                break
            time.sleep(0.05)
        assert (origen, estado) != ("SMTP", "RECIBIDO") and origen == "SMTP"
        proceso.send_signal(signal.SIGTERM)
        assert proceso.wait(timeout=30) == 0
    finally:
        if proceso.poll() is None:
            proceso.kill()
            proceso.wait(timeout=30)
