"""Inbound mail survives SIGKILL: a real ``soporte run`` with the SMTP receiver
(``SOPORTE_CORREO_SMTP_LISTEN``) gets 100 messages from four SMTP clients at once and is killed
mid-burst, then restarted on the same database. Every message the receiver acknowledged (250)
is stored exactly once — the 250 comes only after the row's commit — and is processed after the
restart, once: at most one ticket per message. Messages the kill cut off got no 250, so their
senders would retry them (here: they are simply not counted).

Processing claims rows with a lease: a row the killed process had claimed (at most one batch)
waits for its lease to run out before the restarted server takes it again — here a short one
(``SOPORTE_CORREO_PROCESSING_LEASE_SECONDS``), so those are waited for too: after the restart
every acknowledged message is PROCESADO with its ticket.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from smtplib import SMTP, SMTPException
from typing import TYPE_CHECKING

from core.settings import sqlite_path
from core.testing import free_port, fresh_database
from plugins.correo.procesamiento import BATCH
from tests.reliability.servidor import Servidor

if TYPE_CHECKING:
    from pathlib import Path

MENSAJES = 100
CLIENTES = 4
#: Messages acknowledged before the kill: well into the burst, far from its end.
ANTES_DE_MATAR = 25
SOPORTE = "soporte@caida.test"


def mensaje(n: int) -> bytes:
    """Message ``n``: its own sender, Message-ID and subject."""
    return (
        f"From: Cliente {n} <cliente{n}@caida.test>\r\nTo: {SOPORTE}\r\n"
        f"Message-ID: <caida-{n}@caida.test>\r\nSubject: Caida {n}\r\n\r\n"
        f"No funciona el acceso ({n}).\r\n"
    ).encode()


class Rafaga:
    """:data:`CLIENTES` threads sending :data:`MENSAJES` messages between them, each on its
    own SMTP connection, recording the Message-IDs answered 250."""

    def __init__(self, puerto: int) -> None:
        self.puerto = puerto
        self.confirmados: set[str] = set()
        self.lock = threading.Lock()
        self.bastantes = threading.Event()
        self.hilos = [
            threading.Thread(target=self._enviar, args=(range(i, MENSAJES, CLIENTES),))
            for i in range(CLIENTES)
        ]

    def _enviar(self, numeros: range) -> None:
        try:
            with SMTP("127.0.0.1", self.puerto, timeout=30) as cliente:
                for n in numeros:
                    cliente.sendmail(f"cliente{n}@caida.test", [SOPORTE], mensaje(n))
                    with self.lock:
                        self.confirmados.add(f"<caida-{n}@caida.test>")
                        if len(self.confirmados) >= ANTES_DE_MATAR:
                            self.bastantes.set()
        except (SMTPException, OSError):
            pass  # the server died mid-session: what it did not acknowledge is the sender's

    def empezar(self) -> None:
        for hilo in self.hilos:
            hilo.start()

    def terminar(self) -> None:
        for hilo in self.hilos:
            hilo.join(timeout=60)


def filas(database_url: str) -> list[tuple[str, str, int, str | None, int | None]]:
    """``(message_id, estado, intentos, reclamo, ticket_id)`` of every stored message."""
    path = sqlite_path(database_url)
    assert path is not None
    con = sqlite3.connect(path)
    try:
        return list(
            con.execute(
                'SELECT "message_id", "estado", "intentos", "reclamo", "ticket_id" '
                'FROM "correo_mensaje"'
            )
        )
    finally:
        con.close()


def tickets_por_asunto(database_url: str) -> dict[str, int]:
    """How many tickets each subject has."""
    path = sqlite_path(database_url)
    assert path is not None
    con = sqlite3.connect(path)
    try:
        return dict(
            con.execute('SELECT "asunto", COUNT(*) FROM "tickets_ticket" GROUP BY "asunto"')
        )
    finally:
        con.close()


def test_sigkill_mid_burst_loses_no_acknowledged_message(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as database_url:
        if not database_url.startswith("sqlite://"):
            database_url = f"sqlite://{tmp_path / 'soporte.db'}"  # the rows are read directly
        puerto = free_port()
        servidor = Servidor(
            tmp_path / "servidor",
            database_url,
            extra={
                "SOPORTE_MAIL_FROM": SOPORTE,
                "SOPORTE_CORREO_ADDRESS": SOPORTE,
                "SOPORTE_CORREO_SMTP_LISTEN": f"127.0.0.1:{puerto}",
                "SOPORTE_CORREO_SENDER_RATE": "off",
                # Short, so the batch the killed process had claimed is taken again soon;
                # long beside one message's processing, so a live claim never runs out.
                "SOPORTE_CORREO_PROCESSING_LEASE_SECONDS": "4",
            },
        )
        servidor.directorio.mkdir(parents=True)
        servidor.soporte("migrate")
        servidor.arrancar()
        rafaga = Rafaga(puerto)
        try:
            rafaga.empezar()
            assert rafaga.bastantes.wait(60), "the receiver acknowledged too few messages"
            servidor.matar()
            rafaga.terminar()
            confirmados = set(rafaga.confirmados)
            assert len(confirmados) < MENSAJES, "the kill came after the last message"

            antes = {m: reclamo for m, _, _, reclamo, _ in filas(database_url)}
            # Every acknowledged message was committed before its 250.
            assert confirmados <= set(antes)
            reclamados = {m for m, reclamo in antes.items() if reclamo is not None}
            assert len(reclamados) <= BATCH

            servidor.arrancar()
            limite = time.monotonic() + 90
            while time.monotonic() < limite:
                if all(estado != "RECIBIDO" for _, estado, _, _, _ in filas(database_url)):
                    break
                time.sleep(0.2)
        finally:
            servidor.parar()
        despues = {m: (estado, intentos, t) for m, estado, intentos, _, t in filas(database_url)}
        assert set(despues) == set(antes)  # the restart stored nothing twice, lost nothing
        for message_id, (estado, intentos, ticket) in despues.items():
            # Processed once: each message (its own customer, no thread) opened a ticket; one
            # the killed process had claimed was claimed again after its lease (two attempts).
            veces = 2 if message_id in reclamados else 1
            assert (estado, intentos) == ("PROCESADO", veces), (message_id, estado, intentos)
            assert ticket is not None, message_id
        # At most one ticket per message, and one for each message that made a ticket.
        por_asunto = tickets_por_asunto(database_url)
        assert all(n == 1 for n in por_asunto.values()), por_asunto
        con_ticket = {t for _, _, t in despues.values() if t is not None}
        assert len(con_ticket) == sum(por_asunto.values())
        assert servidor.errores_del_servidor() == []
