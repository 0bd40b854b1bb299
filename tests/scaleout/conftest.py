"""Scale-out tests: they need a Redis (``SOPORTE_TEST_REDIS_URL``), and the two-process test a
PostgreSQL too (``SOPORTE_TEST_DATABASE_URL=postgres://…``). CI starts both with the project's
scripts and sets both variables; ``make test`` without them reports these tests as skipped,
with the variable they wait for as the reason (``-rs`` in the pytest options shows it).

The tests start private ``redis-server`` processes (the binary ``scripts/redis.sh`` installs),
because restarting Redis is part of what they show.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.scaleout.ayudas import RedisPrivado

if TYPE_CHECKING:
    from collections.abc import Iterator

_REDIS = bool(os.environ.get("SOPORTE_TEST_REDIS_URL"))
_POSTGRES = os.environ.get("SOPORTE_TEST_DATABASE_URL", "").startswith(
    ("postgres://", "postgresql://")
)
_NEEDS_REDIS = "needs a Redis: set SOPORTE_TEST_REDIS_URL (make test-scale starts one)"
_NEEDS_BOTH = (
    "needs a Redis and a PostgreSQL: set SOPORTE_TEST_REDIS_URL and "
    "SOPORTE_TEST_DATABASE_URL=postgres://… (make test-scale starts both)"
)
_NEEDS_POSTGRES = (
    "needs a PostgreSQL: set SOPORTE_TEST_DATABASE_URL=postgres://… (make test-scale starts one)"
)
_HERE = Path(__file__).parent


def _missing(module: str) -> str | None:
    """Why the tests of ``module`` cannot run here (``None``: they run). Every module needs the
    Redis (the outbox one only a PostgreSQL); the two-process ones a PostgreSQL too."""
    if module in ("test_dos_procesos.py", "test_asignacion_dos_procesos.py") and not (
        _REDIS and _POSTGRES
    ):
        return _NEEDS_BOTH
    if module == "test_outbox_postgres.py":
        return None if _POSTGRES else _NEEDS_POSTGRES
    return None if _REDIS else _NEEDS_REDIS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark this folder's tests skipped, with the reason, when their services are absent."""
    for item in items:
        if item.path.parent == _HERE and (reason := _missing(item.path.name)):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def redis_privado() -> Iterator[RedisPrivado]:
    """A Redis of this test's own (it may be killed and restarted), stopped afterwards."""
    servidor = RedisPrivado()
    servidor.arrancar()
    try:
        yield servidor
    finally:
        servidor.parar()
