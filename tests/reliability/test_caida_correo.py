"""Mail survives SIGKILL: a burst of 200 agent replies queues 200 notification mails in the
outbox; the server is killed while it is still handing them to a (slowed) SMTP server, then
restarted on the same database. Every mail arrives; a mail that arrives twice (the server had
accepted it just before the kill, so its row was never marked) carries the same Message-ID.

The replies are acknowledged (201) before the kill, so their mails are committed rows: the
kill can only interrupt their delivery, and the leases it leaves expire and are claimed again.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from typing import TYPE_CHECKING

import aiohttp

from core.settings import sqlite_path
from core.testing import SmtpSink, fresh_database
from tests.reliability.servidor import CLAVE, Servidor

if TYPE_CHECKING:
    from pathlib import Path

RESPUESTAS = 200
#: Mails received before the kill: well into the burst, far from its end.
ANTES_DE_MATAR = 40


async def responder(servidor: Servidor, token: str, ticket_id: int) -> int:
    """:data:`RESPUESTAS` agent replies, ten at a time; how many were acknowledged."""
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{servidor.url}/api/soporte/tickets/{ticket_id}/responder/"
    confirmadas = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=10)) as session:

        async def una(i: int) -> None:
            nonlocal confirmadas
            async with session.post(url, json={"mensaje": f"Respuesta {i}"}, headers=headers) as r:
                assert r.status == 201, await r.text()
                confirmadas += 1

        await asyncio.gather(*(una(i) for i in range(RESPUESTAS)))
    return confirmadas


def filas(database_url: str) -> list[tuple[str, str]]:
    """``(message_id, estado)`` of every outbox row (SQLite file, read directly)."""
    path = sqlite_path(database_url)
    assert path is not None
    con = sqlite3.connect(path)
    try:
        return list(con.execute('SELECT "message_id", "estado" FROM "core_envio"'))
    finally:
        con.close()


async def test_sigkill_mid_delivery_loses_no_mail(tmp_path: Path) -> None:
    # 30 ms per message: 200 mails take seconds, so the kill lands mid-delivery.
    with SmtpSink(delay=0.03) as sink, fresh_database(tmp_path) as database_url:
        if not database_url.startswith("sqlite://"):
            database_url = f"sqlite://{tmp_path / 'soporte.db'}"  # the rows are read directly
        servidor = Servidor(
            tmp_path / "servidor",
            database_url,
            extra={
                "SOPORTE_SMTP_URL": sink.url,
                "SOPORTE_MAIL_FROM": "soporte@caida.test",
                "SOPORTE_OUTBOX_LEASE_SECONDS": "2",
                "SOPORTE_OUTBOX_POLL_SECONDS": "0.2",
                "SOPORTE_OUTBOX_RETRY_BASE_SECONDS": "0.2",
                "SOPORTE_OUTBOX_BATCH": "20",
                # One mail per reply (no coalescing), so 200 replies are 200 mails.
                "SOPORTE_NOTIFICACIONES_MAIL_COALESCE_MINUTES": "0",
            },
        )
        servidor.directorio.mkdir(parents=True)
        servidor.soporte("migrate")
        servidor.soporte(
            "createuser", "--username", "ana", "--password", CLAVE, "--email", "ana@caida.test"
        )
        servidor.soporte("createuser", "--username", "eva", "--password", CLAVE, "--rol", "AGENTE")
        servidor.arrancar()
        try:
            ana, eva = servidor.token("ana"), servidor.token("eva")
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    f"{servidor.url}/api/soporte/tickets/",
                    json={"asunto": "Caída", "categoria": "TECNICO", "descripcion": "Correo"},
                    headers={"Authorization": f"Bearer {ana}"},
                ) as r,
            ):
                assert r.status == 201, await r.text()
                ticket_id = (await r.json())["id"]
            assert await responder(servidor, eva, ticket_id) == RESPUESTAS
            await sink.wait_for(ANTES_DE_MATAR, espera=60)
            servidor.matar()
            antes = len(sink.received)
            esperados = {m for m, _ in filas(database_url)}
            # Every reply's mail was committed (the ticket's own "recibido" too).
            assert len(esperados) >= RESPUESTAS + 1
            assert antes < len(esperados), "the kill came after the last mail: slow the sink"

            servidor.arrancar()
            await sink.wait_for(len(esperados), espera=120)
            # Wait until the restarted server has recorded every row (it marks after the
            # server's 250), then compare what arrived with what was queued.
            for _ in range(600):
                if all(e == "ENVIADO" for _, e in filas(database_url)):
                    break
                await asyncio.sleep(0.05)
            assert {e for _, e in filas(database_url)} == {"ENVIADO"}
        finally:
            servidor.parar()
        recibidos = collections.Counter(str(m.message["Message-ID"]) for m in sink.received)
        assert set(recibidos) == esperados  # every mail arrived, nothing else did
        duplicados = {m: n for m, n in recibidos.items() if n > 1}
        # A duplicate only for a mail accepted by SMTP in the instant before the kill: at most
        # those of the batch being delivered, and identical (same Message-ID, same message).
        assert len(duplicados) <= 20, duplicados
        for message_id in duplicados:
            copias = [m.message for m in sink.received if m.message["Message-ID"] == message_id]
            assert len({(c["Subject"], c["To"], c.get_body().get_content()) for c in copias}) == 1
        assert all(m.rcpt_tos == ("ana@caida.test",) for m in sink.received)
        assert servidor.errores_del_servidor() == []
