"""Two real server processes on one PostgreSQL and one Redis — the deployment of
``docs/deployment.md`` in miniature.

The module migrates a fresh database once (``soporte migrate``), starts a private Redis and two
``soporte run`` processes (A and B, each on its own loopback port, as two machines behind a
proxy would be), and drives them over HTTP and WebSocket. It shows: chat crossing processes in
order; 100 concurrent creations split across both with unique numbers (and cases, and one vote
per user); two concurrent escalation passes applying each level once; ``soporte run --workers
2`` with a scheduler per worker; and a Redis restart that loses no message.

Every wait is bounded; the processes are always stopped and the database dropped.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import asyncpg
import pytest

from core.testing import free_port
from tests.scaleout.ayudas import RedisPrivado

if TYPE_CHECKING:
    from collections.abc import Iterator

SOPORTE = Path(sys.executable).parent / "soporte"
CLAVE = "clave-de-prueba-123"
#: Longest any one step may take on a loaded 2-core machine.
ESPERA = 30.0


@dataclass
class Servidor:
    """One ``soporte run`` process and its log."""

    nombre: str
    puerto: int
    proceso: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.puerto}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.puerto}"

    def parar(self) -> int:
        """SIGTERM (a deploy's stop), then SIGKILL if it lingers; the exit code."""
        if self.proceso.poll() is None:
            self.proceso.terminate()
            try:
                self.proceso.wait(20)
            except subprocess.TimeoutExpired:
                self.proceso.kill()
                self.proceso.wait(10)
        return self.proceso.returncode


@dataclass
class Despliegue:
    """The database, the Redis, the environment every process shares, and servers A and B."""

    db_url: str
    redis: RedisPrivado
    carpeta: Path
    entorno: dict[str, str]
    servidores: list[Servidor] = field(default_factory=list)

    @property
    def a(self) -> Servidor:
        return self.servidores[0]

    @property
    def b(self) -> Servidor:
        return self.servidores[1]

    def comando(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        """Start ``soporte args`` with the shared environment."""
        return subprocess.Popen(
            [str(SOPORTE), *args],
            env={**self.entorno, **extra},
            cwd=self.carpeta,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def arrancar(self, nombre: str, *args: str, **extra: str) -> Servidor:
        """Start ``soporte run`` on a free port and wait until ``/readyz`` answers 200."""
        puerto = free_port()
        log = self.carpeta / f"{nombre}.log"
        with log.open("wb") as salida:
            proceso = subprocess.Popen(
                [str(SOPORTE), "run", "--host", "127.0.0.1", "--port", str(puerto), *args],
                env={**self.entorno, **extra},
                cwd=self.carpeta,
                stdout=salida,
                stderr=subprocess.STDOUT,
            )
        servidor = Servidor(nombre, puerto, proceso, log)
        limite = time.monotonic() + 60
        while True:
            if proceso.poll() is not None:
                raise AssertionError(f"{nombre} exited: {log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{servidor.url}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return servidor
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > limite:
                servidor.parar()
                raise AssertionError(f"{nombre} never became ready: {log.read_text()[-3000:]}")
            time.sleep(0.2)

    async def sql(self, consulta: str, *args: Any) -> list[asyncpg.Record]:
        """Run one statement on the shared database (what no API exposes: clocks, counts)."""
        conn = await asyncpg.connect(self.db_url)
        try:
            return list(await conn.fetch(consulta, *args))
        finally:
            await conn.close()


def _base_dsn() -> str:
    url = os.environ["SOPORTE_TEST_DATABASE_URL"]
    return "postgres://" + url.split("://", 1)[1].split("?", 1)[0]


async def _crear_base(nombre: str) -> None:
    conn = await asyncpg.connect(_base_dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{nombre}"')
    finally:
        await conn.close()


async def _borrar_base(nombre: str) -> None:
    conn = await asyncpg.connect(_base_dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{nombre}" WITH (FORCE)')
    finally:
        await conn.close()


def _esperar(proceso: subprocess.Popen[str], que: str) -> str:
    salida, _ = proceso.communicate(timeout=120)
    assert proceso.returncode == 0, f"{que} failed: {salida}"
    return salida


@pytest.fixture(scope="module")
def despliegue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Despliegue]:
    """Migrate once, create the staff, start Redis and servers A and B; tear all down."""
    nombre = f"soporte_escala_{uuid.uuid4().hex[:10]}"
    asyncio.run(_crear_base(nombre))
    carpeta = tmp_path_factory.mktemp("despliegue")
    redis = RedisPrivado()
    base = _base_dsn().rsplit("/", 1)[0]
    entorno = {k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")}
    entorno.update(
        SOPORTE_DATABASE_URL=f"{base}/{nombre}",
        SOPORTE_REDIS_URL=redis.url,
        SOPORTE_SECRET_KEY="una-clave-compartida-por-todos",
        SOPORTE_MEDIA_DIR=str(carpeta / "media"),
        SOPORTE_ESCALAMIENTO_INTERVAL="0",  # the passes below are started by hand
        SOPORTE_LOG_LEVEL="INFO",
        # Every client here is 127.0.0.1 and one customer creates 100 tickets and 40 cases at
        # once: concurrency under test, not abuse (the login limit per account stays default).
        SOPORTE_RATE_LOGIN_ADDRESS="10000/minute",
        SOPORTE_RATE_SIGNUP="10000/minute",
        SOPORTE_RATE_TICKETS="10000/minute",
        SOPORTE_RATE_CASES="10000/minute",
    )
    d = Despliegue(f"{base}/{nombre}", redis, carpeta, entorno)
    try:
        redis.arrancar()
        _esperar(d.comando("migrate"), "soporte migrate")  # once per deploy, before servers
        staff = [
            d.comando("createuser", "--username", u, "--password", CLAVE, "--rol", rol)
            for u, rol in (("agente", "AGENTE"), ("admin", "ADMIN"))
        ]
        for proceso in staff:
            _esperar(proceso, "soporte createuser")
        d.servidores.append(d.arrancar("A"))
        d.servidores.append(d.arrancar("B"))
        yield d
    finally:
        codigos = [s.parar() for s in d.servidores]
        redis.parar()
        asyncio.run(_borrar_base(nombre))
    assert codigos == [0] * len(codigos), "a server did not stop cleanly on SIGTERM"


# --- clients -----------------------------------------------------------------------------------


@dataclass
class Usuario:
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def entrar(http: aiohttp.ClientSession, s: Servidor, username: str) -> Usuario:
    r = await http.post(f"{s.url}/api/auth/token/", json={"username": username, "password": CLAVE})
    assert r.status == 200, await r.text()
    return Usuario(username, (await r.json())["token"])


async def registrar(http: aiohttp.ClientSession, s: Servidor, prefijo: str) -> Usuario:
    username = f"{prefijo}-{uuid.uuid4().hex[:8]}"
    r = await http.post(
        f"{s.url}/api/auth/registro/",
        json={"username": username, "password": CLAVE, "email": f"{username}@x.test"},
    )
    assert r.status == 201, await r.text()
    return await entrar(http, s, username)


async def crear_ticket(
    http: aiohttp.ClientSession, s: Servidor, u: Usuario, prioridad: str = "MEDIA"
) -> dict[str, Any]:
    r = await http.post(
        f"{s.url}/api/soporte/tickets/",
        headers=u.headers,
        json={
            "asunto": "No puedo pagar",
            "categoria": "PAGOS",
            "prioridad": prioridad,
            "descripcion": "La pasarela rechaza mi tarjeta",
        },
    )
    assert r.status == 201, await r.text()
    return dict(await r.json())


async def responder(
    http: aiohttp.ClientSession, s: Servidor, u: Usuario, ticket_id: int, texto: str
) -> int:
    r = await http.post(
        f"{s.url}/api/soporte/tickets/{ticket_id}/responder/",
        headers=u.headers,
        json={"mensaje": texto},
    )
    assert r.status == 201, await r.text()
    return int((await r.json())["id"])


async def socket(
    http: aiohttp.ClientSession, s: Servidor, u: Usuario, ticket_id: int
) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(
        f"{s.ws_url}/ws/soporte/ticket/{ticket_id}/?token={u.token}&historial=0"
    )
    assert (await siguiente(ws, "connection_status"))["conectado"] is True
    return ws


async def siguiente(ws: aiohttp.ClientWebSocketResponse, tipo: str) -> dict[str, Any]:
    """The next frame of ``tipo`` (others skipped) within :data:`ESPERA` seconds."""
    async with asyncio.timeout(ESPERA):
        while True:
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.TEXT, f"socket closed: {msg}"
            data = json.loads(msg.data)
            if data["tipo"] == tipo:
                return dict(data)


async def mensajes(ws: aiohttp.ClientWebSocketResponse, n: int) -> list[int]:
    return [(await siguiente(ws, "mensaje"))["id"] for _ in range(n)]


async def ningun_mensaje(ws: aiohttp.ClientWebSocketResponse, espera: float = 1.0) -> None:
    try:
        async with asyncio.timeout(espera):
            while True:
                msg = await ws.receive()
                assert msg.type == aiohttp.WSMsgType.TEXT, f"socket closed: {msg}"
                assert json.loads(msg.data)["tipo"] != "mensaje", msg.data
    except TimeoutError:
        pass


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=ESPERA)) as session:
        yield session


# --- the tests ---------------------------------------------------------------------------------


async def test_chat_crosses_processes_in_order(despliegue: Despliegue, http) -> None:
    a, b = despliegue.a, despliegue.b
    cliente = await registrar(http, a, "lucia")
    agente = await entrar(http, b, "agente")
    ticket = await crear_ticket(http, a, cliente)
    en_a = await socket(http, a, agente, ticket["id"])
    en_b = await socket(http, b, cliente, ticket["id"])
    # Through B: REST replies by the agent, then chat messages by the customer.
    enviados = [await responder(http, b, agente, ticket["id"], f"rest {i}") for i in range(20)]
    for i in range(10):
        await en_b.send_json({"tipo": "mensaje", "mensaje": f"chat {i}"})
    enviados += (await mensajes(en_b, 30))[20:]
    assert enviados == sorted(enviados) and len(set(enviados)) == 30
    assert await mensajes(en_a, 30) == enviados  # all of them, in order, on the other process
    await ningun_mensaje(en_a, 0.5)
    await en_a.close()
    await en_b.close()


async def test_concurrent_creations_across_both_processes(despliegue: Despliegue, http) -> None:
    a, b = despliegue.a, despliegue.b
    cliente = await registrar(http, a, "masivo")
    tickets = await asyncio.gather(
        *(crear_ticket(http, (a, b)[i % 2], cliente) for i in range(100))
    )
    ids = {t["id"] for t in tickets}
    numeros = {t["numero"] for t in tickets}
    assert len(ids) == len(numeros) == 100
    assert all(re.fullmatch(r"TK-\d{6,}", n) for n in numeros)

    async def crear_caso(s: Servidor, i: int) -> str:
        r = await http.post(
            f"{s.url}/api/soporte/casos/",
            headers=cliente.headers,
            json={
                "tipo_caso": "RECLAMO",
                "urgencia": "MEDIA",
                "titulo": f"Caso {i}",
                "descripcion": "Cobro doble",
            },
        )
        assert r.status == 201, await r.text()
        return str((await r.json())["numero"])

    casos = await asyncio.gather(*(crear_caso((a, b)[i % 2], i) for i in range(40)))
    assert len(set(casos)) == 40

    admin = await entrar(http, a, "admin")
    r = await http.post(
        f"{a.url}/api/soporte/faqs/",
        headers=admin.headers,
        json={"pregunta": "¿Cómo pago?", "respuesta": "Con tarjeta.", "categoria": "Pagos"},
    )
    assert r.status == 201, await r.text()
    faq = (await r.json())["id"]

    async def votar(s: Servidor, util: bool) -> None:
        r = await http.post(
            f"{s.url}/api/soporte/faqs/{faq}/valorar/",
            headers=cliente.headers,
            json={"es_util": util},
        )
        assert r.status == 200, await r.text()

    await asyncio.gather(*(votar((a, b)[i % 2], i % 3 == 0) for i in range(30)))
    r = await http.get(f"{b.url}/api/soporte/faqs/{faq}/")
    datos = await r.json()
    assert datos["valoraciones_positivas"] + datos["valoraciones_negativas"] == 1
    [fila] = await despliegue.sql("SELECT count(*) AS n FROM faq_voto WHERE faq_id = $1", faq)
    assert fila["n"] == 1


async def _regla_alta(despliegue: Despliegue, http: aiohttp.ClientSession) -> None:
    """One rule: ALTA tickets escalate one level per hour waited, up to 3 (idempotent)."""
    admin = await entrar(http, despliegue.a, "admin")
    r = await http.get(
        f"{despliegue.a.url}/api/soporte/escalamiento/reglas/", headers=admin.headers
    )
    if (await r.json())["count"]:
        return
    r = await http.post(
        f"{despliegue.a.url}/api/soporte/escalamiento/reglas/",
        headers=admin.headers,
        json={
            "nombre": "Alta sin respuesta",
            "tiempo_respuesta_maximo": 1,
            "prioridades_escalamiento": ["ALTA"],
            "niveles_escalamiento": 3,
            "notificaciones_automaticas": False,
        },
    )
    assert r.status == 201, await r.text()


async def _vencidos(
    despliegue: Despliegue, http: aiohttp.ClientSession, s: Servidor, n: int
) -> list[int]:
    """``n`` ALTA tickets whose customer has waited 10 hours: due for level 3."""
    cliente = await registrar(http, s, "espera")
    ids = [(await crear_ticket(http, s, cliente, "ALTA"))["id"] for _ in range(n)]
    await despliegue.sql(
        "UPDATE tickets_ticket SET esperando_desde = now() - interval '10 hours' "
        "WHERE id = ANY($1::int[])",
        ids,
    )
    return ids


async def _niveles(despliegue: Despliegue, ids: list[int]) -> dict[int, list[int]]:
    filas = await despliegue.sql(
        "SELECT ticket_id, nivel FROM escalamiento_escalamiento WHERE ticket_id = ANY($1::int[]) "
        "ORDER BY ticket_id, nivel",
        ids,
    )
    niveles: dict[int, list[int]] = {i: [] for i in ids}
    for fila in filas:
        niveles[fila["ticket_id"]].append(fila["nivel"])
    return niveles


async def test_two_concurrent_escalation_passes_apply_each_level_once(
    despliegue: Despliegue, http
) -> None:
    await _regla_alta(despliegue, http)
    ids = await _vencidos(despliegue, http, despliegue.b, 10)
    pasadas = [despliegue.comando("escalar", "--once") for _ in range(2)]
    salidas = await asyncio.gather(
        *(asyncio.to_thread(_esperar, p, "soporte escalar --once") for p in pasadas)
    )
    hechos = [int(re.search(r"(\d+) escalamiento\(s\)", s).group(1)) for s in salidas]  # type: ignore[union-attr]  # None fails the test too
    assert sum(hechos) == 30, salidas  # 10 tickets × 3 levels, between both passes
    assert await _niveles(despliegue, ids) == {i: [1, 2, 3] for i in ids}
    [fila] = await despliegue.sql(
        "SELECT count(*) AS alertas, "
        "(SELECT count(*) FROM tickets_ticket WHERE id = ANY($1::int[]) "
        " AND nivel_escalamiento = 3) AS en_3 "
        "FROM escalamiento_alerta WHERE ticket_id = ANY($1::int[])",
        ids,
    )
    assert (fila["alertas"], fila["en_3"]) == (30, 10)


def _hijos(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux ``/proc``)."""
    texto = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in texto.split()]


async def test_workers_share_a_port_each_with_its_scheduler(despliegue: Despliegue, http) -> None:
    await _regla_alta(despliegue, http)
    c = await asyncio.to_thread(
        despliegue.arrancar, "C", "--workers", "2", SOPORTE_ESCALAMIENTO_INTERVAL="0.3"
    )
    despliegue.servidores.append(c)  # stopped (and its exit code checked) at teardown
    assert len(_hijos(c.proceso.pid)) == 2

    # The channel layer works from gunicorn's workers too: a reply through A reaches C.
    cliente = await registrar(http, c, "workers")
    agente = await entrar(http, c, "agente")
    ticket = await crear_ticket(http, c, cliente)
    en_c = await socket(http, c, cliente, ticket["id"])
    respuesta = await responder(http, despliegue.a, agente, ticket["id"], "desde A")
    assert await mensajes(en_c, 1) == [respuesta]
    await en_c.close()

    # Both workers run a pass every 0.3 s: still each level once.
    ids = await _vencidos(despliegue, http, c, 5)
    async with asyncio.timeout(ESPERA):
        while any(len(n) < 3 for n in (await _niveles(despliegue, ids)).values()):  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    await asyncio.sleep(1.5)  # several more passes of both workers
    assert await _niveles(despliegue, ids) == {i: [1, 2, 3] for i in ids}
    log = c.log.read_text()
    assert log.count("Booting worker") == 2 and "escalation pass" in log


async def test_a_redis_restart_loses_no_message(despliegue: Despliegue, http) -> None:
    a, b = despliegue.a, despliegue.b
    cliente = await registrar(http, a, "corte")
    agente = await entrar(http, a, "agente")
    ticket = (await crear_ticket(http, a, cliente))["id"]
    en_a = await socket(http, a, agente, ticket)
    en_b = await socket(http, b, cliente, ticket)
    antes = await responder(http, b, cliente, ticket, "antes")
    assert await mensajes(en_a, 1) == await mensajes(en_b, 1) == [antes]

    despliegue.redis.parar()
    for s in (a, b):  # HTTP keeps working while Redis is down
        r = await http.get(f"{s.url}/readyz")
        assert r.status == 200
    de_b = await responder(http, b, cliente, ticket, "¿hay alguien?")
    de_a = await responder(http, a, agente, ticket, "sí, aquí")
    assert await mensajes(en_b, 1) == [de_b]  # each process's own sockets: at once
    assert await mensajes(en_a, 1) == [de_a]

    despliegue.redis.arrancar()
    # Resubscribed, each process replays what its sockets missed: once, nothing older.
    assert await mensajes(en_a, 1) == [de_b]
    assert await mensajes(en_b, 1) == [de_a]
    await ningun_mensaje(en_a)
    await ningun_mensaje(en_b, 0.1)

    despliegue_vivo = await responder(http, b, cliente, ticket, "gracias")  # not silent
    assert await mensajes(en_a, 1) == await mensajes(en_b, 1) == [despliegue_vivo]
    await en_a.close()
    await en_b.close()


async def test_two_processes_share_one_login_limit_through_redis(
    despliegue: Despliegue, http
) -> None:
    a, b = despliegue.a, despliegue.b
    cliente = await registrar(http, a, "victima")

    async def adivinar(s: Servidor, i: int) -> int:
        r = await http.post(
            f"{s.url}/api/auth/token/",
            json={"username": cliente.username, "password": f"adivina-{i}"},
        )
        if r.status == 429:
            assert int(r.headers["Retry-After"]) >= 1
        return r.status

    # 30 parallel wrong guesses, half to each process: one count in Redis, reserved before
    # each password is verified — 5 (login_max_failures' default) verified in all, not 5 each.
    estados = await asyncio.gather(*(adivinar((a, b)[i % 2], i) for i in range(30)))
    assert sorted(estados) == [401] * 5 + [429] * 25
    for s in (a, b):  # locked out on both, even with the right password
        r = await http.post(
            f"{s.url}/api/auth/token/", json={"username": cliente.username, "password": CLAVE}
        )
        assert r.status == 429
