"""Webhooks survive SIGKILL: 500 deliveries are queued (replies on a few tickets), the server
is killed while it is still sending them to a (slowed) receiver, then restarted on the same
database. Every delivery arrives, in order per ticket, each request verified with the shipped
verifier; a delivery that arrives twice (received just before the kill, so never marked) is
the same delivery: same ``Soporte-Entrega``, same body.

The replies are acknowledged (201) before the kill, so their deliveries are committed rows:
the kill only interrupts sending, and the leases it leaves expire and are claimed again.
"""

from __future__ import annotations

import asyncio
import collections
import json
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from core.settings import sqlite_path
from core.testing import fresh_database
from plugins.webhooks.verificador import verificar
from tests.reliability.servidor import Servidor

if TYPE_CHECKING:
    from pathlib import Path

TICKETS = 5
RESPUESTAS_POR_TICKET = 99
#: Requests received before the kill: well into the burst, far from its end.
ANTES_DE_MATAR = 80


@dataclass(frozen=True)
class Llegada:
    """One request as the receiver got it."""

    entrega: str
    cuerpo: bytes
    firma: str


async def responder(servidor: Servidor, token: str, tickets: list[int]) -> int:
    """:data:`RESPUESTAS_POR_TICKET` agent replies on each ticket, ten at a time (one
    ticket's replies in sequence, so that their order is the order of the requests)."""
    headers = {"Authorization": f"Bearer {token}"}
    confirmadas = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=10)) as session:

        async def de(ticket_id: int) -> None:
            nonlocal confirmadas
            url = f"{servidor.url}/api/soporte/tickets/{ticket_id}/responder/"
            for i in range(RESPUESTAS_POR_TICKET):
                async with session.post(url, json={"mensaje": f"R{i}"}, headers=headers) as r:
                    assert r.status == 201, await r.text()
                    confirmadas += 1

        await asyncio.gather(*(de(t) for t in tickets))
    return confirmadas


def entregas(database_url: str) -> dict[str, tuple[int, str, str]]:
    """``clave → (id, clave_orden, estado)`` of every delivery (SQLite file, read directly)."""
    path = sqlite_path(database_url)
    assert path is not None
    con = sqlite3.connect(path)
    try:
        filas = con.execute('SELECT "clave", "id", "clave_orden", "estado" FROM "webhooks_entrega"')
        return {c: (i, o, e) for c, i, o, e in filas}
    finally:
        con.close()


async def test_sigkill_mid_delivery_loses_no_webhook(tmp_path: Path) -> None:
    llegadas: list[Llegada] = []

    async def recibir(request: web.Request) -> web.Response:
        cuerpo = await request.read()
        await asyncio.sleep(0.01)  # a slow receiver: the kill lands mid-delivery
        llegadas.append(
            Llegada(request.headers["Soporte-Entrega"], cuerpo, request.headers["Soporte-Firma"])
        )
        return web.Response(text="ok")

    receptor_app = web.Application()
    receptor_app.router.add_post("/hook", recibir)
    receptor = TestServer(receptor_app, host="127.0.0.1")
    await receptor.start_server()
    with fresh_database(tmp_path) as database_url:
        if not database_url.startswith("sqlite://"):
            database_url = f"sqlite://{tmp_path / 'soporte.db'}"  # the rows are read directly
        servidor = Servidor(
            tmp_path / "servidor",
            database_url,
            extra={
                "SOPORTE_WEBHOOKS_PERMITIR_PRIVADAS": "true",
                "SOPORTE_WEBHOOKS_REINTENTO_BASE_SEGUNDOS": "0.2",
                "SOPORTE_OUTBOX_LEASE_SECONDS": "2",
                "SOPORTE_OUTBOX_POLL_SECONDS": "0.2",
                "SOPORTE_OUTBOX_BATCH": "50",
            },
        )
        servidor.preparar({"ana": "CLIENTE", "eva": "AGENTE", "root": "ADMIN"})
        servidor.arrancar()
        try:
            ana, eva, root = (servidor.token(u) for u in ("ana", "eva", "root"))
            async with aiohttp.ClientSession() as session:
                async with session.post(
                    f"{servidor.url}/api/soporte/webhooks/",
                    json={
                        "url": str(receptor.make_url("/hook")),
                        "eventos": ["ticket_creado", "respuesta_creada"],
                    },
                    headers={"Authorization": f"Bearer {root}"},
                ) as r:
                    assert r.status == 201, await r.text()
                    secreto = (await r.json())["secreto"]
                tickets = []
                for i in range(TICKETS):
                    async with session.post(
                        f"{servidor.url}/api/soporte/tickets/",
                        json={"asunto": f"Caída {i}", "categoria": "TECNICO", "descripcion": "x"},
                        headers={"Authorization": f"Bearer {ana}"},
                    ) as r:
                        assert r.status == 201, await r.text()
                        tickets.append((await r.json())["id"])
            assert await responder(servidor, eva, tickets) == TICKETS * RESPUESTAS_POR_TICKET
            for _ in range(1200):
                if len(llegadas) >= ANTES_DE_MATAR:
                    break
                await asyncio.sleep(0.05)
            servidor.matar()
            antes = len({ll.entrega for ll in llegadas})
            esperadas = entregas(database_url)
            assert len(esperadas) == TICKETS * (1 + RESPUESTAS_POR_TICKET)  # 500
            assert antes < len(esperadas), "the kill came after the last delivery: slow it"

            servidor.arrancar()
            for _ in range(2400):
                if {ll.entrega for ll in llegadas} >= set(esperadas) and all(
                    e == "ENTREGADA" for _, _, e in entregas(database_url).values()
                ):
                    break
                await asyncio.sleep(0.05)
        finally:
            servidor.parar()
            await receptor.close()
        esperadas = entregas(database_url)
        assert {e for _, _, e in esperadas.values()} == {"ENTREGADA"}
        assert {ll.entrega for ll in llegadas} == set(esperadas)  # all arrived, nothing else
        for llegada in llegadas:
            assert verificar(llegada.cuerpo, llegada.firma, secreto), llegada.entrega
        # Duplicates only of one delivery: the same body each time.
        copias = collections.defaultdict(set)
        for llegada in llegadas:
            copias[llegada.entrega].add(llegada.cuerpo)
        assert all(len(c) == 1 for c in copias.values())
        duplicadas = sum(
            1 for n in collections.Counter(ll.entrega for ll in llegadas).values() if n > 1
        )
        assert duplicadas <= 50, duplicadas  # at most a batch in flight at the kill
        # In order per ticket: each ticket's deliveries first arrived in the order queued.
        vistas: set[str] = set()
        por_ticket: dict[str, list[int]] = collections.defaultdict(list)
        for llegada in llegadas:
            if llegada.entrega in vistas:
                continue
            vistas.add(llegada.entrega)
            id_, orden, _ = esperadas[llegada.entrega]
            por_ticket[orden].append(id_)
            assert json.loads(llegada.cuerpo)["datos"]["ticket_id"] == int(orden.split(":")[1])
        assert len(por_ticket) == TICKETS
        for orden, ids in por_ticket.items():
            assert ids == sorted(ids), f"{orden} out of order"
        assert servidor.errores_del_servidor() == []
