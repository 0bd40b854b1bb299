"""A pytest plugin for soporte and for plugin authors (loaded through the ``pytest11`` entry point).

Fixtures:

``soporte_settings``
    Settings for one test: a fresh in-memory SQLite database (or ``SOPORTE_TEST_DATABASE_URL``),
    a temporary media folder, a fixed secret key; the in-memory channel layer, or the Redis one
    on ``SOPORTE_TEST_REDIS_URL`` with a channel of the test's own. Override it to change
    settings.
``soporte_redis_url``
    ``SOPORTE_TEST_REDIS_URL`` or ``None``.
``make_app``
    ``make_app(plugins=["tickets"], extra=[my_plugin], **settings)`` builds an application with
    chosen plugins (``None``: all installed) and ad-hoc plugin objects, tables generated.
``soporte``
    A started test server and client for ``make_app()`` with its database current in the test:
    ``soporte.usuario("ana", Rol.AGENTE)`` makes a user and token, ``soporte.get(...)`` etc. are
    the aiohttp test client's, ``soporte.ws(...)`` opens a WebSocket, ``soporte.events`` holds
    every event published after commit.

Use the marker ``@pytest.mark.plugins("tickets", "chat")`` to choose the enabled plugins of the
``soporte`` fixture (default: all installed).
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from core import keys
from core.app import create_app
from core.auth.models import Rol, Usuario
from core.auth.passwords import hash_password
from core.auth.service import crear_usuario, emitir_token
from core.db import activate
from core.events import Event, Listener
from core.settings import NO_PLUGINS, Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence
    from pathlib import Path

    from aiohttp import web
    from aiohttp.test_utils import TestClient

TEST_PASSWORD = "clave-de-prueba"
_hash_cache: dict[str, str] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``plugins`` marker."""
    config.addinivalue_line(
        "markers", "plugins(*names): enabled plugins for the soporte fixture (none: all)"
    )


def password_hash(password: str = TEST_PASSWORD) -> str:
    """An argon2 hash computed once per password per test session (argon2 is slow on purpose)."""
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


_POSTGRES_SCHEMES = ("postgres://", "postgresql://", "asyncpg://")


@pytest.fixture(autouse=True)
def _fresh_sql_cache() -> None:
    """Forget the SQL that tortoise caches per process for each table.

    Its executor cache is keyed by connection name and table, not by dialect: after a test that
    ran an app on SQLite, an app on PostgreSQL would reuse SQLite's ``INSERT`` (``?``
    placeholders) and fail. One process serves one database in production; a test session
    mixes them, so each test starts with an empty cache.
    """
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()


@pytest.fixture
async def soporte_database_url() -> AsyncIterator[str]:
    """A fresh, empty database for one test.

    In-memory SQLite by default. With ``SOPORTE_TEST_DATABASE_URL=postgres://…`` each test gets
    its own schema (created here, dropped afterwards) — about 50 ms, against 200 ms for a
    database per test. ``public`` stays on the search path for extensions such as ``unaccent``.
    """
    url = os.environ.get("SOPORTE_TEST_DATABASE_URL", "")
    if not url.startswith(_POSTGRES_SCHEMES):
        yield url or "sqlite://:memory:"
        return
    import asyncpg

    dsn = "postgres://" + url.split("://", 1)[1].split("?", 1)[0]
    schema = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    try:
        yield f"{url}{'&' if '?' in url else '?'}schema={schema},public"
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await conn.close()


@pytest.fixture
def soporte_redis_url() -> str | None:
    """The Redis of the test run (``SOPORTE_TEST_REDIS_URL``), or ``None`` to stay in memory."""
    return os.environ.get("SOPORTE_TEST_REDIS_URL") or None


@pytest.fixture
def soporte_settings(
    tmp_path: Path, soporte_database_url: str, soporte_redis_url: str | None
) -> Settings:
    """Settings for one test: fresh database, temporary media folder, fixed secret; with a
    test Redis, the Redis channel layer on a channel no other test uses."""
    return Settings(
        database_url=soporte_database_url,
        media_dir=tmp_path / "media",
        secret_key="clave-secreta-de-pruebas",
        plugin_settings={"escalamiento": {"interval": 0}},
        plugins=None,
        redis_url=soporte_redis_url,
        redis_prefix=f"prueba-{uuid.uuid4().hex[:12]}",
        public_url=None,
        cors_origins=["http://frontend.test"],
    )


@pytest.fixture
def make_app(soporte_settings: Settings) -> Callable[..., web.Application]:
    """A factory of applications with chosen plugins, ad-hoc plugins and settings overrides."""

    def factory(
        plugins: Sequence[str] | None = None, extra: Sequence[Any] = (), **overrides: Any
    ) -> web.Application:
        values = soporte_settings.model_dump()
        values.update(overrides)
        if plugins is not None:
            values["plugins"] = list(plugins) or [NO_PLUGINS]
        settings = Settings(**values)
        return create_app(settings, plugins=extra, generate_schemas=True)

    return factory


@dataclass
class SoporteClient:
    """A test client bound to a running app, with helpers for users, tokens and WebSockets."""

    client: TestClient[web.Request, web.Application]
    app: web.Application
    events: list[Event] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        # get/post/patch/delete/request… come from aiohttp's TestClient.
        return getattr(self.client, name)

    async def usuario(
        self, username: str, rol: Rol = Rol.CLIENTE, *, nombre: str | None = None
    ) -> Usuario:
        """Create a user (password :data:`TEST_PASSWORD`) with a token in ``usuario.token``."""
        usuario = await crear_usuario(
            username,
            TEST_PASSWORD,
            rol,
            nombre=nombre if nombre is not None else username.title(),
            email=f"{username}@example.test",
            password_hash=password_hash(),
        )
        raw, _ = await emitir_token(usuario, timedelta(hours=1))
        usuario.token = raw
        return usuario

    @staticmethod
    def auth(usuario: Usuario) -> dict[str, str]:
        """Headers as the guide sends them for ``usuario``."""
        return {
            "Authorization": f"Bearer {usuario.token}",  # type: ignore[attr-defined]
            "Content-Type": "application/json",
        }

    async def ws(self, path: str, usuario: Usuario | None = None, **params: Any) -> Any:
        """Open a WebSocket on ``path`` with ``?token=`` of ``usuario`` and extra parameters."""
        if usuario is not None:
            params["token"] = usuario.token  # type: ignore[attr-defined]
        return await self.client.ws_connect(path, params=params)

    @staticmethod
    async def recibir(ws: Any, tipo: str | None = None, espera: float = 3.0) -> dict[str, Any]:
        """The next JSON frame (of ``tipo``, skipping others) within ``espera`` seconds."""

        async def next_frame() -> dict[str, Any]:
            while True:
                msg = await ws.receive()
                if msg.type.name != "TEXT":
                    raise AssertionError(f"socket closed or not text: {msg.type} {msg.data!r}")
                data: dict[str, Any] = json.loads(msg.data)
                if tipo is None or data.get("tipo") == tipo:
                    return data

        return await asyncio.wait_for(next_frame(), espera)


@pytest.fixture
async def soporte(
    request: pytest.FixtureRequest,
    make_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
) -> AsyncIterator[SoporteClient]:
    """A started app (plugins from the ``plugins`` marker) with its database current."""
    marker = request.node.get_closest_marker("plugins")
    app = make_app(plugins=list(marker.args) if marker else None)
    client = await aiohttp_client(app)
    captured = SoporteClient(client, app)
    app[keys.EVENTS].subscribe(Listener(Event, captured.events.append))
    with activate(app[keys.DB].ctx):
        yield captured
