"""Sessions end in every process: a logout served by process A closes the socket held by
process B, through the channel layer's control plane on Redis; a ``soporte`` command run with
``SOPORTE_REDIS_URL`` closes the sockets at once (long before any periodic check)."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

import pytest

from core.sessions import CLOSE_UNAUTHENTICATED
from core.testing import SoporteClient, token_of
from tests.reliability.test_sesiones import (
    SOPORTE,
    cerrado,
    conectar,
    crear_ticket,
    otro_token,
    sigue_abierto,
)
from tests.scaleout.ayudas import RedisPrivado

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from core.settings import Settings

#: Long enough that only the broadcast can close a socket within a test.
SIN_REVISION = 3600


@pytest.fixture
def arrancar(
    start_app: Callable[..., Awaitable[SoporteClient]],
    redis_privado: RedisPrivado,
    soporte_settings: Settings,
    tmp_path: Path,
) -> Callable[[], Awaitable[SoporteClient]]:
    """One more app with tickets and chat on the test's Redis and one shared database, whose
    periodic session check never runs during the test."""
    url = soporte_settings.database_url
    if url.startswith("sqlite"):  # in-memory is per app: share a file instead
        url = f"sqlite://{tmp_path / 'compartida.db'}"

    def start() -> Awaitable[SoporteClient]:
        return start_app(
            ["tickets", "chat"],
            redis_url=redis_privado.url,
            database_url=url,
            session_check_seconds=SIN_REVISION,
        )

    return start


async def test_a_logout_in_one_process_closes_the_socket_in_another(
    arrancar: Callable[[], Awaitable[SoporteClient]],
) -> None:
    a = await arrancar()
    b = await arrancar()
    ana = await a.usuario("ana")
    ticket = await crear_ticket(a, ana)
    en_b = await conectar(b, ticket, token_of(ana))
    otro_en_b = await conectar(b, ticket, await otro_token(ana))

    r = await a.post("/api/auth/logout/", headers=a.auth(ana))
    assert r.status in (200, 204), await r.text()

    assert await cerrado(en_b) == CLOSE_UNAUTHENTICATED
    await sigue_abierto(b, otro_en_b)


async def test_a_command_with_redis_closes_the_sockets_of_every_server_at_once(
    arrancar: Callable[[], Awaitable[SoporteClient]],
    redis_privado: RedisPrivado,
    soporte_settings: Settings,
    tmp_path: Path,
) -> None:
    a = await arrancar()
    b = await arrancar()
    ana = await a.usuario("ana")
    ticket = await crear_ticket(a, ana)
    sockets = [await conectar(a, ticket, token_of(ana)), await conectar(b, ticket, token_of(ana))]

    url = soporte_settings.database_url
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")}
    env.update(
        SOPORTE_DATABASE_URL=url
        if not url.startswith("sqlite")
        else f"sqlite://{tmp_path / 'compartida.db'}",
        SOPORTE_PLUGINS="tickets,chat",
        SOPORTE_REDIS_URL=redis_privado.url,
        SOPORTE_REDIS_PREFIX=soporte_settings.redis_prefix,
        SOPORTE_LOG_LEVEL="WARNING",
    )
    proceso = await asyncio.create_subprocess_exec(
        SOPORTE,
        "deactivate",
        "ana",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    salida, _ = await asyncio.wait_for(proceso.communicate(), 60)
    assert proceso.returncode == 0, salida.decode()
    assert "todos los servidores" in salida.decode()

    codes = await asyncio.gather(*(cerrado(ws) for ws in sockets))
    assert codes == [CLOSE_UNAUTHENTICATED, CLOSE_UNAUTHENTICATED]
