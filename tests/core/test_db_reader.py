"""The read connection of a SQLite file database: token lookups never queue behind writes.

Tortoise serialises everything through one SQLite connection; the app opens a second,
read-only one (WAL lets it read the last committed state while another connection writes) and
authenticates requests through it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from tortoise.transactions import in_transaction

from core import keys
from core.auth.models import Rol, Usuario

if TYPE_CHECKING:
    from pathlib import Path

    from core.testing import SoporteClient

pytestmark = pytest.mark.plugins()


@pytest.fixture
def soporte_database_url(tmp_path: Path) -> str:
    """A SQLite file (the read connection exists only for files), whatever the test database."""
    return f"sqlite://{tmp_path}/lector.db"


async def test_a_request_authenticates_while_another_transaction_writes(
    soporte: SoporteClient,
) -> None:
    assert soporte.app[keys.DB].reader is not None
    ana = await soporte.usuario("ana", Rol.AGENTE)
    async with in_transaction() as conn:
        await Usuario.create(username="pendiente", password_hash="x", using_db=conn)
        # The ORM connection is held by this transaction: only the read connection can answer.
        r = await asyncio.wait_for(soporte.get("/api/auth/yo/", headers=soporte.auth(ana)), 5)
        assert r.status == 200 and (await r.json())["username"] == "ana"


async def test_logout_takes_effect_at_once_through_the_read_connection(
    soporte: SoporteClient,
) -> None:
    await soporte.usuario("ana")  # password: the testing kit's
    r = await soporte.post(
        "/api/auth/token/", json={"username": "ana", "password": "clave-de-prueba"}
    )
    token = (await r.json())["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await soporte.get("/api/auth/yo/", headers=headers)).status == 200
    assert (await soporte.post("/api/auth/logout/", headers=headers)).status == 204
    assert (await soporte.get("/api/auth/yo/", headers=headers)).status == 401
    await Usuario.filter(username="ana").update(activo=False)
    r = await soporte.post(
        "/api/auth/token/", json={"username": "ana", "password": "clave-de-prueba"}
    )
    assert r.status == 401
