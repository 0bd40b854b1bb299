"""Rate limits as an attacker meets them: parallel password guesses, made-up usernames, a spoofed
``X-Forwarded-For``, sign-up and ticket floods, chat floods over several sockets, typing floods,
a hundred sockets per user — and ``/healthz`` answering while passwords are being hashed.

Every test here failed on the code before the rate-limit service (issue 14): there the throttle
was per username in the database, checked before but recorded after the password (so parallel
guesses all got through), argon2 ran on the event loop, and chat limits were per socket.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from core import keys
from core.auth.models import Rol, Usuario
from core.testing import TEST_PASSWORD
from plugins.tickets.models import Respuesta, Ticket

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SoporteClient

    StartApp = Callable[..., Awaitable[SoporteClient]]

pytestmark = pytest.mark.plugins("tickets", "chat")


async def login(soporte: SoporteClient, username: str, password: str, **headers: str) -> Any:
    """One login attempt; the response."""
    body = {"username": username, "password": password}
    return await soporte.post("/api/auth/token/", json=body, headers=headers)


async def estados(respuestas: list[Any]) -> Counter[int]:
    """How many responses had each status (each 429 checked for its ``Retry-After``)."""
    for r in respuestas:
        if r.status == 429:
            assert int(r.headers["Retry-After"]) >= 1
            assert r.content_type == "application/problem+json"
            assert (await r.json())["detail"].startswith("Demasiad")
    return Counter(r.status for r in respuestas)


# --- login -----------------------------------------------------------------------------------


async def test_30_parallel_wrong_guesses_for_one_user_count_30(start_app: StartApp) -> None:
    soporte = await start_app(login_max_failures=5, login_window_seconds=300)
    await soporte.usuario("ana")
    intentos = await asyncio.gather(*(login(soporte, "ana", f"adivina{i}") for i in range(30)))
    # Each attempt reserved its place before its password was verified: 5 verified, 25 refused.
    assert await estados(list(intentos)) == {401: 5, 429: 25}
    assert (await login(soporte, "ana", TEST_PASSWORD)).status == 429


async def test_made_up_usernames_from_one_address_are_429(start_app: StartApp) -> None:
    soporte = await start_app(rate_login_address="10/minute")
    intentos = [await login(soporte, f"inventado{i}", "clave-cualquiera") for i in range(15)]
    assert await estados(intentos) == {401: 10, 429: 5}
    r = intentos[-1]
    assert "máximo 10 por minuto" in (await r.json())["detail"]


async def test_one_account_over_many_addresses_hits_its_ceiling(start_app: StartApp) -> None:
    soporte = await start_app(trusted_proxies=["127.0.0.1"], rate_login_account="8/hour")
    await soporte.usuario("ana")
    intentos = [
        await login(soporte, "ana", "mala", **{"X-Forwarded-For": f"198.51.100.{i}"})
        for i in range(12)
    ]
    assert await estados(intentos) == {401: 8, 429: 4}


async def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(start_app: StartApp) -> None:
    soporte = await start_app(trusted_proxies=["127.0.0.0/8"], login_max_failures=2)
    await soporte.usuario("ana")
    desde_a = {"X-Forwarded-For": "203.0.113.1"}
    for _ in range(2):
        assert (await login(soporte, "ana", "mala", **desde_a)).status == 401
    assert (await login(soporte, "ana", "mala", **desde_a)).status == 429
    # Another client behind the same proxy is counted apart: not locked out by the first.
    r = await login(soporte, "ana", TEST_PASSWORD, **{"X-Forwarded-For": "203.0.113.2"})
    assert r.status == 200


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(start_app: StartApp) -> None:
    soporte = await start_app(trusted_proxies=["10.0.0.0/8"], login_max_failures=2)
    await soporte.usuario("ana")
    for i in range(2):
        r = await login(soporte, "ana", "mala", **{"X-Forwarded-For": f"203.0.113.{i}"})
        assert r.status == 401
    # A new made-up address each time does not buy a new count: the peer's address is used.
    r = await login(soporte, "ana", TEST_PASSWORD, **{"X-Forwarded-For": "203.0.113.99"})
    assert r.status == 429


# --- password hashing off the loop -----------------------------------------------------------


async def test_healthz_answers_while_a_login_flood_is_being_hashed(start_app: StartApp) -> None:
    soporte = await start_app(
        rate_login_address="off", password_hash_concurrency=1, password_hash_queue=200
    )
    hashing = soporte.app[keys.PASSWORDS]
    flood = [
        asyncio.ensure_future(login(soporte, f"nadie{i}", "clave-cualquiera")) for i in range(40)
    ]
    # One thread for 40 hashes: when the first answer is out, the rest wait in the pool.
    await asyncio.wait(flood, return_when=asyncio.FIRST_COMPLETED)
    r = await soporte.get("/healthz")
    assert r.status == 200
    # Answered while hashes were still queued or running: the loop was never theirs.
    assert hashing.pending > 0
    assert not all(f.done() for f in flood)
    assert await estados(list(await asyncio.gather(*flood))) == {401: 40}


async def test_too_many_hashes_waiting_fail_fast(start_app: StartApp) -> None:
    soporte = await start_app(
        rate_login_address="off", password_hash_concurrency=1, password_hash_queue=2
    )
    intentos = await asyncio.gather(*(login(soporte, f"nadie{i}", "x") for i in range(20)))
    cuenta = await estados(list(intentos))
    assert cuenta[401] >= 3 and cuenta[429] >= 1 and cuenta[401] + cuenta[429] == 20
    refusal = next(r for r in intentos if r.status == 429)
    assert refusal.headers["Retry-After"] == "1"
    assert "contraseñas" in (await refusal.json())["detail"]


# --- sign-up and creation --------------------------------------------------------------------


async def test_a_sign_up_flood_is_429_per_address(start_app: StartApp) -> None:
    soporte = await start_app(rate_signup="5/hour")
    antes = await Usuario.all().count()
    intentos = [
        await soporte.post(
            "/api/auth/registro/", json={"username": f"bot{i}", "password": "clave-larga-1"}
        )
        for i in range(12)
    ]
    assert await estados(intentos) == {201: 5, 429: 7}
    assert await Usuario.all().count() == antes + 5


async def test_a_burst_of_200_alta_tickets_is_429_past_the_limit(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    body = {"asunto": "Urgente", "categoria": "GENERAL", "prioridad": "ALTA", "descripcion": "x"}
    intentos = await asyncio.gather(
        *(
            soporte.post("/api/soporte/tickets/", headers=soporte.auth(ana), json=body)
            for _ in range(200)
        )
    )
    cuenta = await estados(list(intentos))
    assert cuenta == {201: 30, 429: 170}  # rate_tickets' default: 30 per minute
    assert await Ticket.all().count() == 30
    # Somebody else is not affected.
    beto = await soporte.usuario("beto")
    r = await soporte.post("/api/soporte/tickets/", headers=soporte.auth(beto), json=body)
    assert r.status == 201


async def test_upload_requests_are_limited_per_user(start_app: StartApp) -> None:
    soporte = await start_app(plugins=["tickets"], rate_uploads="3/minute")
    ana = await soporte.usuario("ana")

    async def subir() -> Any:
        form = aiohttp.FormData()
        form.add_field("archivo", b"hola", filename="a.txt", content_type="text/plain")
        headers = {"Authorization": soporte.auth(ana)["Authorization"]}
        return await soporte.post("/api/soporte/adjuntos/", data=form, headers=headers)

    assert await estados([await subir() for _ in range(5)]) == {201: 3, 429: 2}


async def test_an_upload_past_the_limit_is_refused_before_its_body_is_read(
    start_app: StartApp,
) -> None:
    """The 429 comes while the client is still to send its 10 MiB: nothing of it is read or
    written to disk first."""
    soporte = await start_app(plugins=["tickets"], rate_uploads="1/minute")
    ana = await soporte.usuario("ana")
    server = soporte.client.server
    cabecera = (
        "POST /api/soporte/adjuntos/ HTTP/1.1\r\n"
        f"Host: {server.host}\r\n"
        f"Authorization: {soporte.auth(ana)['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=limite\r\n"
        f"Content-Length: {10 * 1024 * 1024}\r\n\r\n"
    ).encode()
    respuestas = []
    for _ in range(2):
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            writer.write(cabecera + b"--limite\r\n")  # then nothing more of the body
            await writer.drain()
            try:
                respuestas.append(await asyncio.wait_for(reader.readline(), 3))
            except TimeoutError:
                respuestas.append(b"(still waiting for the body)")
        finally:
            writer.close()
    # The first is within the limit: the server waits for the rest of its body.
    assert respuestas[0] == b"(still waiting for the body)"
    assert respuestas[1].startswith(b"HTTP/1.1 429"), respuestas


# --- chat ------------------------------------------------------------------------------------


async def ticket_de(soporte: SoporteClient, usuario: Usuario) -> int:
    """A new ticket of ``usuario``."""
    body = {"asunto": "Chat", "categoria": "GENERAL", "descripcion": "Hablemos"}
    r = await soporte.post("/api/soporte/tickets/", headers=soporte.auth(usuario), json=body)
    return int((await r.json())["id"])


async def conectar(soporte: SoporteClient, ticket: int, usuario: Usuario) -> Any:
    """An open chat socket (its status frame read)."""
    ws = await soporte.ws(f"/ws/soporte/ticket/{ticket}/", usuario, historial="0")
    assert (await soporte.recibir(ws))["tipo"] == "connection_status"
    return ws


async def test_5_sockets_x_40_messages_are_limited_per_user(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    ticket = await ticket_de(soporte, ana)
    sockets = [await conectar(soporte, ticket, ana) for _ in range(5)]
    for i in range(40):
        for n, ws in enumerate(sockets):
            await ws.send_json({"tipo": "mensaje", "mensaje": f"spam {n}-{i}"})
    errores = 0
    for ws in sockets:
        # A socket handles its frames in order: by its pong, each of its 40 was answered.
        await ws.send_json({"tipo": "ping"})
        while (frame := await soporte.recibir(ws, espera=10))["tipo"] != "pong":
            if frame["tipo"] == "error":
                assert frame["codigo"] == "limite"
                assert "máximo 20 cada 10 segundos" in frame["detalle"]
                errores += 1
    # 20 per user and ticket (rate_chat_messages' default) over all five sockets.
    assert errores == 200 - 20
    assert await Respuesta.all().count() == 20


async def test_2000_typing_frames_are_mostly_not_relayed(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await ticket_de(soporte, ana)
    escucha = await conectar(soporte, ticket, carla)
    ws = await conectar(soporte, ticket, ana)
    for _ in range(2000):
        await ws.send_json({"tipo": "typing", "escribiendo": True})
    await ws.send_json({"tipo": "mensaje", "mensaje": "fin"})
    relayed = 0
    while True:  # everything relayed before the message arrives first (one group, in order)
        frame = await soporte.recibir(escucha, espera=20)
        if frame["tipo"] == "typing":
            relayed += 1
        elif frame["tipo"] == "mensaje":
            break
    assert relayed == 30  # rate_chat_typing's default: 30 per 10 s


async def test_100_sockets_per_user_are_refused_past_the_cap(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    ticket = await ticket_de(soporte, ana)
    url = soporte.client.make_url(f"/ws/soporte/ticket/{ticket}/")
    params = {"token": vars(ana)["token"], "historial": "0"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets = await asyncio.gather(
            *(session.ws_connect(url, params=params) for _ in range(100))
        )
        primeros = await asyncio.gather(*(ws.receive(timeout=20) for ws in sockets))
        abiertos = [m for m in primeros if m.type == aiohttp.WSMsgType.TEXT]
        cerrados = [m for m in primeros if m.type == aiohttp.WSMsgType.CLOSE]
        assert len(abiertos) == 20  # max_sockets_per_user's default
        assert len(cerrados) == 80 and {m.data for m in cerrados} == {4429}
        for ws in sockets:
            await ws.close()


async def test_a_socket_through_a_trusted_proxy_still_opens(start_app: StartApp) -> None:
    # The trusted-proxies middleware hands handlers a clone of the request: the upgrade must
    # still work on it, and a forged X-Forwarded-For changes nothing for the socket.
    soporte = await start_app(plugins=["tickets", "chat"], trusted_proxies=["127.0.0.1"])
    ana = await soporte.usuario("ana")
    ticket = await ticket_de(soporte, ana)
    ws = await soporte.client.ws_connect(
        f"/ws/soporte/ticket/{ticket}/",
        params={"token": vars(ana)["token"], "historial": "0"},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert (await soporte.recibir(ws))["tipo"] == "connection_status"
    await ws.send_json({"tipo": "mensaje", "mensaje": "hola"})
    assert (await soporte.recibir(ws, "mensaje"))["contenido"] == "hola"
    await ws.close()
