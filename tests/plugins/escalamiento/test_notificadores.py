"""Notification channels: the signed webhook (signature a receiver can check, retries with
back-off that never hold up the pass, clean-up at shutdown, ``soporte escalar``), and slow or
closing notifiers in general. Back-off waits are injected: no test sleeps through them."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import click
import pytest
from aiohttp import web
from click.testing import CliRunner

from core.cli import Env
from core.db import open_context, tortoise_config
from core.events import EventBus
from core.keyring import WEBHOOKS, derive_key
from core.plugins import PluginError
from plugins.escalamiento import plugin, service
from plugins.escalamiento.notificadores import (
    CABECERA_ENTREGA,
    CABECERA_FIRMA,
    CABECERA_TIMESTAMP,
    Notificacion,
    WebhookNotificador,
    firmar,
    verificar_firma,
)
from plugins.escalamiento.politicas import REGISTRO
from plugins.tickets.models import Categoria, Ticket
from tests.plugins.escalamiento.ayudas import Extra, Kit

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

pytestmark = pytest.mark.plugins("tickets", "escalamiento")

SECRETO = "secreto-del-receptor"
#: Without a webhook secret of its own the webhook signs with the key derived for webhooks from
#: the soporte_settings fixture's secret key (never with the secret key itself).
CLAVE_DE_PRUEBAS = derive_key("clave-secreta-de-pruebas", WEBHOOKS)


class Receptor:
    """A webhook receiver (an aiohttp test server) that checks each request's signature."""

    def __init__(self, secreto: str, respuestas: list[int] | None = None) -> None:
        self.secreto = secreto
        #: Status codes to answer, in order; 200 once they run out.
        self.respuestas = list(respuestas or [])
        #: (headers, raw body, signature valid?) of each request received.
        self.recibidas: list[tuple[dict[str, str], bytes, bool]] = []
        self.app = web.Application()
        self.app.router.add_post("/hooks/soporte", self.recibir)

    async def recibir(self, request: web.Request) -> web.Response:
        """Verify as a real receiver would: raw body, the two headers, the shared secret."""
        cuerpo = await request.read()
        valida = verificar_firma(
            self.secreto,
            request.headers.get(CABECERA_TIMESTAMP),
            cuerpo,
            request.headers.get(CABECERA_FIRMA),
        )
        self.recibidas.append((dict(request.headers), cuerpo, valida))
        status = self.respuestas.pop(0) if self.respuestas else 200
        return web.json_response({}, status=status)


class Espera:
    """An injected back-off: records each wait and holds it until the test opens the gate."""

    def __init__(self, abierta: bool = True) -> None:
        self.esperas: list[float] = []
        self.puerta = asyncio.Event()
        self.llamada = asyncio.Event()
        if abierta:
            self.puerta.set()

    async def dormir(self, segundos: float) -> None:
        """Record, then wait for the gate (no real sleep)."""
        self.esperas.append(segundos)
        self.llamada.set()
        await self.puerta.wait()


async def _con_webhook(
    arrancar: Callable[..., Awaitable[Kit]],
    aiohttp_server: Callable[..., Any],
    receptor: Receptor,
    **ajustes: Any,
) -> tuple[Kit, WebhookNotificador]:
    servidor = await aiohttp_server(receptor.app)
    url = str(servidor.make_url("/hooks/soporte"))
    kit = await arrancar(
        plugin_settings={"escalamiento": {"interval": 0, "webhook_url": url, **ajustes}}
    )
    webhook = kit.soporte.app[REGISTRO].notificadores["webhook"].notificador
    assert isinstance(webhook, WebhookNotificador)
    return kit, webhook


# --- the signature, as a receiver checks it ----------------------------------------------------


def test_firma_verificable_y_a_prueba_de_cambios() -> None:
    cuerpo = b'{"ticket_id": 7, "nivel": 1}'
    t = 1_700_000_000
    firma = firmar(SECRETO, t, cuerpo)
    assert firma.startswith("sha256=") and len(firma) == len("sha256=") + 64
    assert verificar_firma(SECRETO, str(t), cuerpo, firma, ahora=t + 10)
    # A changed body, timestamp or secret fails.
    assert not verificar_firma(SECRETO, str(t), b'{"ticket_id": 7, "nivel": 5}', firma, ahora=t)
    assert not verificar_firma(SECRETO, str(t + 1), cuerpo, firma, ahora=t)
    assert not verificar_firma("otro-secreto", str(t), cuerpo, firma, ahora=t)
    # Too old (a replay) or too far in the future: outside the tolerance (default 300 s).
    assert not verificar_firma(SECRETO, str(t), cuerpo, firma, ahora=t + 301)
    assert verificar_firma(SECRETO, str(t), cuerpo, firma, tolerancia=600, ahora=t + 301)
    assert not verificar_firma(SECRETO, str(t), cuerpo, firma, ahora=t - 301)
    # Missing or malformed headers.
    assert not verificar_firma(SECRETO, None, cuerpo, firma, ahora=t)
    assert not verificar_firma(SECRETO, str(t), cuerpo, None, ahora=t)
    assert not verificar_firma(SECRETO, "ayer", cuerpo, firma, ahora=t)
    assert not verificar_firma(SECRETO, str(t), cuerpo, firma.removeprefix("sha256="), ahora=t)
    assert not verificar_firma(SECRETO, str(t), cuerpo, "sha256=ñ" + firma[8:], ahora=t)
    # The same function is part of the plugin's public service.
    assert service.verificar_firma is verificar_firma


@pytest.mark.parametrize(
    ("ajustes", "secreto"),
    [({"webhook_secret": SECRETO}, SECRETO), ({}, CLAVE_DE_PRUEBAS)],
    ids=["secreto-propio", "clave-de-la-app"],
)
async def test_el_receptor_verifica_la_firma(
    arrancar: Callable[..., Awaitable[Kit]],
    aiohttp_server: Callable[..., Any],
    ajustes: dict[str, Any],
    secreto: str,
) -> None:
    receptor = Receptor(secreto)
    kit, webhook = await _con_webhook(arrancar, aiohttp_server, receptor, **ajustes)
    await kit.regla(niveles_escalamiento=1, nombre="SLA")
    ticket = await kit.ticket(esperando_hace=timedelta(hours=3))
    assert len(await kit.pasada()) == 1
    await webhook.esperar(5)
    ((cabeceras, cuerpo, valida),) = receptor.recibidas
    assert valida
    assert cabeceras["Content-Type"] == "application/json"
    assert abs(int(cabeceras[CABECERA_TIMESTAMP]) - time.time()) < 60
    assert len(cabeceras[CABECERA_ENTREGA]) == 32
    datos = json.loads(cuerpo)
    assert (datos["ticket_id"], datos["nivel"], datos["regla_nombre"]) == (ticket, 1, "SLA")
    assert datos["alerta_nivel"] == "critica" and datos["fecha"].endswith("+00:00")
    # What a tampered copy of the same request would fail.
    assert not verificar_firma(
        secreto, cabeceras[CABECERA_TIMESTAMP], cuerpo.replace(b'"SLA"', b'"XXX"'),
        cabeceras[CABECERA_FIRMA],
    )  # fmt: skip


# --- retries and back-off, off the pass --------------------------------------------------------


async def test_reintentos_con_espera_creciente_sin_frenar_la_pasada(
    arrancar: Callable[..., Awaitable[Kit]], aiohttp_server: Callable[..., Any]
) -> None:
    receptor = Receptor(CLAVE_DE_PRUEBAS, respuestas=[500, 503])
    kit, webhook = await _con_webhook(arrancar, aiohttp_server, receptor)
    espera = Espera(abierta=False)
    webhook.dormir = espera.dormir
    await kit.regla(niveles_escalamiento=1)
    await kit.ticket(esperando_hace=timedelta(hours=3))

    inicio = time.perf_counter()
    # (wait_for: a pass that waited for the delivery would fail here instead of hanging)
    assert len(await asyncio.wait_for(kit.pasada(), 5)) == 1
    duracion = time.perf_counter() - inicio
    # The pass is over although the delivery is held in its first back-off (the gate is shut):
    # the pass never waits for the webhook. The real back-off would be 0.5 s + 1 s.
    assert duracion < 0.5
    await asyncio.wait_for(espera.llamada.wait(), 5)
    assert len(receptor.recibidas) == 1 and webhook.pendientes == 1

    espera.puerta.set()
    await webhook.esperar(5)
    assert webhook.pendientes == 0
    assert espera.esperas == [0.5, 1.0]
    assert len(receptor.recibidas) == 3
    assert all(valida for _, _, valida in receptor.recibidas)
    # One delivery id across the attempts, so the receiver can drop duplicates.
    assert len({c[CABECERA_ENTREGA] for c, _, _ in receptor.recibidas}) == 1


async def test_un_4xx_no_se_reintenta(
    arrancar: Callable[..., Awaitable[Kit]],
    aiohttp_server: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    receptor = Receptor(CLAVE_DE_PRUEBAS, respuestas=[401, 500])
    kit, webhook = await _con_webhook(arrancar, aiohttp_server, receptor)
    espera = Espera()
    webhook.dormir = espera.dormir
    await kit.regla(niveles_escalamiento=1)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=3))
    with caplog.at_level(logging.ERROR, logger="soporte.escalamiento"):
        assert [e.ticket_id for e in await kit.pasada()] == [ticket]
        await webhook.esperar(5)
    assert len(receptor.recibidas) == 1 and espera.esperas == []
    assert "notifier 'webhook' failed" in caplog.text and "answered 401" in caplog.text
    # The escalation itself stands.
    assert await kit.nivel(ticket) == 1


async def test_receptor_caido_tres_intentos_y_se_registra(
    arrancar: Callable[..., Awaitable[Kit]],
    unused_tcp_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}/hook"
    kit = await arrancar(plugin_settings={"escalamiento": {"interval": 0, "webhook_url": url}})
    webhook = kit.soporte.app[REGISTRO].notificadores["webhook"].notificador
    espera = Espera()
    webhook.dormir = espera.dormir
    await kit.regla(niveles_escalamiento=1)
    await kit.ticket(esperando_hace=timedelta(hours=3))
    with caplog.at_level(logging.ERROR, logger="soporte.escalamiento"):
        assert len(await kit.pasada()) == 1
        await webhook.esperar(5)
    assert espera.esperas == [0.5, 1.0]
    assert "notifier 'webhook' failed" in caplog.text and "after 3 attempts" in caplog.text


async def test_una_entrega_que_supera_el_limite_se_abandona(
    arrancar: Callable[..., Awaitable[Kit]],
    aiohttp_server: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    receptor = Receptor(CLAVE_DE_PRUEBAS, respuestas=[500])
    kit, webhook = await _con_webhook(arrancar, aiohttp_server, receptor)
    webhook.dormir = Espera(abierta=False).dormir  # stuck in back-off for ever
    webhook.limite = 0.05  # instead of 30 s
    await kit.regla(niveles_escalamiento=1)
    await kit.ticket(esperando_hace=timedelta(hours=3))
    with caplog.at_level(logging.ERROR, logger="soporte.escalamiento"):
        assert len(await kit.pasada()) == 1
        await webhook.esperar(5)
    assert webhook.pendientes == 0
    assert "notifier 'webhook' gave up" in caplog.text and "after 0.05 s" in caplog.text


async def test_al_cerrar_la_app_las_entregas_pendientes_terminan_o_se_cancelan(
    arrancar: Callable[..., Awaitable[Kit]],
    aiohttp_server: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    receptor = Receptor(CLAVE_DE_PRUEBAS, respuestas=[500])
    kit, webhook = await _con_webhook(arrancar, aiohttp_server, receptor)
    webhook.dormir = Espera(abierta=False).dormir
    webhook.plazo_cierre = 0.05
    await kit.regla(niveles_escalamiento=1)
    await kit.ticket(esperando_hace=timedelta(hours=3))
    assert len(await kit.pasada()) == 1
    for _ in range(100):  # let the first attempt reach its back-off
        if receptor.recibidas:
            break
        await asyncio.sleep(0.01)
    assert webhook.pendientes == 1
    with caplog.at_level(logging.WARNING, logger="soporte.escalamiento"):
        await kit.soporte.client.close()
    assert webhook.pendientes == 0
    assert "1 delivery(ies) cancelled at shutdown" in caplog.text


def test_webhook_mal_configurado_impide_arrancar(
    make_app: Callable[..., web.Application],
) -> None:
    with pytest.raises(PluginError, match=r"plugin 'escalamiento': setting 'webhook_url'.*http"):
        make_app(
            plugins=["tickets", "escalamiento"],
            plugin_settings={"escalamiento": {"webhook_url": "ftp://ejemplo"}},
        )


async def test_sin_webhook_no_hay_nada_que_cerrar(kit: Kit) -> None:
    assert set(kit.soporte.app[REGISTRO].notificadores) == {"log"}
    assert plugin.register_background(kit.soporte.app) == []


# --- any notifier: slow ones, and aclose ------------------------------------------------------


class Colgado:
    """A notifier whose channel never answers."""

    name = "colgado"

    async def notificar(self, notificacion: Notificacion) -> None:
        """Wait for ever."""
        await asyncio.Event().wait()


class ConCierre:
    """A notifier with background work to finish at shutdown."""

    name = "con_cierre"

    def __init__(self) -> None:
        self.recibidas: list[int] = []
        self.cerrado = 0

    def notificar(self, notificacion: Notificacion) -> None:
        """Keep the ticket id."""
        self.recibidas.append(notificacion.ticket_id)

    async def aclose(self) -> None:
        """Count the calls."""
        self.cerrado += 1


async def test_un_notificador_lento_se_abandona_y_la_pasada_sigue(
    arrancar: Callable[..., Awaitable[Kit]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(service, "TIMEOUT_NOTIFICADOR", 0.05)  # instead of 30 s
    otro = ConCierre()
    kit = await arrancar(extra=[Extra(notificadores=[Colgado(), otro])])
    await kit.regla(niveles_escalamiento=2, tiempo_respuesta_maximo=1)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=3))
    with caplog.at_level(logging.ERROR, logger="soporte.escalamiento"):
        assert [e.nivel for e in await kit.pasada()] == [1, 2]
    assert otro.recibidas == [ticket, ticket]
    assert caplog.text.count("notifier 'colgado'") == 2
    assert "TimeoutError" in caplog.text


async def test_aclose_de_los_notificadores_al_cerrar_la_app(
    arrancar: Callable[..., Awaitable[Kit]],
) -> None:
    con_cierre = ConCierre()
    kit = await arrancar(extra=[Extra(notificadores=[con_cierre])])
    assert len(plugin.register_background(kit.soporte.app)) == 1
    assert con_cierre.cerrado == 0
    await kit.soporte.client.close()
    assert con_cierre.cerrado == 1


# --- soporte escalar --once delivers before it exits -------------------------------------------


def test_soporte_escalar_once_entrega_el_webhook_antes_de_salir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recibidas: list[tuple[bool, dict[str, Any]]] = []

    class Manejador(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            cuerpo = self.rfile.read(int(self.headers["Content-Length"]))
            valida = verificar_firma(
                SECRETO, self.headers[CABECERA_TIMESTAMP], cuerpo, self.headers[CABECERA_FIRMA]
            )
            recibidas.append((valida, json.loads(cuerpo)))
            # The first attempt fails: the retry comes after a (real, 0.5 s) back-off, which
            # the command must wait for before it exits.
            self.send_response(503 if len(recibidas) == 1 else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    servidor = ThreadingHTTPServer(("127.0.0.1", 0), Manejador)
    hilo = threading.Thread(target=servidor.serve_forever, daemon=True)
    hilo.start()
    url = f"sqlite://{tmp_path}/cli.db"
    for nombre, valor in {
        "SOPORTE_DATABASE_URL": url,
        "SOPORTE_PLUGINS": "tickets,escalamiento",
        "SOPORTE_SECRET_KEY": "clave",
        "SOPORTE_MEDIA_DIR": str(tmp_path / "media"),
        "SOPORTE_ESCALAMIENTO_WEBHOOK_URL": f"http://127.0.0.1:{servidor.server_port}/hook",
        "SOPORTE_ESCALAMIENTO_WEBHOOK_SECRET": SECRETO,
    }.items():
        monkeypatch.setenv(nombre, valor)
    env = Env()

    async def preparar() -> None:
        ctx = await open_context(tortoise_config(url, env.host.models()), generate_schemas=True)
        try:
            from core.auth.service import crear_usuario
            from plugins.tickets.service import crear_ticket

            cliente = await crear_usuario("ana", "clave-larga", nombre="Ana", email="a@x.test")
            ticket = await crear_ticket(
                EventBus(), cliente, asunto="Sin acceso", descripcion="d", categoria=Categoria.PAGOS
            )
            await Ticket.filter(id=ticket.id).update(
                esperando_desde=ticket.esperando_desde - timedelta(hours=3)
            )
            await service.crear_regla(
                {
                    "tiempo_respuesta_maximo": 2,
                    "prioridades_escalamiento": ["MEDIA"],
                    "niveles_escalamiento": 1,
                    "notificaciones_automaticas": True,
                }
            )
        finally:
            await ctx.close_connections()

    try:
        asyncio.run(preparar())
        grupo = click.Group()
        plugin.register_commands(grupo)
        resultado = CliRunner().invoke(grupo, ["escalar", "--once"], obj=env)
    finally:
        servidor.shutdown()
        servidor.server_close()
    assert resultado.exit_code == 0, resultado.output
    assert resultado.output.splitlines()[-1] == "1 escalamiento(s)"
    assert len(recibidas) == 2
    assert all(valida for valida, _ in recibidas)
    datos = recibidas[-1][1]
    assert datos["numero"] == "TK-000001" and datos["nivel"] == 1
