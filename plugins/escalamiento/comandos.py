"""``soporte escalar``: the escalation pass from the command line (cron, or a worker process)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import click

from core import keys
from core.cli import Env, pass_env
from core.plugins import PluginError

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from plugins.escalamiento.politicas import Registro

T = TypeVar("T")


async def _y_cerrar(trabajo: Awaitable[T], registro: Registro) -> T:
    """Run ``trabajo``, then let the notifiers finish (queued webhook deliveries) before exit."""
    from plugins.escalamiento import service

    try:
        return await trabajo
    finally:
        await service.cerrar_notificadores(registro)


@click.command("escalar")
@click.option("--once", is_flag=True, help="Run one pass, print what it escalated, and exit.")
@pass_env
def escalar(env: Env, once: bool) -> None:
    """Escalate overdue tickets: one pass (--once), or every SOPORTE_ESCALAMIENTO_INTERVAL s.

    Safe beside running servers: each level of each ticket is applied exactly once, whoever
    gets there first.
    """
    from core.app import create_app
    from plugins.escalamiento import service
    from plugins.escalamiento.plugin import ajustes
    from plugins.escalamiento.politicas import REGISTRO

    # The app is built (not served) so that other plugins' listeners hear ticket_escalado.
    try:
        app = create_app(env.settings, host=env.host, plugin_settings=env.plugin_settings)
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc
    bus, registro = app[keys.EVENTS], app[REGISTRO]
    if not once:
        intervalo = ajustes(app).interval
        if intervalo <= 0:
            raise click.ClickException(
                "SOPORTE_ESCALAMIENTO_INTERVAL is 0 (scheduler off): use --once or set it"
            )
        click.echo(f"escalando cada {intervalo:g} s (Ctrl-C para parar)")
        env.run_with_db(lambda: _y_cerrar(service.bucle(bus, registro, intervalo), registro))
        return
    hechos = env.run_with_db(lambda: _y_cerrar(service.escalar(bus, registro), registro))
    for e in hechos:
        regla = f"regla {e.regla_id}, {e.politica}"
        click.echo(f"{e.numero} → nivel {e.nivel} ({regla}, alerta {e.alerta_nivel})")
    click.echo(f"{len(hechos)} escalamiento(s)")
