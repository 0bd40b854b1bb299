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
``start_app``
    ``await start_app(plugins=None, extra=(), **settings)`` starts one more app of
    :func:`make_app`'s making, as ``soporte`` does, from the test body: a :class:`SoporteClient`
    whose database is current in the test from then on; every app it started is stopped after
    the test. A test package with other defaults wraps it in a fixture of its own.
``smtp_sink``
    A started :class:`SmtpSink` (a real SMTP server on loopback, aiosmtpd) that keeps every
    message it receives: ``make_app(smtp_url=smtp_sink.url)``, then
    ``await smtp_sink.wait_for(n)``. Build one yourself for STARTTLS, smtps or AUTH.

Helpers for any fixture scope (a module-scoped or session-scoped server):

:func:`started_app`
    ``async with started_app(app) as soporte:`` — ``app`` on a loopback test server, its events
    captured, its database current inside the block.
:func:`fresh_database`
    ``with fresh_database(folder) as url:`` — a SQLite file in ``folder``, or a PostgreSQL schema
    of its own under ``SOPORTE_TEST_DATABASE_URL``, for a server started as a process.
:func:`free_port`
    a loopback TCP port nobody listens on.
``isolated_config``
    ``isolated_config("SOPORTE_X_")`` — the test works in an empty folder (no ``soporte.toml``)
    without the environment variables of that prefix; for tests of settings sources.

Use the marker ``@pytest.mark.plugins("tickets", "chat")`` to choose the enabled plugins of the
``soporte`` fixture (default: all installed).

The kit's autouse fixture (it forgets tortoise's per-table SQL cache before each test, see
``_fresh_sql_cache``) runs in every test of every project that has soporte installed. A project
that does not want it sets, in its pytest configuration::

    [tool.pytest.ini_options]
    soporte_autouse = false

The kit's own fixtures keep working then: :func:`make_app` forgets that cache itself.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import email
import email.policy
import json
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from core import keys
from core.app import create_app
from core.auth.models import Rol, Usuario
from core.auth.passwords import hash_password
from core.auth.service import crear_usuario, emitir_token
from core.db import activate
from core.events import Event, Listener
from core.server import ProblemAppRunner
from core.settings import NO_PLUGINS, Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
    from pathlib import Path

    from aiohttp import web
    from tortoise.context import TortoiseContext

TEST_PASSWORD = "clave-de-prueba"
_hash_cache: dict[str, str] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ini option ``soporte_autouse`` (the kit's autouse fixtures on or off)."""
    parser.addini(
        "soporte_autouse",
        "run soporte's autouse fixtures in every test (default: true; false switches them off)",
        type="bool",
        default=True,
    )


def autouse_enabled(config: pytest.Config) -> bool:
    """Whether the kit's autouse fixtures run (the ini option ``soporte_autouse``)."""
    return bool(config.getini("soporte_autouse"))


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


def forget_cached_sql() -> None:
    """Forget the SQL that tortoise caches per process for each table.

    Its executor cache is keyed by connection name and table, not by dialect: after a test that
    ran an app on SQLite, an app on PostgreSQL would reuse SQLite's ``INSERT`` (``?``
    placeholders) and fail. One process serves one database in production; a test session
    mixes them, so each test (and each app of the kit's making) starts with an empty cache.
    """
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()


@pytest.fixture(autouse=True)
def _fresh_sql_cache(request: pytest.FixtureRequest) -> None:
    """:func:`forget_cached_sql` before every test, also for apps built without the kit
    (``create_app`` in a test body, a CLI command); off with ``soporte_autouse = false``."""
    if autouse_enabled(request.config):
        forget_cached_sql()


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
    dsn, schema = _server_dsn(url), f"t_{uuid.uuid4().hex[:16]}"
    await _execute(dsn, f'CREATE SCHEMA "{schema}"')
    try:
        yield _schema_url(url, schema)
    finally:
        await _execute(dsn, f'DROP SCHEMA "{schema}" CASCADE')


def _server_dsn(url: str) -> str:
    """asyncpg's DSN of the server of ``url`` (no tortoise scheme, no query parameters)."""
    return "postgres://" + url.split("://", 1)[1].split("?", 1)[0]


def _schema_url(url: str, schema: str) -> str:
    """``url`` on ``schema``, with ``public`` still on the search path for extensions such as
    ``unaccent``."""
    return f"{url}{'&' if '?' in url else '?'}schema={schema},public"


async def _execute(dsn: str, statement: str) -> None:
    """One statement on a connection of its own."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _execute_sync(dsn: str, statement: str) -> None:
    """:func:`_execute` from synchronous code, in a thread of its own: no event loop is
    borrowed, so it works inside a running loop too."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _execute(dsn, statement)).result(timeout=60)


@contextlib.contextmanager
def fresh_database(folder: Path, prefix: str = "s") -> Iterator[str]:
    """A fresh database URL for a server started as a process, in any fixture scope.

    A SQLite file in ``folder`` by default; with ``SOPORTE_TEST_DATABASE_URL=postgres://…`` a
    schema of its own (named ``prefix`` and a random part), dropped afterwards.
    """
    url = os.environ.get("SOPORTE_TEST_DATABASE_URL", "")
    if not url.startswith(_POSTGRES_SCHEMES):
        yield f"sqlite://{folder / 'soporte.db'}"
        return
    dsn, schema = _server_dsn(url), f"{prefix}_{uuid.uuid4().hex[:12]}"
    _execute_sync(dsn, f'CREATE SCHEMA "{schema}"')
    try:
        yield _schema_url(url, schema)
    finally:
        _execute_sync(dsn, f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[str], Path]:
    """``isolated_config("SOPORTE_VIP_")``: work in an empty folder (no ``soporte.toml`` of the
    developer's) without the environment variables of that prefix; returns the folder, where a
    test may write its own ``soporte.toml``. For tests of settings sources."""

    def isolate(prefix: str) -> Path:
        for name in list(os.environ):
            if name.startswith(prefix):
                monkeypatch.delenv(name)
        monkeypatch.chdir(tmp_path)
        return tmp_path

    return isolate


def free_port() -> int:
    """A loopback TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
        # Like the escalation scheduler: tests that want the orphan sweep run it themselves.
        upload_sweep_interval_seconds=0,
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
        forget_cached_sql()  # also when a project switched the autouse fixture off
        return create_app(settings, plugins=extra, generate_schemas=True)

    return factory


def token_of(usuario: Usuario) -> str:
    """The raw API token :meth:`SoporteClient.usuario` issued for ``usuario``.

    The kit sets it as a plain attribute (tests read ``usuario.token``); it is no model field,
    so type checkers cannot know it: this reads it with a type, and without a ``type: ignore``.
    """
    token: str = vars(usuario)["token"]
    return token


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
            "Authorization": f"Bearer {token_of(usuario)}",
            "Content-Type": "application/json",
        }

    async def ws(self, path: str, usuario: Usuario | None = None, **params: Any) -> Any:
        """Open a WebSocket on ``path`` with ``?token=`` of ``usuario`` and extra parameters."""
        if usuario is not None:
            params["token"] = token_of(usuario)
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


class _TestServer(TestServer):
    """aiohttp's test server through the runner ``soporte run`` uses (problem+json for
    requests that cannot be parsed)."""

    async def _make_runner(self, **kwargs: Any) -> ProblemAppRunner:
        return ProblemAppRunner(self.app, **kwargs)


@contextlib.asynccontextmanager
async def _served(app: web.Application) -> AsyncIterator[SoporteClient]:
    """``app`` on a loopback test server with a client, its events captured; stopped after."""
    async with TestClient(_TestServer(app)) as client:
        soporte = SoporteClient(client, app)
        app[keys.EVENTS].subscribe(Listener(Event, soporte.events.append))
        yield soporte


@contextlib.asynccontextmanager
async def started_app(app: web.Application) -> AsyncIterator[SoporteClient]:
    """``async with started_app(make_app(...)) as soporte:`` — ``app`` started on a test server,
    its events captured and its database current inside the block; stopped after it.

    For a block inside a test, or a fixture of any scope (a module-scoped async fixture needs
    ``loop_scope="module"``): the database stays current in the tests that use the fixture.
    """
    async with _served(app) as soporte:
        with activate(app[keys.DB].ctx):
            yield soporte


def _current_for_the_test(ctx: TortoiseContext) -> None:
    """Make ``ctx`` the current ORM context of the calling test from here on.

    ``core.db.activate`` restores the previous context when its block ends, but a test calls
    ``await start_app()`` and goes on using the app after it returns, and the fixture's teardown
    runs in another context, where that restore is refused. pytest-asyncio runs each test in a
    copy of the context that is dropped after the test, so the context is entered and never
    exited: nothing outlives the test.
    """
    ctx.__enter__()


@pytest.fixture
async def soporte(
    request: pytest.FixtureRequest, make_app: Callable[..., web.Application]
) -> AsyncIterator[SoporteClient]:
    """A started app (plugins from the ``plugins`` marker) with its database current."""
    marker = request.node.get_closest_marker("plugins")
    async with started_app(make_app(plugins=list(marker.args) if marker else None)) as captured:
        yield captured


@pytest.fixture
async def start_app(
    make_app: Callable[..., web.Application],
) -> AsyncIterator[Callable[..., Awaitable[SoporteClient]]]:
    """``await start_app(plugins=None, extra=(), **settings)``: one more started app, as the
    ``soporte`` fixture's, with its database current in the calling test from then on (the
    last one started wins); every app it started is stopped after the test."""
    async with contextlib.AsyncExitStack() as running:

        async def start(
            plugins: Sequence[str] | None = None, extra: Sequence[Any] = (), **settings: Any
        ) -> SoporteClient:
            app = make_app(plugins=plugins, extra=extra, **settings)
            started = await running.enter_async_context(_served(app))
            _current_for_the_test(app[keys.DB].ctx)
            return started

        yield start


# --- a real SMTP server for tests ------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    """One message the :class:`SmtpSink` accepted: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    #: The login of the SMTP session (``None``: no AUTH).
    login: str | None = None
    #: Whether the session was encrypted (STARTTLS or implicit TLS).
    tls: bool = False


def self_signed_certificate(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` (an IP address or a name), with its key:
    ``(cert.pem, key.pem)`` in ``folder``. The certificate is its own CA: trust it with
    ``cafile=`` in ``SOPORTE_SMTP_URL``."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free loopback port that keeps what it receives.

    ::

        with SmtpSink() as sink:
            app = make_app(smtp_url=sink.url)
            ...
            [mail] = await sink.wait_for(1)
            assert mail.message["Subject"] == "Hola"

    ``tls``: ``None`` (plain), ``"starttls"`` (offered, and required before AUTH and mail) or
    ``"implicit"`` (smtps); both need ``cert=(cert_file, key_file)`` — see
    :func:`self_signed_certificate`. ``login=(user, password)``: AUTH is required and only
    these credentials pass. ``delay``: seconds each DATA waits before it is answered (a slow
    server, so that a test can act mid-delivery). :meth:`reply_next` makes the next DATA
    commands fail with chosen replies (``"451 4.3.0 luego"``, ``"550 5.1.1 no existe"``).
    The server runs in a thread of its own, so synchronous code (a CLI runner) can use it too.
    """

    def __init__(
        self,
        *,
        tls: str | None = None,
        cert: tuple[Path, Path] | None = None,
        login: tuple[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        if tls not in (None, "starttls", "implicit"):
            raise ValueError(f"tls must be None, 'starttls' or 'implicit', not {tls!r}")
        if tls is not None and cert is None:
            raise ValueError("a TLS sink needs cert=(cert_file, key_file)")
        self.tls, self.cert, self.credentials, self.delay = tls, cert, login, delay
        self.host = "127.0.0.1"
        self.port = 0
        self.received: list[ReceivedMail] = []
        self._replies: list[str] = []
        self._lock = threading.Condition()
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._controller: Any = None

    @property
    def url(self) -> str:
        """The ``SOPORTE_SMTP_URL`` of this sink (with the login, ``starttls=required`` or
        ``smtps://``; for TLS, ``cafile=`` the sink's certificate)."""
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        auth = f"{self.credentials[0]}:{self.credentials[1]}@" if self.credentials else ""
        params = []
        if self.tls == "starttls":
            params.append("starttls=required")
        elif self.tls is None:
            params.append("starttls=off")
        if self.cert is not None and self.tls is not None:
            params.append(f"cafile={self.cert[0]}")
        return f"{scheme}://{auth}{self.host}:{self.port}" + ("?" + "&".join(params))

    def reply_next(self, *replies: str) -> None:
        """Answer the next DATA commands with these SMTP replies, in order, instead of 250."""
        with self._lock:
            self._replies.extend(replies)

    def start(self) -> SmtpSink:
        """Start listening (on a free port); returns the sink."""
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                if sink.delay:
                    await asyncio.sleep(sink.delay)  # a slow server, by design
                return sink._arrived(server, session, envelope)

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> Any:
            login = data.login.decode() if isinstance(data.login, bytes) else data.login
            password = data.password.decode() if isinstance(data.password, bytes) else data.password
            ok = self.credentials is not None and (login, password) == self.credentials
            return AuthResult(success=ok, handled=False, auth_data=login if ok else None)

        options: dict[str, Any] = {}
        context = None
        if self.cert is not None and self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.cert[0]), str(self.cert[1]))
        if self.tls == "starttls":
            options.update(tls_context=context, require_starttls=True)
        if self.credentials is not None:
            options.update(
                authenticator=authenticate,
                auth_required=True,
                auth_require_tls=self.tls is not None,
            )
        self.port = free_port()
        self._controller = Controller(
            Handler(),
            hostname=self.host,
            port=self.port,
            ssl_context=context if self.tls == "implicit" else None,
            server_hostname="sink.test",
            **options,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop the server (mails already received stay in :attr:`received`)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _arrived(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep one message (or answer with a reply queued by :meth:`reply_next`)."""
        with self._lock:
            if self._replies:
                return self._replies.pop(0)
            # As a mail client reads it: CRLF line ends become Python's "\n".
            raw = envelope.original_content.replace(b"\r\n", b"\n")
            message = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            login = session.auth_data if isinstance(session.auth_data, str) else None
            self.received.append(
                ReceivedMail(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    message=message,
                    login=login,
                    tls=server.transport.get_extra_info("ssl_object") is not None,
                )
            )
            count = len(self.received)
            self._lock.notify_all()
            for n, loop, future in self._waiters:
                if n <= count:
                    loop.call_soon_threadsafe(_resolve, future)
        return "250 2.0.0 OK"

    async def wait_for(self, n: int, espera: float = 10.0) -> list[ReceivedMail]:
        """Wait until at least ``n`` messages arrived (in all, within ``espera`` seconds);
        returns them all. An :class:`AssertionError` says how many came otherwise."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (n, loop, future)
        with self._lock:
            if len(self.received) >= n:
                return list(self.received)
            self._waiters.append(entry)
        try:
            await asyncio.wait_for(future, espera)
        except TimeoutError:
            raise AssertionError(
                f"{len(self.received)} mails arrived in {espera} s, expected {n}"
            ) from None
        finally:
            with self._lock:
                self._waiters.remove(entry)
        return list(self.received)

    def wait_for_sync(self, n: int, espera: float = 10.0) -> list[ReceivedMail]:
        """:meth:`wait_for` for synchronous code (a CLI runner's test)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.received) >= n, espera):
                raise AssertionError(
                    f"{len(self.received)} mails arrived in {espera} s, expected {n}"
                )
            return list(self.received)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A started plain :class:`SmtpSink`; pass ``smtp_url=smtp_sink.url`` to ``make_app``."""
    with SmtpSink() as sink:
        yield sink
