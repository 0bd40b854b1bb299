"""Who is viewing and who is typing, across two applications (two "processes") on one Redis
and one database: a viewer held by one process is listed to an agent of the other; a process
that starts late learns who is already there; a process that stops announcing (crashed) is
forgotten; a note being typed crosses to the staff only."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest
import redis.asyncio as aioredis

from core.auth.models import Rol
from core.realtime_redis import publish_control
from core.testing import SoporteClient
from plugins.chat.viendo import ANUNCIO
from tests.scaleout.ayudas import RedisPrivado
from tests.scaleout.test_chat_redis import conectar, crear_ticket

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from core.settings import Settings

#: Announcements every 0.2 s: a silent process is forgotten after 0.6 s.
PERIODO = 0.2
#: A period no test waits for: what arrives came from a join, a leave or a start-up request,
#: not from the periodic refresh.
NUNCA = 600.0


@pytest.fixture
def arrancar(
    start_app: Callable[..., Awaitable[SoporteClient]],
    redis_privado: RedisPrivado,
    soporte_settings: Settings,
    tmp_path: Path,
) -> Callable[..., Awaitable[SoporteClient]]:
    """One more app with tickets and chat on the test's Redis and one shared database;
    ``periodo``: its ``viewers_announce_seconds``."""
    url = soporte_settings.database_url
    if url.startswith("sqlite"):  # in-memory is per app: share a file instead
        url = f"sqlite://{tmp_path / 'compartida.db'}"

    def start(periodo: float = NUNCA) -> Awaitable[SoporteClient]:
        return start_app(
            ["tickets", "chat"],
            redis_url=redis_privado.url,
            database_url=url,
            plugin_settings={"chat": {"viewers_announce_seconds": periodo}},
        )

    return start


async def viendo(api: SoporteClient, ws: Any, esperados: set[int], espera: float = 5.0) -> None:
    """Wait for the ``viendo`` frame that lists exactly ``esperados``."""
    async with asyncio.timeout(espera):
        while True:
            frame = await api.recibir(ws, "viendo", espera)
            if {u["id"] for u in frame["usuarios"]} == esperados:
                return


async def tipos(ws: Any, espera: float = 0.5) -> set[str]:
    """The ``tipo`` of every frame arriving within ``espera`` seconds."""
    vistos: set[str] = set()
    try:
        async with asyncio.timeout(espera):
            while True:
                msg = await ws.receive()
                vistos.add(json.loads(msg.data)["tipo"])
    except TimeoutError:
        pass
    return vistos


async def test_los_que_miran_en_otro_proceso_aparecen_y_se_van(arrancar):
    uno, dos = await arrancar(), await arrancar()
    lucia = await uno.usuario("lucia")
    carla = await uno.usuario("carla", Rol.AGENTE)
    pedro = await uno.usuario("pedro", Rol.AGENTE)
    ticket = await crear_ticket(uno, lucia)
    ws_carla = await conectar(uno, ticket, carla, historial=0, viendo="true")
    await viendo(uno, ws_carla, {carla.id})
    ws_pedro = await conectar(dos, ticket, pedro, historial=0, viendo="true")
    await viendo(dos, ws_pedro, {carla.id, pedro.id})  # learnt from process one
    await viendo(uno, ws_carla, {carla.id, pedro.id})  # told by process two
    ws_lucia = await conectar(dos, ticket, lucia, historial=0, viendo="true")
    await viendo(uno, ws_carla, {carla.id, pedro.id, lucia.id})
    await ws_pedro.close()
    await viendo(uno, ws_carla, {carla.id, lucia.id})
    # The customer, in process two, never hears who is viewing.
    assert "viendo" not in await tipos(ws_lucia)
    await ws_lucia.close()
    await viendo(uno, ws_carla, {carla.id})
    await ws_carla.close()


async def _dos_miran(arrancar: Callable[..., Awaitable[SoporteClient]]) -> tuple[Any, ...]:
    """Carla on process one and Pedro on process two view one ticket, each told of the other."""
    uno, dos = await arrancar(), await arrancar()
    lucia = await uno.usuario("lucia")
    carla = await uno.usuario("carla", Rol.AGENTE)
    pedro = await uno.usuario("pedro", Rol.AGENTE)
    ticket = await crear_ticket(uno, lucia)
    ws_carla = await conectar(uno, ticket, carla, historial=0, viendo="true")
    ws_pedro = await conectar(dos, ticket, pedro, historial=0, viendo="true")
    await viendo(uno, ws_carla, {carla.id, pedro.id})
    return uno, ws_carla, carla, ws_pedro


async def test_una_salida_que_redis_no_acepto_se_anuncia_otra_vez(arrancar, redis_privado):
    """Redis refuses writes (``CLIENT PAUSE … WRITE``: PUBLISH waits, the subscriptions stay
    up) while Pedro leaves: his process's announcement times out, and is sent again once Redis
    takes writes — long before the periodic refresh (``NUNCA``)."""
    uno, ws_carla, carla, ws_pedro = await _dos_miran(arrancar)
    admin = aioredis.Redis.from_url(redis_privado.url)
    try:
        await admin.execute_command("CLIENT", "PAUSE", "1500", "WRITE")
        await ws_pedro.close()
        await viendo(uno, ws_carla, {carla.id}, espera=8.0)
    finally:
        await admin.aclose()
    await ws_carla.close()


async def test_tras_reiniciar_redis_los_procesos_se_vuelven_a_contar(arrancar, redis_privado):
    """Redis dies and comes back (same port) after Pedro left meanwhile: process one, whose
    subscription returns, hears that he is gone."""
    uno, ws_carla, carla, ws_pedro = await _dos_miran(arrancar)
    redis_privado.parar()
    await ws_pedro.close()
    redis_privado.arrancar()
    await viendo(uno, ws_carla, {carla.id}, espera=10.0)
    await ws_carla.close()


async def test_un_proceso_que_arranca_tarde_sabe_quien_mira(arrancar):
    uno = await arrancar()
    lucia = await uno.usuario("lucia")
    pedro = await uno.usuario("pedro", Rol.AGENTE)
    ticket = await crear_ticket(uno, lucia)
    ws_lucia = await conectar(uno, ticket, lucia, historial=0, viendo="true")
    dos = await arrancar()  # its start-up request makes process one announce at once
    ws_pedro = await conectar(dos, ticket, pedro, historial=0, viendo="true")
    await viendo(dos, ws_pedro, {lucia.id, pedro.id})
    await ws_pedro.close()
    await ws_lucia.close()


async def test_los_de_un_proceso_caido_desaparecen(arrancar, redis_privado, soporte_settings):
    """A process that dies without a goodbye simply stops announcing: its viewers are
    forgotten after three periods. Played by announcements published straight to Redis from an
    origin that then falls silent."""
    uno = await arrancar(PERIODO)
    lucia = await uno.usuario("lucia")
    carla = await uno.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(uno, lucia)
    ws_carla = await conectar(uno, ticket, carla, historial=0, viendo="true")
    await viendo(uno, ws_carla, {carla.id})
    fantasma = {"id": 9999, "nombre": "Fantasma", "rol": "AGENTE"}
    anuncio = {
        "type": ANUNCIO,
        "origen": "proceso-caido",
        "completo": True,
        "tickets": {str(ticket): [fantasma]},
    }
    assert await publish_control(redis_privado.url, soporte_settings.redis_prefix, anuncio)
    await viendo(uno, ws_carla, {carla.id, 9999})
    antes = asyncio.get_running_loop().time()
    await viendo(uno, ws_carla, {carla.id}, espera=5 * PERIODO + 2)
    # Not before three periods (the process could merely be slow).
    assert asyncio.get_running_loop().time() - antes >= 3 * PERIODO - 0.05
    await ws_carla.close()


async def test_escribir_una_nota_cruza_solo_al_personal(arrancar):
    uno, dos = await arrancar(), await arrancar()
    lucia = await uno.usuario("lucia")
    carla = await uno.usuario("carla", Rol.AGENTE)
    pedro = await uno.usuario("pedro", Rol.AGENTE)
    ticket = await crear_ticket(uno, lucia)
    ws_lucia = await conectar(uno, ticket, lucia, historial=0, viendo="true")
    ws_pedro = await conectar(uno, ticket, pedro, historial=0, viendo="true")
    ws_carla = await conectar(dos, ticket, carla, historial=0, viendo="true")
    await viendo(uno, ws_pedro, {lucia.id, pedro.id, carla.id})
    await ws_carla.send_json({"tipo": "typing", "escribiendo": True, "interna": True})
    frame = await uno.recibir(ws_pedro, "typing")
    assert frame["autor_id"] == carla.id and frame["interna"] is True
    await ws_carla.send_json({"tipo": "typing", "escribiendo": True})
    publico = await uno.recibir(ws_lucia, "typing")  # the first typing Lucía hears…
    assert publico["interna"] is False  # …is the public one: the note's never came
    for ws in (ws_lucia, ws_pedro, ws_carla):
        await ws.close()
