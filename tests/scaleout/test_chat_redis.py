"""The chat over the Redis channel layer: two applications (two "processes") on one database
and one Redis. A message reaches the sockets of both, in order, once — also across a Redis
outage, which the chat replays from the database when the subscription is back."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest

from core import keys
from core.auth.models import Rol
from core.testing import SoporteClient
from tests.scaleout.ayudas import RedisPrivado

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from core.settings import Settings


@pytest.fixture
def arrancar(
    start_app: Callable[..., Awaitable[SoporteClient]],
    redis_privado: RedisPrivado,
    soporte_settings: Settings,
    tmp_path: Path,
) -> Callable[[], Awaitable[SoporteClient]]:
    """One more app with tickets and chat on the test's Redis and one shared database."""
    url = soporte_settings.database_url
    if url.startswith("sqlite"):  # in-memory is per app: share a file instead
        url = f"sqlite://{tmp_path / 'compartida.db'}"

    def start() -> Awaitable[SoporteClient]:
        return start_app(["tickets", "chat"], redis_url=redis_privado.url, database_url=url)

    return start


async def crear_ticket(api: SoporteClient, cliente: Any) -> int:
    r = await api.post(
        "/api/soporte/tickets/",
        headers=api.auth(cliente),
        json={"asunto": "Pago", "categoria": "PAGOS", "descripcion": "No puedo pagar"},
    )
    assert r.status == 201, await r.text()
    return int((await r.json())["id"])


async def responder(api: SoporteClient, usuario: Any, ticket_id: int, texto: str) -> int:
    r = await api.post(
        f"/api/soporte/tickets/{ticket_id}/responder/",
        headers=api.auth(usuario),
        json={"mensaje": texto},
    )
    assert r.status == 201, await r.text()
    return int((await r.json())["id"])


async def conectar(api: SoporteClient, ticket_id: int, usuario: Any, **params: Any) -> Any:
    ws = await api.ws(f"/ws/soporte/ticket/{ticket_id}/", usuario, **params)
    assert (await api.recibir(ws, "connection_status"))["conectado"] is True
    return ws


async def mensajes(api: SoporteClient, ws: Any, n: int, espera: float = 10.0) -> list[int]:
    """The ids of the next ``n`` ``mensaje`` frames."""
    return [(await api.recibir(ws, "mensaje", espera))["id"] for _ in range(n)]


async def ningun_mensaje(ws: Any, espera: float = 0.5) -> None:
    """No ``mensaje`` frame within ``espera`` seconds (presence frames may come)."""
    try:
        async with asyncio.timeout(espera):
            while True:
                msg = await ws.receive()
                data = json.loads(msg.data)
                assert data["tipo"] != "mensaje", f"unexpected {data}"
    except TimeoutError:
        pass


async def hasta(condicion: Callable[[], bool], espera: float = 10.0) -> None:
    async with asyncio.timeout(espera):
        while not condicion():  # noqa: ASYNC110 — layer state, nobody signals it
            await asyncio.sleep(0.02)


async def test_chat_and_rest_replies_cross_processes_in_order(arrancar):
    uno, dos = await arrancar(), await arrancar()
    cliente = await uno.usuario("lucia")
    agente = await uno.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(uno, cliente)
    ws_cliente = await conectar(uno, ticket, cliente, historial=0)
    ws_agente = await conectar(dos, ticket, agente, historial=0)
    for i in range(15):
        await ws_agente.send_json({"tipo": "mensaje", "mensaje": f"chat {i}"})
    enviados = await mensajes(dos, ws_agente, 15)  # each stored before the next is read
    for i in range(5):
        enviados.append(await responder(dos, agente, ticket, f"rest {i}"))
    assert enviados == sorted(enviados)
    assert await mensajes(uno, ws_cliente, 20) == enviados
    assert await mensajes(dos, ws_agente, 5) == enviados[15:]
    await ningun_mensaje(ws_cliente)
    await ws_cliente.close()
    await ws_agente.close()


async def test_replies_stored_while_redis_is_down_reach_every_process_once(arrancar, redis_privado):
    uno, dos = await arrancar(), await arrancar()
    cliente = await uno.usuario("lucia")
    agente = await uno.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(uno, cliente)
    antigua = await responder(uno, cliente, ticket, "antes del corte")
    ws_agente = await conectar(uno, ticket, agente, historial=0)
    ws_cliente = await conectar(dos, ticket, cliente, historial=0)
    hola = await responder(uno, agente, ticket, "hola")
    assert await mensajes(uno, ws_agente, 1) == await mensajes(dos, ws_cliente, 1) == [hola]

    redis_privado.parar()
    capas = [api.app[keys.CHANNELS] for api in (uno, dos)]
    await hasta(lambda: not any(c.subscribed for c in capas))
    del_cliente = await responder(dos, cliente, ticket, "¿siguen ahí?")  # HTTP keeps working
    del_agente = await responder(uno, agente, ticket, "sí")
    # Each process's own sockets get its reply at once; the other process's, not yet.
    assert await mensajes(uno, ws_agente, 1) == [del_agente]
    assert await mensajes(dos, ws_cliente, 1) == [del_cliente]

    redis_privado.arrancar()
    # Once resubscribed, each process replays from the database what its sockets missed.
    assert await mensajes(uno, ws_agente, 1) == [del_cliente]
    assert await mensajes(dos, ws_cliente, 1) == [del_agente]
    await ningun_mensaje(ws_agente)  # exactly once, and nothing older (e.g. `antigua`)
    await ningun_mensaje(ws_cliente)
    assert antigua < del_cliente

    # And the sockets are not "alive but silent": live frames cross again.
    nueva = await responder(dos, cliente, ticket, "gracias")
    assert await mensajes(uno, ws_agente, 1) == [nueva]
    assert await mensajes(dos, ws_cliente, 1) == [nueva]
    await ws_agente.close()
    await ws_cliente.close()


async def test_a_socket_that_joins_during_the_outage_gets_only_what_it_missed(
    arrancar, redis_privado
):
    uno, dos = await arrancar(), await arrancar()
    cliente = await uno.usuario("lucia")
    agente = await uno.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(uno, cliente)
    for i in range(3):
        await responder(uno, cliente, ticket, f"historia {i}")

    redis_privado.parar()
    await hasta(lambda: not uno.app[keys.CHANNELS].subscribed)
    ws = await conectar(uno, ticket, agente, historial=0)  # no history asked for
    perdida = await responder(dos, cliente, ticket, "durante el corte")
    await ningun_mensaje(ws, 0.3)

    redis_privado.arrancar()
    assert await mensajes(uno, ws, 1) == [perdida]
    await ningun_mensaje(ws)
    await ws.close()
