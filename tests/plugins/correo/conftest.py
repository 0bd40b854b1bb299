"""Fixtures of the correo tests: a real IMAP server (Debian's dovecot, through
scripts/dovecot.sh) for the whole session, and SMTP/IMAP clients that run in a thread.

The dovecot fixture starts its server in a directory and on ports of this run (so the SQLite
and the PostgreSQL run of CI, or two developers, never share one) and stops it at the end.
Tests put mail into the mailbox with real IMAP APPEND (stdlib imaplib), never by writing maildir
files, and each test works in folders of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import os
import ssl
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from core import keys
from core.events import Listener
from core.testing import free_port
from plugins.tickets.events import TicketCreado

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiohttp import web

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "dovecot.sh"
USUARIO, CLAVE = "soporte", "soporte"


class Tickets:
    """The tickets an app opens from now on (``TicketCreado``, after commit), to wait for."""

    def __init__(self, app: web.Application) -> None:
        self.ids: list[int] = []
        self._cambio = asyncio.Condition()
        app[keys.EVENTS].subscribe(Listener(TicketCreado, self._creado))

    async def _creado(self, evento: TicketCreado) -> None:
        async with self._cambio:
            self.ids.append(evento.ticket_id)
            self._cambio.notify_all()

    async def esperar(self, n: int, espera: float = 10.0) -> list[int]:
        """The ids, once ``n`` tickets were opened (within ``espera`` seconds)."""
        async with self._cambio:
            await asyncio.wait_for(self._cambio.wait_for(lambda: len(self.ids) >= n), espera)
            return list(self.ids)


@dataclass
class Dovecot:
    """The running test IMAP server."""

    directorio: Path
    puerto: int
    puerto_ssl: int

    @property
    def cafile(self) -> Path:
        """Its self-signed certificate (trust it with ``?cafile=``)."""
        return self.directorio / "cert.pem"

    def entorno(self) -> dict[str, str]:
        """The script's environment for this server."""
        return {
            **os.environ,
            "SOPORTE_IMAP_DIR": str(self.directorio),
            "SOPORTE_IMAP_PORT": str(self.puerto),
            "SOPORTE_IMAPS_PORT": str(self.puerto_ssl),
        }

    def script(self, orden: str) -> str:
        """Run ``scripts/dovecot.sh ORDEN``; its output."""
        hecho = subprocess.run(
            ["bash", str(SCRIPT), orden],
            env=self.entorno(),
            capture_output=True,
            text=True,
            timeout=600,  # the first start may install dovecot-imapd with apt
            check=False,
        )
        if hecho.returncode != 0:
            raise RuntimeError(f"dovecot.sh {orden}: {hecho.stdout}{hecho.stderr}")
        return hecho.stdout

    def url(self, carpeta: str = "INBOX", *, tls: str = "starttls") -> str:
        """The ``imap_url`` of ``carpeta``: over STARTTLS (default), ``plain`` or ``imaps``."""
        if tls == "imaps":
            return (
                f"imaps://{USUARIO}:{CLAVE}@127.0.0.1:{self.puerto_ssl}/{carpeta}"
                f"?cafile={self.cafile}"
            )
        if tls == "plain":
            return f"imap://{USUARIO}:{CLAVE}@127.0.0.1:{self.puerto}/{carpeta}?starttls=off"
        return (
            f"imap://{USUARIO}:{CLAVE}@127.0.0.1:{self.puerto}/{carpeta}"
            f"?starttls=required&cafile={self.cafile}"
        )

    @contextlib.contextmanager
    def cliente(self) -> Iterator[imaplib.IMAP4]:
        """A logged-in stdlib client (the test's own, synchronous: call it from a thread)."""
        con = imaplib.IMAP4("127.0.0.1", self.puerto, timeout=30)
        try:
            con.starttls(ssl.create_default_context(cafile=str(self.cafile)))
            con.login(USUARIO, CLAVE)
            yield con
        finally:
            with contextlib.suppress(Exception):
                con.logout()

    def carpeta(self) -> str:
        """A new, empty folder of the test's own (created)."""
        nombre = f"prueba-{uuid.uuid4().hex[:10]}"
        with self.cliente() as con:
            tipo, datos = con.create(nombre)
            assert tipo == "OK", datos
        return nombre

    def append(self, carpeta: str, *crudos: bytes) -> None:
        """APPEND each message to ``carpeta``."""
        with self.cliente() as con:
            for crudo in crudos:
                tipo, datos = con.append(carpeta, None, None, crudo)
                assert tipo == "OK", datos

    def mensajes(self, carpeta: str) -> list[tuple[bytes, bytes]]:
        """``(flags, raw)`` of every message in ``carpeta``."""
        with self.cliente() as con:
            tipo, datos = con.select(carpeta)
            assert tipo == "OK", datos
            tipo, datos = con.fetch("1:*", "(FLAGS BODY.PEEK[])") if int(datos[0]) else ("OK", [])
            assert tipo == "OK", datos
        return [(d[0], d[1]) for d in datos if isinstance(d, tuple)]


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A dovecot of this test run (started once, stopped at the end). Its directory is not
    under pytest's temporary folders: those are private to root, and dovecot reads its users
    and mail as its own unprivileged users."""
    servidor = Dovecot(
        Path(tempfile.gettempdir()) / f"soporte-imap-{uuid.uuid4().hex[:12]}",
        puerto=free_port(),
        puerto_ssl=free_port(),
    )
    servidor.script("start")
    try:
        yield servidor
    finally:
        servidor.script("stop")
