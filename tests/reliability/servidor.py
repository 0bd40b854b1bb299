"""A real ``soporte run`` process for the reliability tests: the fuzzer and the crash test need
the server exactly as operators start it (console script, migrated database, own event loop),
not an in-process test app.

Each :class:`Servidor` has its own database, media folder and loopback port, and inherits no
``SOPORTE_*`` variable from the caller's environment, so the tests do not depend on the shell.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.testing import free_port

#: The console script of the environment running the tests (``.venv/bin/soporte``).
SOPORTE = str(Path(sys.executable).with_name("soporte"))
CLAVE = "clave-de-fiabilidad"


@dataclass
class Servidor:
    """One ``soporte run`` on ``127.0.0.1``; :meth:`arrancar` after :meth:`preparar`."""

    directorio: Path
    database_url: str
    puerto: int = field(default_factory=free_port)
    proceso: subprocess.Popen[bytes] | None = None
    arranques: int = 0
    #: More ``SOPORTE_*`` variables for this server (an SMTP URL, outbox timings…).
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.puerto}"

    @property
    def media(self) -> Path:
        """Where the server stores attachments."""
        return self.directorio / "media"

    @property
    def log(self) -> Path:
        """The server's output (both streams, every start appended)."""
        return self.directorio / "servidor.log"

    def entorno(self) -> dict[str, str]:
        """The environment of every ``soporte`` command of this server."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")}
        env.update(
            SOPORTE_DATABASE_URL=self.database_url,
            SOPORTE_MEDIA_DIR=str(self.media),
            SOPORTE_SECRET_KEY="clave-secreta-de-fiabilidad",
            SOPORTE_ESCALAMIENTO_INTERVAL="0",
            SOPORTE_LOG_LEVEL="WARNING",
            # The crash test has one customer create tickets as fast as it can, and the fuzzer
            # logs in from one address all along: load under test, not abuse.
            SOPORTE_RATE_TICKETS="off",
            SOPORTE_RATE_LOGIN_ADDRESS="off",
            # The fuzzer's PATCH /api/auth/yo/ sends made-up current passwords, which count as
            # failed logins of its accounts: they must not lock out the logins it needs.
            SOPORTE_LOGIN_MAX_FAILURES="1000000",
            SOPORTE_RATE_LOGIN_ACCOUNT="off",
        )
        env.update(self.extra)
        return env

    def soporte(self, *args: str) -> str:
        """Run one ``soporte`` command to completion; its output, or an error with it."""
        done = subprocess.run(
            [SOPORTE, *args],
            env=self.entorno(),
            cwd=self.directorio,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"soporte {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def preparar(self, usuarios: dict[str, str]) -> None:
        """Migrate the database and create ``usuarios`` (username → role), password
        :data:`CLAVE`."""
        self.directorio.mkdir(parents=True, exist_ok=True)
        self.soporte("migrate")
        for username, rol in usuarios.items():
            self.soporte("createuser", "--username", username, "--password", CLAVE, "--rol", rol)

    def arrancar(self, espera: float = 30.0) -> None:
        """Start the server and wait until ``/readyz`` answers 200."""
        assert self.proceso is None, "already running"
        with open(self.log, "ab") as salida:
            self.proceso = subprocess.Popen(
                [SOPORTE, "run", "--host", "127.0.0.1", "--port", str(self.puerto)],
                env=self.entorno(),
                cwd=self.directorio,
                stdout=salida,
                stderr=subprocess.STDOUT,
            )
        self.arranques += 1
        limite = time.monotonic() + espera
        while time.monotonic() < limite:
            if self.proceso.poll() is not None:
                break
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as r,
            ):
                if r.status == 200:
                    return
            time.sleep(0.1)
        self.parar()
        raise RuntimeError(f"the server did not start:\n{self.log.read_text()[-3000:]}")

    def matar(self) -> None:
        """SIGKILL: the process dies at once, with no clean-up of any kind."""
        if self.proceso is not None:
            self.proceso.send_signal(signal.SIGKILL)
            self.proceso.wait(timeout=30)
            self.proceso = None

    def parar(self) -> None:
        """SIGTERM and wait (SIGKILL after 15 s)."""
        if self.proceso is None:
            return
        self.proceso.send_signal(signal.SIGTERM)
        try:
            self.proceso.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proceso.kill()
            self.proceso.wait(timeout=15)
        self.proceso = None

    def token(self, username: str) -> str:
        """Log in as ``username`` (password :data:`CLAVE`); the bearer token."""
        cuerpo = json.dumps({"username": username, "password": CLAVE}).encode()
        peticion = urllib.request.Request(
            f"{self.url}/api/auth/token/",
            data=cuerpo,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(peticion, timeout=10) as r:
            return str(json.load(r)["token"])

    def errores_del_servidor(self) -> list[str]:
        """Lines of the server's log that report an unhandled error (a 500)."""
        if not self.log.exists():
            return []
        return [line for line in self.log.read_text().splitlines() if "unhandled error" in line]


def get_json(url: str, token: str | None = None) -> Any:
    """GET ``url`` and decode its JSON (an ``HTTPError`` on 4xx/5xx)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        return json.load(r)
