"""The app factory: typed keys, no module-level state, a database context per request."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import BaseModel

from core import hookimpl, keys
from core.api import PUBLIC, Routes
from core.app import create_app
from core.db import Database
from core.events import EventBus
from core.plugins import PluginHost
from core.realtime import InMemoryChannelLayer
from core.settings import Settings
from core.storage import Storage
from tests.core.pruebas import Pruebas

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SoporteClient


class Nombre(BaseModel):
    """Which plugin answered."""

    plugin: str


def plugin_con_ruta(nombre: str) -> Any:
    """An ad-hoc plugin answering ``GET /api/<nombre>/``."""
    routes = Routes(tag=nombre)

    @routes.get(f"/api/{nombre}/", auth=PUBLIC)
    async def quien(request: web.Request) -> Nombre:
        """Who am I."""
        return Nombre(plugin=request.app[keys.PLUGINS].names[0])

    class Plugin:
        name = nombre

        @hookimpl
        def register_routes(self, app: web.Application) -> Routes:
            return routes

    return Plugin()


def test_state_lives_under_typed_app_keys(make_app: Callable[..., web.Application]) -> None:
    app = make_app(plugins=[])
    expected = {
        keys.SETTINGS: Settings,
        keys.PLUGINS: PluginHost,
        keys.DB: Database,
        keys.EVENTS: EventBus,
        keys.CHANNELS: InMemoryChannelLayer,
        keys.STORAGE: Storage,
        keys.ENDPOINTS: list,
    }
    for key, typ in expected.items():
        assert isinstance(key, web.AppKey)
        assert isinstance(app[key], typ), key
    with pytest.raises(KeyError):
        app["soporte_settings"]  # a plain string is not the key


def test_create_app_reads_the_environment_when_given_no_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("SOPORTE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SOPORTE_PLUGINS", "none")
    monkeypatch.setenv("SOPORTE_DATABASE_URL", "sqlite://:memory:")
    monkeypatch.setenv("SOPORTE_MAX_FILES", "3")
    app = create_app()
    assert app[keys.SETTINGS].max_files == 3
    assert app[keys.PLUGINS].names == []


async def test_two_apps_with_different_plugins_live_side_by_side(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    uno = await arrancar(extra=[plugin_con_ruta("uno")], database_url="sqlite://:memory:")
    dos = await arrancar(extra=[plugin_con_ruta("dos")], database_url="sqlite://:memory:")
    assert (await (await uno.get("/api/uno/")).json()) == {"plugin": "uno"}
    assert (await (await dos.get("/api/dos/")).json()) == {"plugin": "dos"}
    assert (await uno.get("/api/dos/")).status == 404
    assert (await dos.get("/api/uno/")).status == 404
    # Separate databases: an account made in one app does not exist in the other.
    alta = {"username": "solo-uno", "password": "una-clave-larga"}
    assert (await uno.post("/api/auth/registro/", json=alta)).status == 201
    assert (await uno.post("/api/auth/token/", json=alta)).status == 200
    assert (await dos.post("/api/auth/token/", json=alta)).status == 401
    assert uno.app[keys.EVENTS] is not dos.app[keys.EVENTS]
    assert uno.app[keys.CHANNELS] is not dos.app[keys.CHANNELS]


async def test_fifty_concurrent_requests_that_hit_the_database_all_succeed(
    api: SoporteClient,
) -> None:
    async def crear(i: int) -> int:
        r = await api.post("/api/pruebas/notas/", json={"username": f"u{i:02}"})
        return r.status

    async def leer() -> int:
        r = await api.get("/api/pruebas/contar/")
        return r.status

    statuses = await asyncio.gather(*(crear(i) for i in range(25)), *(leer() for _ in range(25)))
    assert statuses == [201] * 25 + [200] * 25
    r = await api.get("/api/pruebas/contar/")
    assert sorted((await r.json())["mensaje"].split(",")) == [f"u{i:02}" for i in range(25)]


async def test_each_request_runs_with_its_own_app_database_current() -> None:
    """Two apps, both started before either serves: the context the last start-up left behind
    is the other app's, so only the per-request database middleware can get this right."""
    runners: dict[str, web.AppRunner] = {}
    for e in ("a", "b"):
        app = create_app(
            Settings(database_url="sqlite://:memory:", plugins="none", secret_key="k"),
            plugins=[Pruebas()],
            generate_schemas=True,
        )
        runners[e] = web.AppRunner(app)
        await runners[e].setup()
    try:
        base: dict[str, str] = {}
        for e, runner in runners.items():
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            base[e] = f"http://{host}:{port}"
        async with aiohttp.ClientSession() as http:

            async def crear(e: str, i: int) -> int:
                async with http.post(
                    f"{base[e]}/api/pruebas/notas/", json={"username": f"{e}{i}"}
                ) as r:
                    return r.status

            statuses = await asyncio.gather(*(crear(e, i) for i in range(25) for e in base))
            assert statuses == [201] * 50
            for e in base:
                async with http.get(f"{base[e]}/api/pruebas/contar/") as r:
                    nombres = (await r.json())["mensaje"].split(",")
                assert sorted(nombres) == sorted(f"{e}{i}" for i in range(25)), e
    finally:
        for runner in runners.values():
            await runner.cleanup()
