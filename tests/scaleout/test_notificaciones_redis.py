"""Notifications over the Redis channel layer: two applications (two "processes") on one
database and one Redis. A notification written by one reaches the user's socket held by the
other; marking it read on one reaches the user's socket on the other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from core.auth.models import Rol
from core.testing import SoporteClient
from tests.scaleout.ayudas import RedisPrivado

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from core.settings import Settings

SOCKET = "/ws/soporte/notificaciones/"


@pytest.fixture
def arrancar(
    start_app: Callable[..., Awaitable[SoporteClient]],
    redis_privado: RedisPrivado,
    soporte_settings: Settings,
    tmp_path: Path,
) -> Callable[[], Awaitable[SoporteClient]]:
    """One more app with tickets and notificaciones on the test's Redis and one database."""
    url = soporte_settings.database_url
    if url.startswith("sqlite"):  # in-memory is per app: share a file instead
        url = f"sqlite://{tmp_path / 'compartida.db'}"

    def start() -> Awaitable[SoporteClient]:
        return start_app(
            ["tickets", "notificaciones"], redis_url=redis_privado.url, database_url=url
        )

    return start


async def test_una_notificacion_de_un_proceso_llega_al_socket_del_otro(
    arrancar: Callable[[], Awaitable[SoporteClient]],
) -> None:
    uno = await arrancar()
    otro = await arrancar()
    ana = await uno.usuario("ana")
    carla = await uno.usuario("carla", Rol.AGENTE)
    ws_ana = await otro.ws(SOCKET, ana)
    ws_carla = await otro.ws(SOCKET, carla)
    assert (await otro.recibir(ws_ana, "sincronizado"))["no_leidas"] == 0
    await otro.recibir(ws_carla, "sincronizado")

    r = await uno.post(
        "/api/soporte/tickets/",
        headers=uno.auth(ana),
        json={"asunto": "Pago", "categoria": "PAGOS", "descripcion": "No puedo pagar"},
    )
    assert r.status == 201
    ticket: dict[str, Any] = await r.json()
    nueva = await otro.recibir(ws_carla, "notificacion", espera=10)
    assert nueva["notificacion"]["tipo"] == "ticket_nuevo"
    assert (await otro.recibir(ws_ana, "ticket", espera=10))["ticket_id"] == ticket["id"]

    r = await uno.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        headers=uno.auth(carla),
        json={"mensaje": "Ya lo miramos"},
    )
    assert r.status == 201
    nota = (await otro.recibir(ws_ana, "notificacion", espera=10))["notificacion"]
    assert nota["tipo"] == "respuesta_agente" and nota["ticket_id"] == ticket["id"]

    r = await uno.post(f"/api/soporte/notificaciones/{nota['id']}/leer/", headers=uno.auth(ana))
    assert r.status == 204
    assert await otro.recibir(ws_ana, "leidas", espera=10) == {
        "tipo": "leidas",
        "ids": [nota["id"]],
        "no_leidas": 0,
    }
    await ws_ana.close()
    await ws_carla.close()


async def test_el_socket_del_otro_proceso_lee_la_notificacion_en_su_idioma(
    arrancar: Callable[[], Awaitable[SoporteClient]],
) -> None:
    """The live frame crosses Redis with its texts' ids: the English socket held by the other
    process renders it in English, whatever the language of the request that wrote it."""
    uno = await arrancar()
    otro = await arrancar()
    ana = await uno.usuario("ana")
    carla = await uno.usuario("carla", Rol.AGENTE)
    ws = await otro.client.ws_connect(
        SOCKET, params={"token": carla.token}, headers={"Accept-Language": "en"}
    )
    await otro.recibir(ws, "sincronizado")
    r = await uno.post(
        "/api/soporte/tickets/",
        headers={**uno.auth(ana), "Accept-Language": "es"},
        json={"asunto": "Pago", "categoria": "PAGOS", "descripcion": "No puedo pagar"},
    )
    assert r.status == 201
    ticket: dict[str, Any] = await r.json()
    frame = await otro.recibir(ws, "notificacion", espera=10)
    assert frame == {"tipo": "notificacion", "notificacion": frame["notificacion"]}
    assert frame["notificacion"]["titulo"] == f"New ticket {ticket['numero']}"
    assert frame["notificacion"]["mensaje"] == "Ana: “Pago” (priority Medium)."
    await ws.close()
