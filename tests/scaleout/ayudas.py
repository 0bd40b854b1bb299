"""Helpers of the scale-out tests: a private Redis that a test may stop, pause and restart."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field

import redis

from core.testing import free_port

#: Persistence off, quiet: a throwaway server.
_SIN_DISCO = ("--save", "", "--appendonly", "no", "--loglevel", "warning")


@dataclass
class RedisPrivado:
    """A ``redis-server`` on 127.0.0.1 and its own port, persistence off; restartable on the
    same port, so that clients can reconnect to "the same" Redis."""

    puerto: int = field(default_factory=free_port)
    proceso: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.puerto}/0"

    def arrancar(self, espera: float = 10.0) -> None:
        """Start it and wait until it answers PING."""
        binario = shutil.which("redis-server")
        assert binario, "redis-server is not installed (scripts/redis.sh installs it)"
        self.proceso = subprocess.Popen(
            [binario, "--bind", "127.0.0.1", "--port", str(self.puerto), *_SIN_DISCO],
            stdout=subprocess.DEVNULL,
        )
        cliente = redis.Redis(port=self.puerto, socket_connect_timeout=0.2)
        limite = time.monotonic() + espera
        try:
            while True:
                try:
                    if cliente.ping():
                        return
                except redis.ConnectionError:
                    if time.monotonic() > limite:
                        raise
                    time.sleep(0.05)
        finally:
            cliente.close()

    def parar(self) -> None:
        """Kill it (as a crash would: no goodbye to clients) and wait until it is gone."""
        if self.proceso is not None:
            if self.proceso.poll() is None:
                self.proceso.send_signal(signal.SIGCONT)
                self.proceso.kill()
            self.proceso.wait(10)
            self.proceso = None

    def pausar(self) -> None:
        """Freeze it (SIGSTOP): connections stay open but nothing answers — a silent Redis."""
        assert self.proceso is not None
        self.proceso.send_signal(signal.SIGSTOP)

    def reanudar(self) -> None:
        """Unfreeze it (SIGCONT)."""
        assert self.proceso is not None
        self.proceso.send_signal(signal.SIGCONT)
