"""The Redis channel layer with real sockets: two applications (two "processes") on one Redis,
through the core tests' ad-hoc ``pruebas`` plugin (``/ws/pruebas/{grupo}/`` echoes each text
frame to its group)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from core import keys
from core import realtime_redis as capa
from core.realtime_redis import RedisChannelLayer
from core.testing import SoporteClient
from tests.core.pruebas import Pruebas
from tests.scaleout.ayudas import RedisPrivado

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


@pytest.fixture
def arrancar(
    start_app: Callable[..., Awaitable[SoporteClient]], redis_privado: RedisPrivado
) -> Callable[..., Awaitable[SoporteClient]]:
    """Start one more app on the test's Redis and channel (``**overrides``: settings)."""

    def start(**overrides: Any) -> Awaitable[SoporteClient]:
        overrides.setdefault("redis_url", redis_privado.url)
        return start_app([], [Pruebas()], **overrides)

    return start


def capa_de(api: SoporteClient) -> RedisChannelLayer:
    layer = api.app[keys.CHANNELS]
    assert isinstance(layer, RedisChannelLayer)
    return layer


async def entrar(api: SoporteClient, grupo: str) -> Any:
    ws = await api.ws(f"/ws/pruebas/{grupo}/")
    assert (await api.recibir(ws, "listo"))["grupo"] == grupo
    return ws


async def hasta(condicion: Callable[[], bool], espera: float = 10.0) -> None:
    async with asyncio.timeout(espera):
        while not condicion():  # noqa: ASYNC110 — layer state, nobody signals it
            await asyncio.sleep(0.02)


async def nada_mas(ws: Any, espera: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.receive(), espera)


class Huecos:
    """``on_gap`` handlers that count their calls."""

    def __init__(self) -> None:
        self.perdidos = 0
        self.restaurados = 0

    def perdido(self) -> None:
        self.perdidos += 1

    async def restaurado(self) -> None:
        self.restaurados += 1


def resuscrita(api: SoporteClient, huecos: Huecos) -> bool:
    """Subscribed again and this test's ``restored`` handler called. ``subscribed`` alone is
    not enough: it turns true before the ``restored`` handlers run, one after another, the
    app's own first (the sessions' token check reads the database, slow on a loaded machine)."""
    return capa_de(api).subscribed and huecos.restaurados > 0


async def test_the_app_uses_the_redis_layer_and_a_frame_crosses_apps(arrancar):
    uno, dos = await arrancar(), await arrancar()
    assert capa_de(uno).subscribed and capa_de(dos).subscribed
    a, otro = await entrar(uno, "g"), await entrar(uno, "h")
    b = await entrar(dos, "g")
    await b.send_json({"texto": "hola"})
    assert await dos.recibir(b, "eco") == {"tipo": "eco", "texto": "hola"}  # sender included
    assert await uno.recibir(a, "eco") == {"tipo": "eco", "texto": "hola"}
    await nada_mas(otro)  # another group hears nothing
    await a.send_json({"texto": "ñandú ✓"})  # and back, UTF-8 intact
    assert (await dos.recibir(b, "eco"))["texto"] == "ñandú ✓"
    for ws in (a, otro, b):
        await ws.close()


async def test_exclude_works_across_processes(arrancar):
    uno, dos = await arrancar(), await arrancar()
    a = await entrar(uno, "g")
    b, c = await entrar(dos, "g"), await entrar(dos, "g")
    await c.send_json({"texto": "sin mí", "excluirme": True})
    assert (await uno.recibir(a, "eco"))["texto"] == "sin mí"
    assert (await dos.recibir(b, "eco"))["texto"] == "sin mí"
    await b.send_json({"texto": "para todos"})
    assert (await dos.recibir(c, "eco"))["texto"] == "para todos"  # not "sin mí"
    for ws in (a, b, c):
        await ws.close()


async def test_frames_of_one_group_arrive_in_order_in_every_process(arrancar):
    uno, dos = await arrancar(), await arrancar()
    a = await entrar(uno, "g")
    b = await entrar(dos, "g")
    for i in range(200):
        await b.send_json({"texto": str(i)})
    recibidos_a = [int((await uno.recibir(a, "eco"))["texto"]) for _ in range(200)]
    recibidos_b = [int((await dos.recibir(b, "eco"))["texto"]) for _ in range(200)]
    assert recibidos_a == recibidos_b == list(range(200))
    await a.close()
    await b.close()


async def test_another_prefix_is_another_helpdesk(arrancar):
    uno, otro = await arrancar(), await arrancar(redis_prefix="otro-servicio")
    assert capa_de(otro).channel == "otro-servicio:grupos" != capa_de(uno).channel
    a, b = await entrar(uno, "g"), await entrar(otro, "g")
    await b.send_json({"texto": "solo aquí"})
    assert (await otro.recibir(b, "eco"))["texto"] == "solo aquí"
    await nada_mas(a)
    await a.close()
    await b.close()


async def test_redis_down_http_and_local_sockets_keep_working_then_it_resubscribes(
    arrancar, redis_privado
):
    uno, dos = await arrancar(), await arrancar()
    huecos = Huecos()
    capa_de(uno).on_gap(lost=huecos.perdido, restored=huecos.restaurado)
    a1, a2 = await entrar(uno, "g"), await entrar(uno, "g")
    b = await entrar(dos, "g")

    redis_privado.parar()
    await hasta(lambda: not capa_de(uno).subscribed)
    assert huecos.perdidos == 1
    r = await uno.get("/api/pruebas/contar/")
    assert r.status == 200  # HTTP does not need Redis
    await a1.send_json({"texto": "sin redis"})
    # Publishing fails: this process's members get it directly, the sender included.
    assert (await uno.recibir(a1, "eco"))["texto"] == "sin redis"
    assert (await uno.recibir(a2, "eco"))["texto"] == "sin redis"
    await nada_mas(b)  # the other process cannot hear it (chat replays such gaps; see chat)

    redis_privado.arrancar()
    await hasta(lambda: resuscrita(uno, huecos) and capa_de(dos).subscribed)
    assert (huecos.perdidos, huecos.restaurados) == (1, 1)
    await b.send_json({"texto": "de vuelta"})
    for ws in (a1, a2):
        assert (await uno.recibir(ws, "eco"))["texto"] == "de vuelta"
    assert (await dos.recibir(b, "eco"))["texto"] == "de vuelta"
    await a1.send_json({"texto": "una vez"})  # heard back through Redis only: once
    assert (await uno.recibir(a2, "eco"))["texto"] == "una vez"
    await nada_mas(a2)
    for ws in (a1, a2, b):
        await ws.close()


async def test_a_silent_redis_is_noticed_by_pings(arrancar, redis_privado, monkeypatch):
    monkeypatch.setattr(capa, "PING_EVERY", 0.2)
    monkeypatch.setattr(capa, "DEAD_AFTER", 1.0)
    monkeypatch.setattr(capa, "PUBLISH_TIMEOUT", 0.3)
    uno, dos = await arrancar(), await arrancar()
    huecos = Huecos()
    capa_de(uno).on_gap(lost=huecos.perdido, restored=huecos.restaurado)
    a, b = await entrar(uno, "g"), await entrar(dos, "g")

    redis_privado.pausar()  # connections stay open; nothing answers
    try:
        await hasta(lambda: huecos.perdidos == 1, espera=5)
        assert not capa_de(uno).subscribed
        await a.send_json({"texto": "local"})  # publishing times out: delivered locally
        assert (await uno.recibir(a, "eco"))["texto"] == "local"
    finally:
        redis_privado.reanudar()
    await hasta(lambda: huecos.restaurados == 1 and capa_de(dos).subscribed)
    await b.send_json({"texto": "se oye"})
    assert (await uno.recibir(a, "eco"))["texto"] == "se oye"
    await a.close()
    await b.close()


async def test_an_app_started_without_redis_serves_and_subscribes_when_it_comes(
    arrancar, redis_privado, monkeypatch
):
    monkeypatch.setattr(capa, "START_WAIT", 0.3)
    redis_privado.parar()
    uno = await arrancar()
    huecos = Huecos()
    capa_de(uno).on_gap(lost=huecos.perdido, restored=huecos.restaurado)
    assert not capa_de(uno).subscribed
    assert (await uno.get("/readyz")).status == 200
    a = await entrar(uno, "g")
    await a.send_json({"texto": "solo local"})
    assert (await uno.recibir(a, "eco"))["texto"] == "solo local"

    redis_privado.arrancar()
    await hasta(lambda: resuscrita(uno, huecos))
    assert (huecos.perdidos, huecos.restaurados) == (0, 1)  # a gap open from the start
    dos = await arrancar()
    b = await entrar(dos, "g")
    await b.send_json({"texto": "ya"})
    assert (await uno.recibir(a, "eco"))["texto"] == "ya"
    await a.close()
    await b.close()


async def test_shutdown_closes_sockets_and_releases_redis(arrancar, redis_privado):
    uno = await arrancar()
    a = await entrar(uno, "g")
    layer = capa_de(uno)
    await uno.client.server.close()
    msg = await asyncio.wait_for(a.receive(), 3)
    assert msg.data == 1001  # going away
    await uno.client.close()
    assert not layer.subscribed and layer._subscriber is None and layer._publisher is None
