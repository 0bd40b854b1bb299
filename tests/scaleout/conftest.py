"""Scale-out tests: they need a Redis (``SOPORTE_TEST_REDIS_URL``), and the two-process test a
PostgreSQL too (``SOPORTE_TEST_DATABASE_URL=postgres://…``). CI starts both with the project's
scripts and sets both variables; ``make test`` without them leaves these files out rather
than skipping their tests.

The tests start private ``redis-server`` processes (the binary ``scripts/redis.sh`` installs),
because restarting Redis is part of what they show.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from tests.scaleout.ayudas import RedisPrivado

if TYPE_CHECKING:
    from collections.abc import Iterator

_REDIS = bool(os.environ.get("SOPORTE_TEST_REDIS_URL"))
_POSTGRES = os.environ.get("SOPORTE_TEST_DATABASE_URL", "").startswith(
    ("postgres://", "postgresql://")
)

collect_ignore: list[str] = []
if not _REDIS:
    collect_ignore += ["test_capa_redis.py", "test_chat_redis.py"]
if not (_REDIS and _POSTGRES):
    collect_ignore += ["test_dos_procesos.py"]


@pytest.fixture
def redis_privado() -> Iterator[RedisPrivado]:
    """A Redis of this test's own (it may be killed and restarted), stopped afterwards."""
    servidor = RedisPrivado()
    servidor.arrancar()
    try:
        yield servidor
    finally:
        servidor.parar()
