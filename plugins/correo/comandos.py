"""``soporte correo …``: the inbound mail commands.

``soporte correo smtpd [--listen host:port]`` runs the SMTP receiver on its own — the app with
its background work (the receiver, the processing sweep, the outbox that sends the
acknowledgements) but no HTTP server — until SIGINT/SIGTERM. For a receiver process beside the
web servers, e.g. on the machine the MTA forwards to.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import click

from core.cli import Env, pass_env
from core.plugins import PluginError

if TYPE_CHECKING:
    from aiohttp import web


@click.group("correo")
def grupo() -> None:
    """Inbound mail: the SMTP receiver (``SOPORTE_CORREO_*``)."""


def _app_con(env: Env, listen: str | None) -> web.Application:
    """The app of the command, with ``smtp_listen`` replaced by ``listen`` when given."""
    from core.app import create_app
    from core.plugin_settings import build_plugin_settings

    settings, plugin_settings = env.settings, env.plugin_settings
    if listen is not None:
        propios = dict(settings.plugin_settings)
        propios["correo"] = {**propios.get("correo", {}), "smtp_listen": listen}
        settings = settings.model_copy(update={"plugin_settings": propios})
        plugin_settings = build_plugin_settings(env.host.settings_classes(), settings)
    return create_app(settings, host=env.host, plugin_settings=plugin_settings)


@grupo.command("smtpd")
@click.option(
    "--listen",
    default=None,
    metavar="HOST:PORT",
    help="Where to listen (default: SOPORTE_CORREO_SMTP_LISTEN).",
)
@pass_env
def smtpd(env: Env, listen: str | None) -> None:
    """Receive mail over SMTP (and process it) until Ctrl-C, without the HTTP server."""
    from aiohttp import web
    from aiohttp.web_runner import GracefulExit

    from plugins.correo.smtpd import parse_listen, receptor_de

    try:
        app = _app_con(env, listen)
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc
    from plugins.correo.plugin import ajustes

    configurado = ajustes(app).smtp_listen
    if not configurado:
        raise click.ClickException(
            "SOPORTE_CORREO_SMTP_LISTEN is empty: set it or pass --listen host:port"
        )
    try:
        parse_listen(configurado)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc

    async def servir() -> None:
        # The app's start-up and clean-up without a site: its background contexts (the
        # receiver among them) run until a signal raises GracefulExit.
        runner = web.AppRunner(app, handle_signals=True)
        await runner.setup()
        try:
            recibiendo = receptor_de(app)
            if recibiendo is not None:
                click.echo(
                    f"recibiendo correo por SMTP en {recibiendo.host}:{recibiendo.puerto} "
                    "(Ctrl-C para parar)"
                )
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    with contextlib.suppress(GracefulExit, KeyboardInterrupt):
        try:
            asyncio.run(servir())
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {configurado}: {exc}") from exc
