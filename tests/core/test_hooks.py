"""One test (at least) per hook of ``core.hookspecs``, each through an ad-hoc plugin.

A meta-test keeps this promise: every hookspec must have a test named ``test_hook_<name>…``
somewhere under ``tests/core``. (``dashboard_stats`` lives in test_dashboard.py,
``register_hookspecs`` in test_plugins.py, ``register_commands`` also in test_cli.py.)
"""

from __future__ import annotations

import ast
import asyncio
import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click
import pytest
from aiohttp import web
from click.testing import CliRunner

from core import hookimpl, hookspecs, keys
from core.api import PUBLIC, Routes
from core.app import create_app
from core.auth.models import Usuario
from core.db import CORE_LABEL
from core.events import Event, Listener
from core.plugins import PluginError, PluginHost
from core.settings import Settings
from tests.core.modelos_prueba import Nota
from tests.core.pruebas import Mensaje, Pruebas

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from datetime import datetime

    from core.testing import SoporteClient


def hook_names() -> list[str]:
    """Every hook the core declares."""
    return sorted(
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, f"{hookspecs.PROJECT}_spec")
    )


def test_every_hook_has_a_test_named_after_it() -> None:
    tests: set[str] = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                tests.add(node.name)
    assert len(hook_names()) >= 9
    missing = [h for h in hook_names() if not any(t.startswith(f"test_hook_{h}") for t in tests)]
    assert missing == [], f"hooks without a test_hook_<name> test: {missing}"


def test_every_hook_has_a_docstring_saying_when_it_fires_and_what_it_returns() -> None:
    for name in hook_names():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert "Fires:" in doc and "Returns:" in doc, name


# --- register_models -------------------------------------------------------------------------


class Notas:
    """An ad-hoc plugin with Tortoise models."""

    name = "notas"

    @hookimpl
    def register_models(self) -> list[str]:
        return ["tests.core.modelos_prueba"]


async def test_hook_register_models_gives_the_plugin_its_own_app_label(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(extra=[Notas()])
    host = api.app[keys.PLUGINS]
    assert host.models() == {"notas": ["tests.core.modelos_prueba"]}
    config = api.app[keys.DB].config
    assert config["apps"]["notas"]["models"] == ["tests.core.modelos_prueba"]
    assert config["apps"]["notas"]["migrations"] == "tests.core.migrations"
    assert set(config["apps"]) == {CORE_LABEL, "notas"}
    # The table exists (generated), and joins to the core's users work.
    ana = await api.usuario("ana")
    await Nota.create(texto="hola", autor=ana)
    assert await Nota.filter(autor__username="ana").values_list("texto", flat=True) == ["hola"]
    assert Nota._meta.app == "notas"


def test_hook_register_models_a_plugin_may_not_be_called_core(
    make_app: Callable[..., web.Application],
) -> None:
    class Core(Notas):
        name = CORE_LABEL

    with pytest.raises(ValueError, match="core"):
        make_app(plugins=[], extra=[Core()])


# --- register_routes -------------------------------------------------------------------------


async def test_hook_register_routes_registers_each_endpoint_with_and_without_slash(
    api: SoporteClient,
) -> None:
    endpoints = api.app[keys.ENDPOINTS]
    mine = [e for plugin, e in endpoints if plugin == "pruebas"]
    assert {e.path for e in mine} >= {"/api/pruebas/conflicto/", "/ws/pruebas/{grupo}/"}
    core = {e.path for plugin, e in endpoints if plugin == "core"}
    assert {"/healthz", "/api/auth/token/", "/api/soporte/dashboard/stats/"} <= core
    for path in ("/api/pruebas/items/1/", "/api/pruebas/items/1"):
        r = await api.get(path)
        assert r.status == 200, path


def test_hook_register_routes_receives_the_app_being_built(
    make_app: Callable[..., web.Application],
) -> None:
    seen: list[Any] = []

    class Curioso:
        name = "curioso"

        @hookimpl
        def register_routes(self, app: web.Application) -> list[Any]:
            seen.append(app[keys.SETTINGS].max_files)
            return []

    app = make_app(plugins=[], extra=[Curioso()], max_files=7)
    assert seen == [7] and app[keys.SETTINGS].max_files == 7


def test_hook_register_routes_the_same_route_twice_is_an_error_naming_the_plugin(
    make_app: Callable[..., web.Application],
) -> None:
    otras = Routes(tag="copion")

    @otras.get("/api/pruebas/conflicto", auth=PUBLIC)
    async def otra(request: web.Request) -> Mensaje:
        """Same path as pruebas' (without the slash)."""
        return Mensaje(mensaje="otra")

    class Copion:
        name = "copion"

        @hookimpl
        def register_routes(self, app: web.Application) -> Routes:
            return otras

    with pytest.raises(PluginError, match=r"GET /api/pruebas/conflicto.*already declared by") as e:
        make_app(plugins=[], extra=[Pruebas(), Copion()])
    assert "'copion'" in str(e.value) and "'pruebas'" in str(e.value)


# --- register_listeners ----------------------------------------------------------------------


class Ping(Event):
    """A test event."""

    name: ClassVar[str] = "ping"


async def test_hook_register_listeners_subscribes_to_the_app_bus(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    received: list[tuple[str, Event]] = []

    class Oyente:
        name = "oyente"

        @hookimpl
        def register_listeners(self, app: web.Application) -> list[Listener]:
            # Handlers may close over the app (its channel layer, its settings).
            def handler(event: Event) -> None:
                received.append((app[keys.SETTINGS].log_level, event))

            return [Listener(Ping, handler)]

    api = await arrancar(extra=[Oyente()], log_level="DEBUG")
    await api.app[keys.EVENTS].emit(Ping())
    assert [(lvl, type(e)) for lvl, e in received] == [("DEBUG", Ping)]


# --- register_background ---------------------------------------------------------------------


class Fondo:
    """Background work that uses the ORM at start-up, in a task it starts, and at clean-up."""

    name = "fondo"

    def __init__(self, etiqueta: str) -> None:
        self.etiqueta = etiqueta
        self.vistos: dict[str, list[str]] = {}
        self.listo = asyncio.Event()
        self.tarea: asyncio.Task[None] | None = None

    async def nombres(self) -> list[str]:
        return list(await Usuario.all().order_by("id").values_list("username", flat=True))

    @hookimpl
    def register_background(self, app: web.Application) -> list[Any]:
        async def trabajo(app: web.Application) -> AsyncIterator[None]:
            await Usuario.create(username=f"fondo-{self.etiqueta}", password_hash="x")
            self.vistos["inicio"] = await self.nombres()

            async def tarea() -> None:
                await self.listo.wait()
                self.vistos["tarea"] = await self.nombres()

            self.tarea = asyncio.create_task(tarea())
            yield
            self.tarea.cancel()
            self.vistos["cierre"] = await self.nombres()

        return [trabajo]


async def test_hook_register_background_runs_with_its_own_app_database_and_is_torn_down() -> None:
    fondos = {e: Fondo(e) for e in ("a", "b")}
    runners = {
        e: web.AppRunner(
            create_app(
                Settings(database_url="sqlite://:memory:", plugins="none", secret_key="k"),
                plugins=[f],
                generate_schemas=True,
            )
        )
        for e, f in fondos.items()
    }
    # Both apps start before either stops, in one task: each must still use its own database.
    for runner in runners.values():
        await runner.setup()
    for fondo in fondos.values():
        fondo.listo.set()
        assert fondo.tarea is not None
        await asyncio.wait_for(fondo.tarea, 3)
    for runner in runners.values():
        await runner.cleanup()
    for e, fondo in fondos.items():
        assert fondo.vistos == {
            "inicio": [f"fondo-{e}"],
            "tarea": [f"fondo-{e}"],
            "cierre": [f"fondo-{e}"],
        }, e
    assert all(r.app[keys.DB].context is None for r in runners.values())  # closed afterwards


# --- register_commands -----------------------------------------------------------------------


class Comandos:
    """Adds a ``saludar`` sub-command."""

    name = "comandos"

    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command()
        @click.argument("quien")
        def saludar(quien: str) -> None:
            """Say hello."""
            click.echo(f"hola, {quien}")


def test_hook_register_commands_adds_a_sub_command() -> None:
    grupo = click.Group("soporte")
    host = PluginHost.from_settings(Settings(plugins="none"), extra=[Comandos()])
    host.add_commands(grupo)
    result = CliRunner().invoke(grupo, ["saludar", "mundo"])
    assert result.exit_code == 0 and result.output == "hola, mundo\n"


# --- load_demo_data --------------------------------------------------------------------------


async def test_hook_load_demo_data_runs_dependencies_first_sync_and_async() -> None:
    calls: list[tuple[str, list[str]]] = []

    class Base:
        name = "base"

        @hookimpl
        async def load_demo_data(self, usuarios: dict[str, Usuario]) -> None:
            await asyncio.sleep(0)
            calls.append(("base", sorted(usuarios)))

    class Dependiente:
        name = "a_dependiente"  # sorts before "base": only `requires` puts it after
        requires = ("base",)

        @hookimpl(tryfirst=True)  # called first by pluggy, still awaited after base
        async def load_demo_data(self, usuarios: dict[str, Usuario]) -> None:
            calls.append(("a_dependiente", sorted(usuarios)))

    host = PluginHost.from_settings(Settings(plugins="none"), extra=[Dependiente(), Base()])
    await host.load_demo_data({"cliente": Usuario(username="cliente")})
    assert calls == [("base", ["cliente"]), ("a_dependiente", ["cliente"])]


# --- dashboard_stats (see test_dashboard.py) -------------------------------------------------


async def test_hook_dashboard_stats_merges_sync_and_async_contributions() -> None:
    class Uno:
        name = "uno"

        @hookimpl
        def dashboard_stats(self, usuario: Usuario, desde: datetime) -> dict[str, int]:
            return {"uno": 1}

    class Dos:
        name = "dos"

        @hookimpl
        async def dashboard_stats(self, desde: datetime) -> dict[str, int]:
            return {"dos": 2}

    class Nada:
        name = "nada"

        @hookimpl
        def dashboard_stats(self) -> None:
            return None

    host = PluginHost.from_settings(Settings(plugins="none"), extra=[Uno(), Dos(), Nada()])
    from datetime import UTC, datetime

    assert await host.dashboard_stats(Usuario(username="a"), datetime.now(UTC)) == {
        "uno": 1,
        "dos": 2,
    }


# --- register_pages --------------------------------------------------------------------------


def paginas(*pages: Any) -> Any:
    """An ad-hoc plugin contributing ``pages``."""

    class Paginas:
        name = "paginas"

        @hookimpl
        def register_pages(self, app: web.Application) -> list[Any]:
            return list(pages)

    return Paginas()


async def test_hook_register_pages_serves_a_plugin_page(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    from core.pages import Page

    ayuda = Page(
        path="/ayuda/", template="core/inicio.html", title="Ayuda", nav="Ayuda", login=False
    )
    api = await arrancar(extra=[paginas(ayuda)])
    r = await api.get("/ayuda/")
    assert r.status == 200 and r.content_type == "text/html"
    assert "Content-Security-Policy" in r.headers
    r = await api.get("/ayuda", allow_redirects=False)
    assert r.status in (301, 308) and r.headers["Location"] == "/ayuda/"
    # Without the plugin the page is gone.
    sin = await arrancar(extra=[])
    assert (await sin.get("/ayuda/")).status == 404


def test_hook_register_pages_refuses_bad_pages_naming_the_plugin(
    make_app: Callable[..., web.Application],
) -> None:
    from core.pages import Page

    malas = [
        Page(path="/", template="core/inicio.html", title="Otra portada"),  # taken by core
        Page(path="/api/pagina/", template="core/inicio.html", title="API"),
        Page(path="/consola/", template="core/inicio.html", title="Consola", area="agente"),
        Page(path="/agente/x/", template="core/inicio.html", title="X", area="cliente"),
        Page(path="sin-barra", template="core/inicio.html", title="X"),
    ]
    for page in malas:
        with pytest.raises(PluginError, match="'paginas'"):
            make_app(plugins=[], extra=[paginas(page)])


# --- generate_synthetic_data (the bulk generator itself: test_demo_bulk.py) ------------------


async def test_hook_generate_synthetic_data_runs_dependencies_first_with_one_rng() -> None:
    import random
    from datetime import UTC, datetime

    from core.synthetic import SyntheticUsers

    calls: list[tuple[str, int, float]] = []

    class Base:
        name = "base"

        @hookimpl
        async def generate_synthetic_data(
            self, usuarios: SyntheticUsers, n_tickets: int, rng: random.Random
        ) -> dict[str, int]:
            await asyncio.sleep(0)
            calls.append(("base", n_tickets, rng.random()))
            return {"filas": n_tickets * 2}

    class Dependiente:
        name = "a_dependiente"  # sorts before "base": only `requires` puts it after
        requires = ("base",)

        @hookimpl(tryfirst=True)  # called first by pluggy, still awaited after base
        async def generate_synthetic_data(self, n_tickets: int, rng: random.Random) -> None:
            calls.append(("a_dependiente", n_tickets, rng.random()))

    host = PluginHost.from_settings(Settings(plugins="none"), extra=[Dependiente(), Base()])
    usuarios = SyntheticUsers(clientes=(1, 2), agentes=(3,))
    rng = random.Random(5)
    answers = [
        (name, counts)
        async for name, counts, seconds in host.generate_synthetic_data(
            usuarios, 7, rng, datetime.now(UTC)
        )
        if seconds >= 0
    ]
    assert answers == [("base", {"filas": 14}), ("a_dependiente", None)]
    expected = random.Random(5)
    assert calls == [("base", 7, expected.random()), ("a_dependiente", 7, expected.random())]


# --- register_outbox_channels ----------------------------------------------------------------


async def test_hook_register_outbox_channels_delivers_the_plugin_s_rows(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    """A plugin's channel gets the rows of its ``canal`` in batches; what it yields is
    recorded (delivered, or a permanent failure dead-lettered), and the core's ``mail``
    channel keeps working beside it."""
    from datetime import UTC, datetime

    from core.outbox import EnvioFallido, OutboxChannel, Outcome
    from core.outbox_models import Envio, EstadoEnvio

    recibidos: list[list[str]] = []

    async def entregar(app: web.Application, envios: Any) -> AsyncIterator[Outcome]:
        recibidos.append([e.destino for e in envios])
        for envio in envios:
            if envio.payload.get("roto"):
                yield Outcome(envio, error="410 ya no existe", permanent=True)
            else:
                yield Outcome(envio)

    class Ecos:
        name = "ecos"

        @hookimpl
        def register_outbox_channels(self, app: web.Application) -> list[OutboxChannel]:
            assert keys.SETTINGS in app
            return [OutboxChannel("eco", entregar)]

    api = await arrancar(extra=[Pruebas(), Ecos()], outbox_poll_seconds=0.02)
    ahora = datetime.now(UTC)
    await Envio.create(canal="eco", destino="a", payload={}, proximo_intento=ahora)
    await Envio.create(canal="eco", destino="b", payload={"roto": True}, proximo_intento=ahora)
    await Envio.create(canal="nadie", destino="c", payload={}, proximo_intento=ahora)
    for _ in range(500):
        if await Envio.filter(estado=EstadoEnvio.PENDIENTE).count() == 1:
            break
        await asyncio.sleep(0.01)
    estados = dict(await Envio.all().values_list("destino", "estado"))
    # A row of a channel nobody declares here waits (its plugin may be enabled elsewhere).
    assert estados == {"a": EstadoEnvio.ENVIADO, "b": EstadoEnvio.FALLIDO, "c": "PENDIENTE"}
    assert sorted(d for lote in recibidos for d in lote) == ["a", "b"]
    for _ in range(100):
        if any(isinstance(e, EnvioFallido) for e in api.events):
            break
        await asyncio.sleep(0.01)
    [fallido] = [e for e in api.events if isinstance(e, EnvioFallido)]
    assert (fallido.canal, fallido.destino, fallido.error) == ("eco", "b", "410 ya no existe")


def test_hook_register_outbox_channels_a_name_twice_is_an_error_naming_the_plugin(
    make_app: Callable[..., web.Application],
) -> None:
    from core.outbox import OutboxChannel

    async def nada(app: web.Application, envios: Any) -> AsyncIterator[Any]:
        return
        yield

    class Correo:
        name = "correo"

        @hookimpl
        def register_outbox_channels(self, app: web.Application) -> list[OutboxChannel]:
            return [OutboxChannel("mail", nada)]

    with pytest.raises(PluginError, match=r"'correo'.*'mail'.*already declared by 'core'"):
        make_app(plugins=[], extra=[Correo()])


# --- mail_thread_references --------------------------------------------------------------------


async def test_hook_mail_thread_references_merges_sync_and_async_answers_without_duplicates(
    make_app: Callable[..., web.Application],
) -> None:
    class Pasarela:
        name = "pasarela"

        @hookimpl
        async def mail_thread_references(self, app: web.Application, numero: str) -> list[str]:
            assert keys.SETTINGS in app
            return [f"<primero.{numero}@cliente.test>", "<ultimo@cliente.test>"]

    class Otra:
        name = "otra"

        @hookimpl
        def mail_thread_references(self, numero: str) -> list[str]:
            return ["<ultimo@cliente.test>", f"<otra.{numero}@x.test>"]

    class Nada:
        name = "nada"

        @hookimpl
        def mail_thread_references(self) -> None:
            return None

    app = make_app([], mail_from="ayuda@soporte.example.com")
    host = PluginHost.from_settings(Settings(plugins="none"), extra=[Pasarela(), Otra(), Nada()])
    ids = await host.mail_thread_references(app, "TK-000001")
    assert sorted(ids) == sorted(
        ["<primero.TK-000001@cliente.test>", "<ultimo@cliente.test>", "<otra.TK-000001@x.test>"]
    )
    empty = PluginHost.from_settings(Settings(plugins="none"))
    assert await empty.mail_thread_references(app, "TK-000001") == []
