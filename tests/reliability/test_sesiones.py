"""Sessions end everywhere: an open chat socket is closed with 4401 once its token is revoked
by logout, once it expires, once its user's password changes or the user is deactivated —
through the service functions and through the ``soporte`` commands run as another process
(no Redis: the server's periodic check finds out). A socket of another token, or of another
user, stays open."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import WSMsgType

from core import keys
from core.auth import service
from core.auth.models import Token, Usuario
from core.auth.passwords import hash_token
from core.i18n import ENVIRONMENT_VARIABLES
from core.sessions import CLOSE_UNAUTHENTICATED
from core.testing import SoporteClient, token_of

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

pytestmark = pytest.mark.plugins("tickets", "chat")

#: The console script of the environment running the tests.
SOPORTE = str(Path(sys.executable).with_name("soporte"))


async def crear_ticket(soporte: SoporteClient, cliente: Usuario) -> int:
    """A ticket of ``cliente``."""
    body = {"asunto": "Sesiones", "categoria": "GENERAL", "descripcion": "Hablemos"}
    r = await soporte.post("/api/soporte/tickets/", headers=soporte.auth(cliente), json=body)
    assert r.status == 201, await r.text()
    return int((await r.json())["id"])


async def conectar(soporte: SoporteClient, ticket: int, token: str) -> Any:
    """A chat socket of ``ticket`` opened with ``token``, its status frame read."""
    ws = await soporte.client.ws_connect(
        f"/ws/soporte/ticket/{ticket}/", params={"token": token, "historial": "0"}
    )
    assert (await soporte.recibir(ws, "connection_status"))["conectado"] is True
    return ws


async def otro_token(usuario: Usuario, ttl: timedelta = timedelta(hours=1)) -> str:
    """One more token of ``usuario`` (a second device)."""
    raw, _ = await service.emitir_token(usuario, ttl)
    return raw


async def cerrado(ws: Any, espera: float = 5.0) -> int | None:
    """Wait for the server to close ``ws`` (other frames, such as presence, are skipped);
    its close code."""
    async with asyncio.timeout(espera):
        while True:
            msg = await ws.receive()
            if msg.type == WSMsgType.CLOSE:
                code: int = msg.data
                return code
            if msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return None  # gone without a close frame


async def sigue_abierto(soporte: SoporteClient, ws: Any) -> None:
    """The socket still answers a ping (frames of others may come first)."""
    await ws.send_json({"tipo": "ping"})
    assert (await soporte.recibir(ws, "pong"))["tipo"] == "pong"


async def test_logout_closes_that_tokens_socket_and_no_other(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    ticket = await crear_ticket(soporte, ana)
    movil = await otro_token(ana)
    ws = await conectar(soporte, ticket, token_of(ana))
    otro = await conectar(soporte, ticket, movil)

    r = await soporte.post("/api/auth/logout/", headers=soporte.auth(ana))
    assert r.status in (200, 204), await r.text()

    assert await cerrado(ws) == CLOSE_UNAUTHENTICATED
    await sigue_abierto(soporte, otro)
    # The registry now follows only the socket left.
    assert len(soporte.app[keys.SESSIONS]) == 1


async def test_a_socket_closes_when_its_token_expires(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    ticket = await crear_ticket(soporte, ana)
    breve = await otro_token(ana, timedelta(seconds=1))
    ws = await conectar(soporte, ticket, breve)
    largo = await conectar(soporte, ticket, token_of(ana))

    assert await cerrado(ws) == CLOSE_UNAUTHENTICATED
    await sigue_abierto(soporte, largo)


async def test_an_expired_token_is_refused_at_the_opening(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    ticket = await crear_ticket(soporte, ana)
    raw, token = await service.emitir_token(ana, timedelta(hours=1))
    token.expira = token.expira - timedelta(hours=2)
    await token.save()
    ws = await soporte.client.ws_connect(f"/ws/soporte/ticket/{ticket}/", params={"token": raw})
    assert await cerrado(ws) == CLOSE_UNAUTHENTICATED


async def test_a_password_change_closes_every_socket_of_the_user(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    luis = await soporte.usuario("luis")
    ticket = await crear_ticket(soporte, ana)
    luis_ticket = await crear_ticket(soporte, luis)
    sockets = [
        await conectar(soporte, ticket, token_of(ana)),
        await conectar(soporte, ticket, await otro_token(ana)),
    ]
    ajeno = await conectar(soporte, luis_ticket, token_of(luis))

    await service.cambiar_password(ana, "otra-clave-larga", soporte.app[keys.SESSIONS])

    for ws in sockets:
        assert await cerrado(ws) == CLOSE_UNAUTHENTICATED
    assert await Token.filter(usuario_id=ana.id).count() == 0
    r = await soporte.get("/api/auth/yo/", headers=soporte.auth(ana))
    assert r.status == 401
    await sigue_abierto(soporte, ajeno)
    r = await soporte.post(
        "/api/auth/token/", json={"username": "ana", "password": "otra-clave-larga"}
    )
    assert r.status == 200, await r.text()


async def test_deactivation_closes_the_sockets_and_activation_allows_a_login(
    soporte: SoporteClient,
) -> None:
    ana = await soporte.usuario("ana")
    ticket = await crear_ticket(soporte, ana)
    ws = await conectar(soporte, ticket, token_of(ana))

    await service.desactivar_usuario(ana, soporte.app[keys.SESSIONS])
    assert await cerrado(ws) == CLOSE_UNAUTHENTICATED
    assert await Token.filter(usuario_id=ana.id).count() == 0

    await service.activar_usuario(ana, soporte.app[keys.SESSIONS])
    r = await soporte.post(
        "/api/auth/token/", json={"username": "ana", "password": "clave-de-prueba"}
    )
    assert r.status == 200, await r.text()
    await conectar(soporte, ticket, (await r.json())["token"])


async def test_a_short_new_password_is_refused(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    r = await soporte.get("/api/auth/yo/", headers=soporte.auth(ana))
    assert r.status == 200
    with pytest.raises(service.BadRequest):
        await service.cambiar_password(ana, "corta", soporte.app[keys.SESSIONS])
    assert await Token.filter(usuario_id=ana.id).count() == 1


async def test_a_token_deleted_by_hand_is_caught_by_the_periodic_check(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    soporte = await start_app(["tickets", "chat"], session_check_seconds=0.2)
    ana = await soporte.usuario("ana")
    ticket = await crear_ticket(soporte, ana)
    ws = await conectar(soporte, ticket, token_of(ana))
    otro = await conectar(soporte, ticket, await otro_token(ana))
    # No service call, no broadcast: a row removed behind the server's back.
    await Token.filter(key_hash=hash_token(token_of(ana))).delete()
    codes = await asyncio.gather(cerrado(ws), cerrado(otro, 1.0), return_exceptions=True)
    assert codes[0] == CLOSE_UNAUTHENTICATED
    assert isinstance(codes[1], TimeoutError), codes  # the other token's socket stays
    await sigue_abierto(soporte, otro)


async def test_a_socket_opened_while_the_periodic_check_runs_stays_open(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    """The check asked the database about the tokens of the sockets it saw: one that opened
    during its queries (a valid token it did not ask about) must not be closed with 4401."""
    soporte = await start_app(["tickets", "chat"])
    ana = await soporte.usuario("ana")
    ticket = await crear_ticket(soporte, ana)
    sesiones = soporte.app[keys.SESSIONS]
    primero = await conectar(soporte, ticket, token_of(ana))  # so that every check queries
    parar = asyncio.Event()

    async def comprobar_sin_parar() -> int:
        veces = 0
        while not parar.is_set():
            await sesiones.check()
            veces += 1
        return veces

    tarea = asyncio.create_task(comprobar_sin_parar())
    try:
        nuevos = [await conectar(soporte, ticket, await otro_token(ana)) for _ in range(15)]
    finally:
        parar.set()
        veces = await tarea
    assert veces > 15
    # One more full check, then every socket must still answer.
    await sesiones.check()
    for ws in [primero, *nuevos]:
        assert not ws.closed
        await sigue_abierto(soporte, ws)


# --- the commands, as another process on the server's SQLite file --------------------------


@pytest.fixture
async def servidor_en_archivo(
    start_app: Callable[..., Awaitable[SoporteClient]], tmp_path: Path
) -> tuple[SoporteClient, dict[str, str]]:
    """A server on a SQLite file with a short periodic check, and the environment of a
    ``soporte`` command on the same file (no Redis)."""
    db = f"sqlite://{tmp_path / 'compartida.db'}"
    soporte = await start_app(
        ["tickets", "chat"], database_url=db, redis_url=None, session_check_seconds=0.2
    )
    # No SOPORTE_* variable, and no language: the commands speak the default one (Spanish).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SOPORTE_") and k not in ENVIRONMENT_VARIABLES
    }
    env.update(SOPORTE_DATABASE_URL=db, SOPORTE_PLUGINS="tickets,chat", SOPORTE_LOG_LEVEL="WARNING")
    return soporte, env


async def comando(env: dict[str, str], *args: str, entrada: str = "") -> str:
    """Run ``soporte args`` as a process without blocking the server's loop; its output."""
    proceso = await asyncio.create_subprocess_exec(
        SOPORTE,
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    salida, _ = await asyncio.wait_for(proceso.communicate(entrada.encode()), 60)
    texto = salida.decode()
    assert proceso.returncode == 0, texto
    return texto


async def test_changepassword_in_another_process_closes_the_sockets(
    servidor_en_archivo: tuple[SoporteClient, dict[str, str]],
) -> None:
    soporte, env = servidor_en_archivo
    ana = await soporte.usuario("ana")
    luis = await soporte.usuario("luis")
    ticket = await crear_ticket(soporte, ana)
    ws = await conectar(soporte, ticket, token_of(ana))
    ajeno = await conectar(soporte, await crear_ticket(soporte, luis), token_of(luis))

    salida = await comando(
        env, "changepassword", "ana", "--password-stdin", entrada="nueva-clave-1\n"
    )
    assert "contraseña cambiada: ana" in salida
    assert "nueva-clave-1" not in salida

    assert await cerrado(ws) == CLOSE_UNAUTHENTICATED
    await sigue_abierto(soporte, ajeno)
    r = await soporte.post(
        "/api/auth/token/", json={"username": "ana", "password": "nueva-clave-1"}
    )
    assert r.status == 200, await r.text()


async def test_deactivate_in_another_process_closes_the_sockets(
    servidor_en_archivo: tuple[SoporteClient, dict[str, str]],
) -> None:
    soporte, env = servidor_en_archivo
    ana = await soporte.usuario("ana")
    ticket = await crear_ticket(soporte, ana)
    ws = await conectar(soporte, ticket, token_of(ana))

    assert "usuario desactivado: ana" in await comando(env, "deactivate", "ana")
    assert await cerrado(ws) == CLOSE_UNAUTHENTICATED
    login = {"username": "ana", "password": "clave-de-prueba"}
    assert (await soporte.post("/api/auth/token/", json=login)).status == 401

    assert "usuario activado: ana" in await comando(env, "activate", "ana")
    assert (await soporte.post("/api/auth/token/", json=login)).status == 200


async def test_changepassword_refuses_an_unknown_user_and_a_short_password(
    servidor_en_archivo: tuple[SoporteClient, dict[str, str]],
) -> None:
    soporte, env = servidor_en_archivo
    await soporte.usuario("ana")
    for args, entrada, motivo in (
        (
            ("changepassword", "nadie", "--password-stdin"),
            "clave-larga-1\n",
            "no existe el usuario",
        ),
        (("changepassword", "ana", "--password-stdin"), "corta\n", "al menos 8"),
    ):
        proceso = await asyncio.create_subprocess_exec(
            SOPORTE,
            *args,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        salida, _ = await asyncio.wait_for(proceso.communicate(entrada.encode()), 60)
        assert proceso.returncode == 1 and motivo in salida.decode(), salida.decode()


def test_the_password_is_never_an_argument() -> None:
    from core.cli import cli

    comando = cli.commands["changepassword"]
    assert [p.name for p in comando.params] == ["username", "password_stdin"]
    assert json.dumps([p.opts for p in comando.params]).count("--password") == 1


async def test_a_client_reconnecting_with_a_dead_token_is_slowed_down(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    """The guide's client reconnects at once after every 4401 (it resets its attempts when a
    socket opens): past ``rate_socket_refusals`` its address waits before each refusal."""
    soporte = await start_app(
        ["tickets", "chat"], rate_socket_refusals="3/minute", socket_refusal_delay_seconds=1.5
    )
    ana = await soporte.usuario("ana")
    ticket = await crear_ticket(soporte, ana)
    loop = asyncio.get_running_loop()
    esperas = []
    for _ in range(4):
        inicio = loop.time()
        ws = await soporte.client.ws_connect(
            f"/ws/soporte/ticket/{ticket}/", params={"token": "caducado"}
        )
        assert await cerrado(ws) == CLOSE_UNAUTHENTICATED
        esperas.append(loop.time() - inicio)
    assert max(esperas[:3]) < 1.5, esperas  # within the limit: refused at once
    assert esperas[3] >= 1.5, esperas  # past it: held for the delay, then refused
    # A valid token from the same address is not held.
    inicio = loop.time()
    await conectar(soporte, ticket, token_of(ana))
    assert loop.time() - inicio < 1.5
