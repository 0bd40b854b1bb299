"""Automatic assignment across two real server processes on one PostgreSQL (issue 17's "done
when"): 1,000 new tickets created through both, round-robin, each assigned exactly once and
spread evenly over the agents (max − min ≤ 1).

Both processes assign: the listener of the process that created a ticket, and each process's
sweep (every second here, so that sweeps race the listeners). The proofs are in the database:
every ticket has an agent; each agent's ``asignados`` counter — incremented in the same
transaction as the assignment — equals the tickets they hold, so no ticket was assigned twice
(a second assignment would count twice); and the counts differ by at most one.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from tests.scaleout.ayudas import RedisPrivado
from tests.scaleout.test_dos_procesos import (
    CLAVE,
    Despliegue,
    _base_dsn,
    _borrar_base,
    _crear_base,
    _esperar,
    entrar,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

AGENTES = ("ana", "beto", "carla", "dario", "elena", "fede", "gala")
TICKETS = 1000
CLIENTES = 20
#: Requests in flight at once, over both processes.
EN_VUELO = 24


@pytest.fixture(scope="module")
def despliegue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Despliegue]:
    """Migrate once, create seven agents, start Redis and servers A and B with round-robin."""
    nombre = f"soporte_asignacion_{uuid.uuid4().hex[:10]}"
    asyncio.run(_crear_base(nombre))
    carpeta = tmp_path_factory.mktemp("asignacion")
    redis = RedisPrivado()
    base = _base_dsn().rsplit("/", 1)[0]
    entorno = {k: v for k, v in __import__("os").environ.items() if not k.startswith("SOPORTE_")}
    entorno.update(
        SOPORTE_DATABASE_URL=f"{base}/{nombre}",
        SOPORTE_REDIS_URL=redis.url,
        SOPORTE_SECRET_KEY="una-clave-compartida-por-todos",
        SOPORTE_MEDIA_DIR=str(carpeta / "media"),
        SOPORTE_ESCALAMIENTO_INTERVAL="0",
        SOPORTE_ASIGNACION_POLICY="round_robin",
        SOPORTE_ASIGNACION_SWEEP_SECONDS="1",
        SOPORTE_NOTIFICACIONES_NEW_TICKET_RECIPIENTS="ninguno",
        SOPORTE_RATE_LOGIN_ADDRESS="10000/minute",
        SOPORTE_RATE_SIGNUP="10000/minute",
        SOPORTE_RATE_TICKETS="100000/minute",
    )
    d = Despliegue(f"{base}/{nombre}", redis, carpeta, entorno)
    try:
        redis.arrancar()
        _esperar(d.comando("migrate"), "soporte migrate")
        for username in AGENTES:
            _esperar(
                d.comando(
                    "createuser", "--username", username, "--password", CLAVE, "--rol", "AGENTE"
                ),
                "soporte createuser",
            )
        d.servidores.append(d.arrancar("A"))
        d.servidores.append(d.arrancar("B"))
        yield d
    finally:
        codigos = [s.parar() for s in d.servidores]
        redis.parar()
        asyncio.run(_borrar_base(nombre))
    assert codigos == [0] * len(codigos), "a server did not stop cleanly on SIGTERM"


async def _registrar(http: aiohttp.ClientSession, d: Despliegue, i: int) -> Any:
    servidor = d.servidores[i % 2]
    username = f"cliente{i}-{uuid.uuid4().hex[:6]}"
    r = await http.post(
        f"{servidor.url}/api/auth/registro/",
        json={"username": username, "password": CLAVE, "email": f"{username}@x.test"},
    )
    assert r.status == 201, await r.text()
    return await entrar(http, servidor, username)


async def test_mil_tickets_en_dos_procesos_se_asignan_una_vez_y_por_igual(
    despliegue: Despliegue,
) -> None:
    d = despliegue
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        clientes = [await _registrar(http, d, i) for i in range(CLIENTES)]
        cupo = asyncio.Semaphore(EN_VUELO)

        async def crear(i: int) -> int:
            servidor, cliente = d.servidores[i % 2], clientes[i % CLIENTES]
            async with cupo:
                r = await http.post(
                    f"{servidor.url}/api/soporte/tickets/",
                    headers=cliente.headers,
                    json={
                        "asunto": f"Pedido {i}",
                        "categoria": "PAGOS",
                        "descripcion": "La pasarela rechaza mi tarjeta",
                    },
                )
                assert r.status == 201, await r.text()
                return int((await r.json())["id"])

        ids = await asyncio.gather(*(crear(i) for i in range(TICKETS)))
    assert len(set(ids)) == TICKETS

    # Every ticket gets an agent: at once from its listener, or from a sweep within seconds.
    limite = time.monotonic() + 60
    while True:
        [(sin_agente,)] = await d.sql(
            "SELECT count(*) FROM tickets_ticket WHERE agente_asignado_id IS NULL"
        )
        if sin_agente == 0:
            break
        assert time.monotonic() < limite, f"{sin_agente} tickets still unassigned"
        await asyncio.sleep(0.2)

    filas = await d.sql(
        "SELECT u.username, count(t.id) AS tickets, a.asignados "
        "FROM core_usuario u "
        "JOIN asignacion_agente a ON a.usuario_id = u.id "
        "LEFT JOIN tickets_ticket t ON t.agente_asignado_id = u.id "
        "WHERE u.rol = 'AGENTE' GROUP BY u.username, a.asignados"
    )
    por_agente = {f["username"]: (f["tickets"], f["asignados"]) for f in filas}
    assert set(por_agente) == set(AGENTES)
    tickets = [n for n, _ in por_agente.values()]
    assert sum(tickets) == TICKETS
    # Exactly once: each assignment was counted in its own transaction, and the counts match
    # what the agents hold (a ticket assigned twice would count twice).
    assert all(n == asignados for n, asignados in por_agente.values()), por_agente
    assert max(tickets) - min(tickets) <= 1, por_agente
    # Both processes assigned (each created half the tickets; its listener assigns them).
    logs = [s.log.read_text() for s in d.servidores]
    assert all("assigned to agent" in log for log in logs)
    # No assignment failed on the way (a deadlock, a listener's error, a failed sweep).
    assert not [log for log in logs if "Traceback" in log], [log[-3000:] for log in logs]
