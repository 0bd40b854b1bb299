"""The scheduler lives and dies with the app; ``soporte escalar --once`` from the command line."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click
import pytest
from click.testing import CliRunner

from core import keys
from core.cli import Env
from core.db import open_context, tortoise_config
from core.events import EventBus
from core.settings import Settings
from plugins.escalamiento import plugin, service
from plugins.escalamiento.plugin import NOMBRE_TAREA
from plugins.escalamiento.politicas import REGISTRO, Registro
from plugins.tickets.models import Categoria, Ticket
from tests.plugins.escalamiento.ayudas import Kit

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

pytestmark = pytest.mark.plugins("tickets", "escalamiento")


def _tareas() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == NOMBRE_TAREA and not t.done()]


async def test_el_programador_escala_solo_y_para_con_la_app(
    arrancar: Callable[..., Awaitable[Kit]],
) -> None:
    kit = await arrancar(plugin_settings={"escalamiento": {"interval": 0.05}})
    assert len(_tareas()) == 1
    await kit.regla(niveles_escalamiento=2, tiempo_respuesta_maximo=1)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=5))
    for _ in range(100):
        if await kit.nivel(ticket) == 2:
            break
        await asyncio.sleep(0.01)
    assert await kit.nivel(ticket) == 2
    assert [e.nivel for e in kit.eventos("ticket_escalado")] == [1, 2]
    await kit.soporte.client.close()
    assert _tareas() == []


async def test_con_intervalo_cero_no_hay_programador(kit: Kit) -> None:
    # The test settings pass the plugin setting interval=0.
    assert plugin.ajustes(kit.soporte.app).interval == 0
    assert _tareas() == []
    assert plugin.register_background(kit.soporte.app) == []


async def test_una_pasada_fallida_no_para_el_bucle(
    kit: Kit, caplog: pytest.LogCaptureFixture
) -> None:
    await kit.regla(niveles_escalamiento=1)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=3))
    real = kit.soporte.app[REGISTRO]

    class Estropeado(dict[str, Any]):
        """Politicas that fail the first time they are read (e.g. a database hiccup)."""

        fallos = 0

        def get(self, *args: Any) -> Any:
            if Estropeado.fallos == 0:
                Estropeado.fallos += 1
                raise ConnectionError("base de datos no disponible")
            return super().get(*args)

    registro = Registro(Estropeado(real.politicas), real.notificadores)
    parar = asyncio.Event()
    with caplog.at_level(logging.ERROR, logger="soporte.escalamiento"):
        tarea = asyncio.create_task(
            service.bucle(kit.soporte.app[keys.EVENTS], registro, 0.01, parar)
        )
        for _ in range(100):
            if await kit.nivel(ticket) == 1:
                break
            await asyncio.sleep(0.01)
        parar.set()
        await asyncio.wait_for(tarea, 1)
    assert await kit.nivel(ticket) == 1
    assert "escalation pass failed" in caplog.text


def test_soporte_escalar_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite://{tmp_path}/cli.db"
    for nombre, valor in {
        "SOPORTE_DATABASE_URL": url,
        "SOPORTE_PLUGINS": "tickets,escalamiento",
        "SOPORTE_SECRET_KEY": "clave",
        "SOPORTE_MEDIA_DIR": str(tmp_path / "media"),
    }.items():
        monkeypatch.setenv(nombre, valor)
    env = Env()
    assert isinstance(env.settings, Settings)

    async def preparar() -> None:
        ctx = await open_context(tortoise_config(url, env.host.models()), generate_schemas=True)
        try:
            from core.auth.service import crear_usuario

            cliente = await crear_usuario("ana", "clave-larga", nombre="Ana", email="a@x.test")
            from plugins.tickets.service import crear_ticket

            ticket = await crear_ticket(
                EventBus(), cliente, asunto="Sin acceso", descripcion="d", categoria=Categoria.PAGOS
            )
            await Ticket.filter(id=ticket.id).update(
                esperando_desde=ticket.esperando_desde - timedelta(hours=5)
            )
            await service.crear_regla(
                {
                    "tiempo_respuesta_maximo": 2,
                    "prioridades_escalamiento": ["MEDIA"],
                    "niveles_escalamiento": 3,
                    "notificaciones_automaticas": False,
                }
            )
        finally:
            await ctx.close_connections()

    asyncio.run(preparar())
    grupo = click.Group()
    plugin.register_commands(grupo)
    runner = CliRunner()
    resultado = runner.invoke(grupo, ["escalar", "--once"], obj=env)
    assert resultado.exit_code == 0, resultado.output
    assert resultado.output.splitlines() == [
        "TK-000001 → nivel 1 (regla 1, tiempo_respuesta, alerta advertencia)",
        "TK-000001 → nivel 2 (regla 1, tiempo_respuesta, alerta advertencia)",
        "2 escalamiento(s)",
    ]
    # Once more: nothing left.
    resultado = runner.invoke(grupo, ["escalar", "--once"], obj=Env())
    assert resultado.output.strip() == "0 escalamiento(s)"
    # Without --once and with the scheduler switched off, it says why and fails.
    monkeypatch.setenv("SOPORTE_ESCALAMIENTO_INTERVAL", "0")
    resultado = runner.invoke(grupo, ["escalar"], obj=Env())
    assert resultado.exit_code != 0 and "--once" in resultado.output
