"""Crash safety: SIGKILL the server in the middle of concurrent ticket creation, restart it on
the same database, and every acknowledged ticket is there, with its number.

"Acknowledged" means the client received the ``201`` with the ticket: the server answers only
after the transaction committed, so a kill can lose requests in flight, never one it answered.

Why this holds on the default SQLite database: tortoise opens it in WAL mode (the test checks
the file's journal mode), and a commit in WAL mode has been written to the ``-wal`` file before
the ``201`` leaves. A killed *process* loses nothing the kernel already has: even with
``synchronous=NORMAL`` (which skips the fsync at each commit) the write sits in the OS page
cache and reaches the file; only a power loss or kernel crash could drop the last commits under
``NORMAL`` — and SQLite's default for WAL, ``synchronous=FULL``, syncs every commit anyway. With
``SOPORTE_TEST_DATABASE_URL`` pointing to PostgreSQL the same test runs against it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from typing import TYPE_CHECKING, Any

import aiohttp

from core.settings import sqlite_path
from core.testing import fresh_database
from tests.reliability.servidor import Servidor

if TYPE_CHECKING:
    from pathlib import Path

#: Concurrent creations fired at the server.
PETICIONES = 400
#: How many must be acknowledged before the kill (the rest are in flight or not yet sent).
ANTES_DE_MATAR = 60


async def crear_tickets(servidor: Servidor, token: str) -> dict[int, str]:
    """Fire :data:`PETICIONES` concurrent creations and SIGKILL the server after
    :data:`ANTES_DE_MATAR` answers; every acknowledged ticket as ``{id: numero}``."""
    confirmados: dict[int, str] = {}
    suficientes = asyncio.Event()
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=60)

    async def crear(session: aiohttp.ClientSession, i: int) -> None:
        body = {"asunto": f"Caída {i}", "categoria": "TECNICO", "descripcion": "Prueba de caída"}
        try:
            async with session.post(
                f"{servidor.url}/api/soporte/tickets/", json=body, headers=headers
            ) as r:
                if r.status != 201:
                    raise AssertionError(f"{r.status} {await r.text()}")
                ticket = await r.json()
        except (TimeoutError, aiohttp.ClientError):
            return  # killed in flight (or never sent): not acknowledged, nothing promised
        confirmados[ticket["id"]] = ticket["numero"]
        if len(confirmados) >= ANTES_DE_MATAR:
            suficientes.set()

    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tareas = [asyncio.create_task(crear(session, i)) for i in range(PETICIONES)]
        await asyncio.wait_for(suficientes.wait(), 60)
        assert servidor.proceso is not None
        os.kill(servidor.proceso.pid, signal.SIGKILL)  # at once, mid-flight
        await asyncio.gather(*tareas)
    servidor.proceso.wait(timeout=30)
    servidor.proceso = None
    return confirmados


async def todos_los_tickets(servidor: Servidor, token: str) -> list[dict[str, Any]]:
    """Every ticket of the customer, through the paginated list."""
    headers = {"Authorization": f"Bearer {token}"}
    tickets: list[dict[str, Any]] = []
    url: str | None = f"{servidor.url}/api/soporte/mis-tickets/?size=100"
    async with aiohttp.ClientSession() as session:
        while url:
            async with session.get(url, headers=headers) as r:
                assert r.status == 200, await r.text()
                pagina = await r.json()
            tickets += pagina["results"]
            url = pagina["next"]
    return tickets


def test_acknowledged_tickets_survive_sigkill(tmp_path: Path) -> None:
    """Every ticket answered with 201 before the kill exists after a restart with the same
    numero; numbers are unique and derived from the id; the database file is intact."""
    with fresh_database(tmp_path) as url:
        servidor = Servidor(tmp_path, url)
        servidor.preparar({"cliente": "CLIENTE"})
        servidor.arrancar()
        try:
            token = servidor.token("cliente")
            confirmados = asyncio.run(crear_tickets(servidor, token))
            # The kill really came mid-way: some requests were never answered.
            assert ANTES_DE_MATAR <= len(confirmados) < PETICIONES

            servidor.arrancar()
            tickets = asyncio.run(todos_los_tickets(servidor, token))
        finally:
            servidor.parar()
        assert servidor.arranques == 2
        assert servidor.errores_del_servidor() == []

    guardados = {t["id"]: t["numero"] for t in tickets}
    perdidos = {i: n for i, n in confirmados.items() if guardados.get(i) != n}
    assert perdidos == {}, "acknowledged tickets lost or renumbered by the crash"
    numeros = [t["numero"] for t in tickets]
    assert len(numeros) == len(set(numeros)), "duplicate ticket numbers"
    assert all(n == f"TK-{i:06d}" for i, n in guardados.items())
    # Requests the kill interrupted either committed whole or left nothing: at most every
    # request fired, at least every one acknowledged.
    assert len(confirmados) <= len(tickets) <= PETICIONES

    db = sqlite_path(url)
    if db is not None:
        con = sqlite3.connect(db)
        try:
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            con.close()
