"""The ``soporte`` command: run, migrate, createuser, demo, plugins, config, mail test — plus
plugins' commands.

Every command exits non-zero with a one-line reason when it cannot do its job. What the
commands say is in the environment's language (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
``LANG``, as gettext reads them: :func:`core.i18n.environment_locale`), Spanish by default; what
they do — the server, the data they write — does not depend on it.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError
from tortoise.exceptions import DBConnectionError, OperationalError

from core import __version__
from core.api.errors import Problem
from core.auth.models import Rol
from core.auth.service import MIN_PASSWORD
from core.db import make_migrations, migrate, open_context, tortoise_config
from core.i18n import DEFAULT_LOCALE, environment_locale, use_locale
from core.i18n import gettext as _
from core.logs import configure_logging
from core.plugin_contract import PluginError
from core.plugin_settings import PluginSettings, build_plugin_settings, display_value
from core.plugins import PluginHost, discover_installed
from core.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.auth.models import Usuario
    from core.sessions import RedisSessionNotifier

#: The demo accounts ``soporte demo`` creates: username → (password, role, display name).
DEMO_USERS: dict[str, tuple[str, Rol, str]] = {
    "cliente": ("cliente123", Rol.CLIENTE, "Lucía Fernández"),
    "cliente2": ("cliente123", Rol.CLIENTE, "Martín Gómez"),
    "agente": ("agente123", Rol.AGENTE, "Carla Ruiz (Soporte)"),
    "admin": ("admin123", Rol.ADMIN, "Diego Morales (Admin)"),
}


def _bad_setting(loc: tuple[int | str, ...]) -> str:
    """How an invalid core setting is named: by the variable or the key actually used (an old
    name is reported as itself, not as the new one), else by its ``SOPORTE_*`` variable."""
    field = str(loc[0]) if loc else ""
    source = Settings.read_from(field)
    if source.startswith("env "):
        return source.removeprefix("env ")
    if source != "default":
        return f"{'.'.join(str(p) for p in loc)} ({source})"
    return f"SOPORTE_{field.upper()}"


class Env:
    """What every command needs: the settings, the plugin host and the plugins' settings
    (built lazily; building the host validates the plugins' settings too)."""

    def __init__(self, settings: Settings | None = None) -> None:
        # Settings given in code (embedding, tests); by default read when first needed.
        self._settings: Settings | None = settings
        self._host: PluginHost | None = None
        self._plugin_settings: PluginSettings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = Settings()
            except ValidationError as exc:
                first = exc.errors()[0]
                raise click.ClickException(
                    _("ajuste inválido {ajuste}: {error}").format(
                        ajuste=_bad_setting(first["loc"]), error=first["msg"]
                    )
                ) from exc
        return self._settings

    @property
    def host(self) -> PluginHost:
        if self._host is None:
            try:
                self._host = PluginHost.from_settings(self.settings)
            except PluginError as exc:
                raise click.ClickException(str(exc)) from exc
            # Checked with the host, so that a bad plugin setting stops every command in one
            # line, as a bad core setting does.
            _ = self.plugin_settings
        return self._host

    @property
    def plugin_settings(self) -> PluginSettings:
        """The enabled plugins' own settings (pass them to ``create_app``: built once)."""
        if self._host is None:
            _ = self.host  # builds the host, which builds (and checks) the plugins' settings
        if self._plugin_settings is None:
            host = self.host
            try:
                self._plugin_settings = build_plugin_settings(
                    host.settings_classes(), self.settings
                )
            except PluginError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._plugin_settings

    def db_config(self) -> dict[str, Any]:
        return tortoise_config(self.settings.database_url, self.host.models())

    def run_with_db(self, work: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``work`` with the database open (and closed afterwards)."""

        async def main() -> Any:
            ctx = await open_context(self.db_config())
            try:
                return await work()
            finally:
                await ctx.close_connections()

        try:
            return asyncio.run(main())
        except Problem as exc:
            # A problem's messages are message ids, translated where they are shown.
            detail = "; ".join(
                f"{k}: {' '.join(_(m) for m in v)}" for k, v in exc.errors.items()
            ) or _(exc.detail)
            raise click.ClickException(detail) from exc
        except (OSError, ConnectionError, DBConnectionError) as exc:
            raise click.ClickException(_unavailable(exc)) from exc
        except OperationalError as exc:
            # Typically a database that was never migrated: say so in one line, no traceback.
            raise click.ClickException(
                _("error de la base de datos: {error} (¿se ejecutó `soporte migrate`?)").format(
                    error=exc
                )
            ) from exc


def _unavailable(exc: Exception) -> str:
    """The one line of a database that does not answer."""
    return _("base de datos no disponible: {error}").format(error=exc)


pass_env = click.make_pass_decorator(Env, ensure=True)


@click.group()
@click.version_option(__version__, prog_name="soporte")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """soporte — a plugin-based helpdesk server."""
    # The command speaks the environment's language until it ends (then the previous one is
    # back: CliRunner runs many commands in one process).
    ctx.with_resource(use_locale(environment_locale()))
    ctx.ensure_object(Env)
    configure_logging(ctx.obj.settings.log_level)


@cli.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the port (more than one needs PostgreSQL, Redis and gunicorn).",
)
@pass_env
def run(env: Env, host: str, port: int, workers: int) -> None:
    """Serve the API (and pages) over HTTP and WebSocket."""
    from core.app import create_app
    from core.server import run_app, when_quiet

    try:
        # Built here even with several workers: a plugin or setting error stops start-up in
        # one line instead of failing in every worker.
        app = create_app(env.settings, host=env.host, plugin_settings=env.plugin_settings)
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc
    if workers > 1:
        _serve_workers(env.settings, host, port, workers)
        return
    lines = [*_addresses(env.settings, host, port), *_demo_login_lines(env)]

    async def announce(_site: str) -> None:
        await when_quiet(quiet=1.0, limit=15.0)
        click.echo("\n".join(lines))

    try:
        # The server's own work (background jobs, anything outside a request) in the default
        # language, whatever the shell's: only what this command prints follows it.
        with use_locale(DEFAULT_LOCALE):
            run_app(
                app,
                host=host,
                port=port,
                access_log=None,
                keepalive_timeout=75.0,
                print=click.echo,
                announce=announce,
            )
    except OSError as exc:  # the port is taken, or the address is not ours
        raise click.ClickException(
            _("no se puede servir en {host}:{port}: {error}").format(
                host=host, port=port, error=exc
            )
        ) from exc
    except (DBConnectionError, OperationalError) as exc:
        raise click.ClickException(_unavailable(exc)) from exc


def _addresses(settings: Settings, host: str, port: int) -> list[str]:
    """Where a person goes once the server is up: the portal, the console, the API docs."""
    if settings.public_url:
        base = settings.public_url
    else:
        shown = "localhost" if host in ("0.0.0.0", "::", "") else host
        base = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"
    return [
        _("soporte sirve en {base}/ (Ctrl+C para terminar)").format(base=base),
        _("  Portal de clientes:       {base}/").format(base=base),
        _("  Consola de agentes:       {base}/agente/").format(base=base),
        _("  Documentación de la API:  {base}/api/docs/").format(base=base),
    ]


def _demo_login_lines(env: Env) -> list[str]:
    """The demo accounts' logins, when ``soporte demo`` made them and they still work (an
    account whose password was changed is not shown); nothing on a database without them."""
    from core.auth.models import Usuario
    from core.auth.passwords import verify_password

    async def working() -> list[str]:
        found = {
            u.username: u
            for u in await Usuario.filter(username__in=list(DEMO_USERS), activo=True)
            if u.email == _demo_email(u.username)
        }
        return [
            name
            for name, (password, _, _) in DEMO_USERS.items()
            if name in found and verify_password(found[name].password_hash, password)
        ]

    try:
        names = env.run_with_db(working)
    except click.ClickException:  # never migrated: the server says so on its own
        return []
    return [_("Accesos de prueba:"), *_login_lines(names)] if names else []


def _demo_email(username: str) -> str:
    return f"{username}@demo.soporte.test"


def _login_lines(names: list[str]) -> list[str]:
    """One line per demo account: role, username, password, display name."""
    return [
        _("  {rol:<8} usuario: {usuario:<9} contraseña: {clave}   ({nombre})").format(
            rol=DEMO_USERS[n][1].value, usuario=n, clave=DEMO_USERS[n][0], nombre=DEMO_USERS[n][2]
        )
        for n in names
    ]


def _serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve with ``workers`` processes under gunicorn (``aiohttp.GunicornWebWorker``).

    gunicorn's master binds the port, forks the workers and replaces any that dies; each
    worker builds its own application (database pool, channel layer, escalation scheduler)
    after the fork. Whatever must hold across processes is held by the database and Redis, so
    both are required. No access log (it halves the throughput; use the proxy's).
    """
    if settings.database_url.startswith("sqlite"):
        raise click.ClickException(
            _(
                "--workers > 1 necesita un servidor de base de datos que compartan varios "
                "procesos (SOPORTE_DATABASE_URL=postgres://…); SQLite sirve a un proceso"
            )
        )
    if not settings.redis_url:
        raise click.ClickException(
            _(
                "--workers > 1 necesita SOPORTE_REDIS_URL: sin él, un mensaje del chat solo "
                "llega a los sockets del proceso que lo guardó"
            )
        )
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError as exc:
        raise click.ClickException(
            _("--workers > 1 necesita gunicorn: pip install 'soporte[workers]'")
        ) from exc
    # Every worker signs download links with the same key (a generated one would differ).
    settings = settings.model_copy(update={"secret_key": settings.resolved_secret_key()})
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    class Servidor(BaseApplication):
        def load_config(self) -> None:
            for key, value in {
                "bind": [bind],
                "workers": workers,
                "worker_class": "aiohttp.GunicornWebWorker",
                "accesslog": None,
                "errorlog": "-",
                "loglevel": settings.log_level.lower(),
                # As web.run_app: idle keep-alive connections stay 75 s (a proxy reuses them).
                "keepalive": 75,
                "graceful_timeout": 30,
                "proc_name": "soporte",
            }.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:  # gunicorn ≥ 25.1
                # One fixed path per user: two masters on one machine would fight over it.
                self.cfg.set("control_socket_disable", True)

        # aiohttp's GunicornWebWorker takes an app factory, not the WSGI/ASGI callable that
        # types-gunicorn declares for every worker class.
        def load(self) -> Callable[[], Awaitable[Any]]:  # type: ignore[override]  # aiohttp worker
            # As the worker's own runner: handlers get 95 % of gunicorn's graceful timeout.
            shutdown_timeout = float(self.cfg.graceful_timeout) * 0.95

            async def app_factory() -> Any:
                from core.app import create_app
                from core.server import ProblemAppRunner

                # A runner rather than the app: the worker then serves through ours (problem+json
                # for unparsable requests), with the settings it would give its own.
                return ProblemAppRunner(
                    create_app(settings),
                    keepalive_timeout=75,
                    access_log=None,
                    shutdown_timeout=shutdown_timeout,
                )

            return app_factory

    click.echo(_("soporte: {n} procesos en http://{bind} (gunicorn)").format(n=workers, bind=bind))
    with use_locale(DEFAULT_LOCALE):  # the workers' own work, as ``run``'s server
        Servidor().run()


@cli.command("migrate")
@pass_env
def migrate_cmd(env: Env) -> None:
    """Apply pending database migrations of the core and every enabled plugin."""
    config = env.db_config()
    try:
        asyncio.run(migrate(config, progress=click.echo))
    except Exception as exc:
        raise click.ClickException(_("la migración falló: {error}").format(error=exc)) from exc
    click.echo(_("base de datos al día ({apps})").format(apps=", ".join(config["apps"])))


@cli.command("makemigrations")
@click.option("--name", default=None, help="Name suffix of the new migration files.")
@pass_env
def makemigrations_cmd(env: Env, name: str | None) -> None:
    """(Developers) write migration files for model changes, for every app at once."""
    written = asyncio.run(make_migrations(env.db_config(), name))
    for path in written:
        click.echo(_("creada {ruta}").format(ruta=path))
    if not written:
        click.echo(_("sin cambios"))


@cli.command()
@click.option("--username", required=True)
@click.option(
    "--password",
    default=None,
    help="The password. Omitted, it is asked for, hidden and twice (never in the shell history).",
)
@click.option(
    "--rol", type=click.Choice([r.value for r in Rol]), default=Rol.CLIENTE.value, show_default=True
)
@click.option("--nombre", default="")
@click.option("--email", default="")
@pass_env
def createuser(
    env: Env, username: str, password: str | None, rol: str, nombre: str, email: str
) -> None:
    """Create a user with a role (the password is prompted for when not given)."""
    from core.auth.service import crear_usuario

    if password is None:
        password = _read_password(from_stdin=False)

    # The sign-up rules apply (password policy, names); a refusal is one line naming the field.
    minimum = env.settings.password_min_length
    usuario = env.run_with_db(
        lambda: crear_usuario(
            username, password, Rol(rol), nombre=nombre, email=email, password_min_length=minimum
        )
    )
    click.echo(
        _("usuario creado: {usuario} ({rol}, id {id})").format(
            usuario=usuario.username, rol=usuario.rol, id=usuario.id
        )
    )


def _session_notifier(settings: Settings) -> RedisSessionNotifier | None:
    """With ``SOPORTE_REDIS_URL``, what tells the running servers to close sockets at once;
    without it they find out by their periodic check (``session_check_seconds``)."""
    if not settings.redis_url:
        return None
    from core.sessions import RedisSessionNotifier

    return RedisSessionNotifier(settings.redis_url, settings.redis_prefix)


def _report_sessions(env: Env, notifier: RedisSessionNotifier | None) -> None:
    """Say how the running servers learn of the change."""
    if notifier is not None and notifier.delivered:
        click.echo(_("sesiones abiertas cerradas en todos los servidores (Redis)"))
    else:
        seconds = f"{env.settings.session_check_seconds:g}"
        click.echo(
            _("los servidores cerrarán las sesiones abiertas en {n} s como máximo").format(
                n=seconds
            )
        )


async def _user_named(username: str) -> Usuario:
    """The user called ``username``, or a one-line error."""
    from core.auth.models import Usuario

    usuario = await Usuario.get_or_none(username=username)
    if usuario is None:
        raise click.ClickException(_("no existe el usuario {usuario!r}").format(usuario=username))
    return usuario


def _read_password(from_stdin: bool) -> str:
    """The new password: one line of stdin, or a hidden prompt asked twice."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            _("Nueva contraseña"),
            hide_input=True,
            confirmation_prompt=_("Repita la contraseña"),
        )
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(
            _("la contraseña necesita al menos {n} caracteres").format(n=MIN_PASSWORD)
        )
    return password


@cli.command()
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of a prompt.",
)
@pass_env
def changepassword(env: Env, username: str, password_stdin: bool) -> None:
    """Set a user's password; every token of theirs is revoked and their sockets closed."""
    from core.auth.service import cambiar_password

    password = _read_password(password_stdin)
    notifier = _session_notifier(env.settings)

    async def work() -> None:
        await cambiar_password(
            await _user_named(username),
            password,
            notifier,
            min_length=env.settings.password_min_length,
        )

    env.run_with_db(work)
    click.echo(_("contraseña cambiada: {usuario}").format(usuario=username))
    _report_sessions(env, notifier)


@cli.command()
@click.argument("username")
@pass_env
def deactivate(env: Env, username: str) -> None:
    """Deactivate a user: no login, every token revoked, their sockets closed."""
    from core.auth.service import desactivar_usuario

    notifier = _session_notifier(env.settings)

    async def work() -> None:
        await desactivar_usuario(await _user_named(username), notifier)

    env.run_with_db(work)
    click.echo(_("usuario desactivado: {usuario}").format(usuario=username))
    _report_sessions(env, notifier)


@cli.command()
@click.argument("username")
@pass_env
def activate(env: Env, username: str) -> None:
    """Reactivate a user: they may log in again."""
    from core.auth.service import activar_usuario

    notifier = _session_notifier(env.settings)

    async def work() -> None:
        await activar_usuario(await _user_named(username), notifier)

    env.run_with_db(work)
    click.echo(_("usuario activado: {usuario}").format(usuario=username))


@cli.command("derived-key")
@click.argument("purpose")
@pass_env
def derived_key_cmd(env: Env, purpose: str) -> None:
    """Print the key derived from the secret key for PURPOSE (e.g. ``webhooks``), to give a
    webhook receiver the key that signs it when no webhook secret of its own is set."""
    from core.keyring import Keyring

    try:
        click.echo(Keyring.from_settings(env.settings).key(purpose))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.group()
def mail() -> None:
    """Mail: check the configured transport (``SOPORTE_SMTP_URL``)."""


@mail.command("test")
@click.argument("address")
@pass_env
def mail_test(env: Env, address: str) -> None:
    """Send one mail to ADDRESS now, through the configured transport (not the outbox);
    exit non-zero with the server's error if it fails. Without ``SOPORTE_SMTP_URL`` the mail
    is written to the log."""
    from core.mail import DeliveryError, Mail, domain_of, new_message_id, open_sender

    settings = env.settings
    mail = Mail(
        to=(address,),
        subject=_("Prueba de correo de soporte"),
        text=_("Este es un correo de prueba enviado con `soporte mail test`.") + "\n",
        message_id=new_message_id(domain_of(settings.mail_from)),
        headers={"Auto-Submitted": "auto-generated"},
    )

    async def send() -> str:
        async with open_sender(settings) as sender:
            await sender.send(mail)
            return sender.kind

    try:
        mail.check()
        kind = asyncio.run(send())
    except (DeliveryError, ValueError) as exc:
        raise click.ClickException(_("correo no enviado: {error}").format(error=exc)) from exc
    if kind == "log":
        click.echo(
            _(
                "SOPORTE_SMTP_URL no está definido: el correo a {direccion} se escribió en el log"
            ).format(direccion=address)
        )
    else:
        click.echo(_("enviado a {direccion} ({id})").format(direccion=address, id=mail.message_id))


async def ensure_demo_users() -> dict[str, Usuario]:
    """Create the demo accounts if they are missing (idempotent)."""
    from core.auth.models import Usuario
    from core.auth.service import crear_usuario

    usuarios: dict[str, Usuario] = {}
    for username, (password, rol, nombre) in DEMO_USERS.items():
        found = await Usuario.get_or_none(username=username)
        usuarios[username] = found or await crear_usuario(
            username, password, rol, nombre=nombre, email=_demo_email(username)
        )
    return usuarios


@cli.command()
@click.option(
    "--tickets",
    type=click.IntRange(0, 50_000_000),
    default=0,
    show_default=True,
    help="Also generate N synthetic tickets (and replies, ratings, cases, FAQs…) in bulk, "
    "for benchmarks. Refused if the database already holds synthetic data.",
)
@click.option(
    "--usuarios",
    type=click.IntRange(2, 10_000_000),
    default=None,
    help="Synthetic people to spread them over (1 in 100 an agent). Default: tickets / 20.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generator.")
@pass_env
def demo(env: Env, tickets: int, usuarios: int | None, seed: int) -> None:
    """Load realistic demo data through every enabled plugin (safe to run twice).

    With --tickets N, then generate N synthetic tickets across users, states, categories and
    two years of dates, with the data of every other plugin, through the
    generate_synthetic_data hook (a million tickets take a couple of minutes on SQLite).
    """
    import random
    import time

    from core.synthetic import AlreadyGenerated, Report, ensure_fresh, generate

    report: Report | None = None

    async def load() -> None:
        nonlocal report
        try:
            if tickets:
                await ensure_fresh()  # refuse before writing anything
            demo_users = await ensure_demo_users()
            await env.host.load_demo_data(demo_users)
            if tickets:
                n_usuarios = usuarios or max(10, tickets // 20)
                report = await generate(
                    env.host, tickets, n_usuarios, random.Random(seed), demo_users
                )
        except AlreadyGenerated as exc:
            raise click.ClickException(str(exc)) from exc

    start = time.perf_counter()
    env.run_with_db(load)
    if report is not None:
        for name, counts in report.counts.items():
            what = ", ".join(f"{n} {k}" for k, n in counts.items()) or _("nada")
            click.echo(f"{name}: {what} ({report.seconds.get(name, 0):.1f} s)")
        click.echo(
            _(
                "datos sintéticos generados en {s:.1f} s (ANALYZE {analyze:.1f} s); "
                "contraseña de los usuarios 'sint-*': sintetico123"
            ).format(s=time.perf_counter() - start, analyze=report.seconds.get("analyze", 0))
        )
    click.echo(_("datos de demostración cargados. Accesos de prueba:"))
    click.echo("\n".join(_login_lines(list(DEMO_USERS))))


@cli.command()
@pass_env
def plugins(env: Env) -> None:
    """List installed plugins, their versions, and which are enabled."""
    try:
        installed = discover_installed()
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc
    enabled = set(env.host.names)
    if not installed:
        click.echo("no plugins installed")
    for name, info in sorted(installed.items()):
        mark = "enabled " if name in enabled else "disabled"
        requires = f" requires {', '.join(info.requires)}" if info.requires else ""
        source = f" [{info.distribution}]" if info.distribution else ""
        click.echo(f"{mark} {name} {info.version}{source}{requires}")


@cli.command("config")
@pass_env
def config_cmd(env: Env) -> None:
    """Print every setting of the core and of the enabled plugins, with its source.

    Sources: default, env VAR, soporte.toml (the key or the plugin's table), code. Secrets and
    URLs' passwords are masked.
    """
    settings = env.settings
    plugin_settings = env.plugin_settings
    rows: list[tuple[str, str, str]] = [
        (field, display_value(field, getattr(settings, field)), settings.source_of(field))
        for field in type(settings).model_fields
        if field not in settings.code_only
    ]
    width = max(len(name) for name, _, _ in rows)
    click.echo("core:")
    for name, value, source in rows:
        click.echo(f"  {name:<{width}}  {value}  ({source})")
    for plugin in env.host.names:
        if plugin not in plugin_settings:
            continue
        click.echo(f"plugin {plugin}:")
        for owner, name, value, source in plugin_settings.describe():
            if owner == plugin:
                click.echo(f"  {name:<{width}}  {value}  ({source})")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: plugin commands are added before parsing."""
    env = Env()
    try:
        env.host.add_commands(cli)
    except click.ClickException as exc:
        # Still allow `--help` and `plugins`-free commands to explain the problem in one line.
        click.echo(f"Error: {exc.format_message()}", err=True)
        sys.exit(1)
    cli.main(args=argv, obj=env, prog_name="soporte")
