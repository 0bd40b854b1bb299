"""Subscriptions (CRUD by admins), the event catalogue, the SSRF guard, the delivery log,
redelivery, dead letters, auto-disable, internal notes and escalations."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from core import keys
from core.auth.models import Rol
from core.outbox_models import Envio, EstadoEnvio
from plugins.escalamiento.events import TicketEscalado
from plugins.notificaciones.models import Notificacion
from plugins.webhooks.models import Entrega, EstadoEntrega, Suscripcion
from plugins.webhooks.red import DestinoNoPermitido, ResolvedorSeguro, direccion_permitida
from plugins.webhooks.verificador import verificar
from tests.plugins.webhooks.ayudas import Receptor, hasta, sin_pendientes
from tests.plugins.webhooks.conftest import Kit

if TYPE_CHECKING:
    from core.testing import SoporteClient

Arrancar = Callable[..., Awaitable[Kit]]
BASE = "/api/soporte/webhooks/"


async def test_admins_manage_subscriptions_and_the_secret_is_shown_once(
    arrancar: Arrancar, receptor: Receptor
) -> None:
    """Create (201, Location, secret), list and read (no secret), change, delete; agents and
    customers get 403."""
    kit = await arrancar()
    creada = await kit.suscribir(receptor.url, ["ticket_creado", "respuesta_creada"])
    assert creada["secreto"].startswith("whsec_") and creada["activa"] is True
    for quien in (kit.agente, kit.cliente):
        r = await kit.api("POST", BASE, quien, json={"url": receptor.url, "eventos": ["*"]})
        assert r.status == 403
        assert (await kit.api("GET", BASE, quien)).status == 403
    r = await kit.api("GET", BASE, kit.admin)
    pagina = await r.json()
    assert pagina["count"] == 1 and "secreto" not in pagina["results"][0]
    ruta = f"{BASE}{creada['id']}/"
    r = await kit.api("GET", ruta, kit.admin)
    assert "secreto" not in await r.json()
    r = await kit.api(
        "PATCH", ruta, kit.admin, json={"eventos": ["*"], "descripcion": "CRM", "activa": False}
    )
    assert r.status == 200
    cambiada = await r.json()
    assert cambiada["eventos"] == ["*"] and cambiada["descripcion"] == "CRM"
    assert cambiada["activa"] is False
    assert (await kit.api("DELETE", ruta, kit.admin)).status == 204
    assert (await kit.api("GET", ruta, kit.admin)).status == 404


async def test_the_signing_secret_is_never_kept_for_a_retry(
    arrancar: Arrancar, receptor: Receptor
) -> None:
    """Creation and rotation answer ``Cache-Control: no-store``, so ``Idempotency-Key`` does not
    keep the secret in its table: a retried creation makes a second subscription (with its own
    secret) instead of replaying the first answer."""
    from core.auth.claves_models import Idempotencia

    kit = await arrancar()
    cuerpo = {"url": receptor.url, "eventos": ["*"]}
    cabeceras = {**kit.soporte.auth(kit.admin), "Idempotency-Key": "alta-crm"}
    respuestas = [await kit.soporte.post(BASE, json=cuerpo, headers=cabeceras) for _ in range(2)]
    secretos = set()
    for r in respuestas:
        assert r.status == 201 and r.headers["Cache-Control"] == "no-store"
        assert "Idempotent-Replayed" not in r.headers
        secretos.add((await r.json())["secreto"])
    assert len(secretos) == 2
    assert not await Idempotencia.filter(terminada=True).exists()
    r = await kit.api(
        "POST", f"{BASE}{(await respuestas[0].json())['id']}/rotar-secreto/", kit.admin
    )
    assert r.status == 200 and r.headers["Cache-Control"] == "no-store"


async def test_unknown_event_types_are_refused(arrancar: Arrancar, receptor: Receptor) -> None:
    """A 400 naming the unknown type, in Spanish."""
    kit = await arrancar()
    r = await kit.api("POST", BASE, kit.admin, json={"url": receptor.url, "eventos": ["nada"]})
    assert r.status == 400
    assert "nada" in (await r.json())["detail"]


async def test_the_catalogue_lists_every_enabled_plugins_events(
    arrancar: Arrancar, start_app: Callable[..., Awaitable[SoporteClient]]
) -> None:
    """Tickets', cases', escalation's… events; not the outbox's machinery; not a disabled
    plugin's."""
    kit = await arrancar(["tickets", "casos", "escalamiento", "notificaciones", "webhooks"])
    r = await kit.api("GET", f"{BASE}eventos/", kit.admin)
    tipos = {t["tipo"]: t for t in await r.json()}
    for esperado in (
        "ticket_creado", "ticket_actualizado", "respuesta_creada", "ticket_valorado",
        "caso_creado", "caso_actualizado", "respuesta_caso_creada", "ticket_escalado",
    ):  # fmt: skip
        assert esperado in tipos, esperado
    assert tipos["caso_creado"]["plugin"] == "casos" and tipos["caso_creado"]["descripcion"]
    assert "envio_fallido" not in tipos
    # Another app, without casos (its own admin: the database may be the first app's).
    solo = await start_app(["tickets", "webhooks"])
    admin = await solo.usuario("admin_solo", Rol.ADMIN)
    r = await solo.get(f"{BASE}eventos/", headers=solo.auth(admin))
    assert r.status == 200
    assert "caso_creado" not in {t["tipo"] for t in await r.json()}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
    ],
)
async def test_private_targets_are_refused_on_save(arrancar: Arrancar, url: str) -> None:
    """Without ``permitir_privadas`` a loopback, private, link-local or non-http URL is a 400."""
    kit = await arrancar(permitir_privadas=False)
    r = await kit.api("POST", BASE, kit.admin, json={"url": url, "eventos": ["*"]})
    assert r.status == 400, url
    assert (await r.json())["errors"]["url"]


async def test_private_targets_are_refused_at_delivery(
    arrancar: Arrancar, receptor: Receptor
) -> None:
    """A subscription pointing at loopback (stored before the guard, or re-pointed DNS) is
    never called: the delivery is a dead letter."""
    kit = await arrancar(permitir_privadas=False)
    await Suscripcion.create(url=receptor.url, eventos=["*"], secreto="whsec_x")
    await kit.ticket()
    await hasta(lambda: Entrega.filter(estado=EstadoEntrega.FALLIDA).exists())
    entrega = await Entrega.get()
    assert "no está permitida" in entrega.error
    assert receptor.recibidas == []
    assert await Envio.filter(canal="webhooks", estado=EstadoEnvio.FALLIDO).count() == 1


async def test_the_resolver_refuses_names_of_private_addresses() -> None:
    """The client's resolver: a name that resolves to loopback is refused at connection time
    (so re-pointing DNS after the check does not help)."""
    resolver = ResolvedorSeguro()
    try:
        with pytest.raises(DestinoNoPermitido):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()
    assert direccion_permitida("93.184.216.34")
    assert not direccion_permitida("fe80::1") and not direccion_permitida("224.0.0.1")


async def test_internal_notes_never_go_out(arrancar: Arrancar, receptor: Receptor) -> None:
    """A note's ``respuesta_creada`` is not delivered at all (neither its text nor that it
    exists); a public reply is."""
    kit = await arrancar()
    await kit.suscribir(receptor.url, ["*"])
    ticket_id = await kit.ticket()
    await kit.responder(ticket_id, "NOTA-SECRETA sobre el cliente", interna=True)
    await kit.responder(ticket_id, "Respuesta pública")
    await hasta(lambda: any("pública".encode() in r.cuerpo for r in receptor.ok))
    await hasta(sin_pendientes)
    assert all(b"NOTA-SECRETA" not in r.cuerpo for r in receptor.recibidas)
    respuestas = [r.json for r in receptor.recibidas if r.json["tipo"] == "respuesta_creada"]
    assert len(respuestas) == 1 and respuestas[0]["datos"]["interna"] is False
    assert not await Entrega.filter(cuerpo__contains="NOTA-SECRETA").exists()


async def test_the_log_shows_attempts_and_a_delivery_can_be_sent_again(
    arrancar: Arrancar, receptor: Receptor
) -> None:
    """``GET …/entregas/``: status, duration, request and response excerpts; ``reenviar``
    sends the same body with the same ``Soporte-Entrega``, signed afresh."""
    kit = await arrancar()
    suscripcion = await kit.suscribir(receptor.url, ["ticket_creado"])
    await kit.ticket()
    await hasta(lambda: len(receptor.ok) == 1)
    await hasta(lambda: Entrega.filter(estado=EstadoEntrega.ENTREGADA).exists())
    r = await kit.api("GET", f"{BASE}{suscripcion['id']}/entregas/", kit.admin)
    [fila] = (await r.json())["results"]
    assert fila["estado"] == "ENTREGADA" and fila["codigo"] == 200 and fila["intentos"] == 1
    assert fila["duracion_ms"] is not None and "Soporte-Firma" in fila["peticion"]
    assert fila["respuesta"] == "recibido 1" and fila["entrega"] == receptor.ok[0].entrega
    r = await kit.api("POST", f"{BASE}entregas/{fila['id']}/reenviar/", kit.admin)
    assert r.status == 200
    await hasta(lambda: len(receptor.ok) == 2)
    primera, segunda = receptor.ok
    assert segunda.entrega == primera.entrega and segunda.cuerpo == primera.cuerpo
    assert verificar(segunda.cuerpo, segunda.cabeceras["Soporte-Firma"], suscripcion["secreto"])
    await hasta(lambda: Entrega.filter(estado=EstadoEntrega.ENTREGADA, intentos=2).exists())
    # Unknown ids: 404.
    r = await kit.api("POST", f"{BASE}entregas/999999/reenviar/", kit.admin)
    assert r.status == 404


async def test_out_of_retries_is_a_dead_letter(arrancar: Arrancar, receptor: Receptor) -> None:
    """When the retry window closes the delivery is FALLIDA, the outbox row dead, and the next
    delivery of that ticket goes (it waited behind it)."""
    receptor.responder = lambda r: 500 if r.json["tipo"] == "ticket_creado" else 200
    kit = await arrancar(ventana_reintentos_horas=0.5 / 3600, reintento_base_segundos=0.2)
    await kit.suscribir(receptor.url, ["*"])
    ticket_id = await kit.ticket()
    await kit.responder(ticket_id, "Hola")
    await hasta(lambda: Entrega.filter(estado=EstadoEntrega.FALLIDA).exists())
    await hasta(lambda: len(receptor.ok) == 2)
    primera = await Entrega.filter(tipo="ticket_creado").get()
    assert primera.estado == EstadoEntrega.FALLIDA and primera.intentos >= 1
    assert await Envio.filter(clave=primera.envio_clave, estado=EstadoEnvio.FALLIDO).exists()
    assert (await Suscripcion.get()).activa  # failing deliveries, not yet failing for days


async def test_a_subscription_failing_for_days_is_switched_off_and_admins_told(
    arrancar: Arrancar, receptor: Receptor
) -> None:
    """Every attempt failing since longer than ``dias_desactivar``: switched off with a
    reason, its delivery dead, and the admins get an ``envio_fallido`` notification."""
    receptor.responder = lambda _: 500
    kit = await arrancar(["tickets", "notificaciones", "webhooks"], dias_desactivar=1)
    suscripcion = await kit.suscribir(receptor.url, ["ticket_creado"])
    # It has been failing for two days already.
    hace = datetime.now(UTC) - timedelta(days=2)
    await Suscripcion.filter(id=suscripcion["id"]).update(fallando_desde=hace)
    await kit.ticket()
    await hasta(lambda: Entrega.filter(estado=EstadoEntrega.FALLIDA).exists())
    guardada = await Suscripcion.get(id=suscripcion["id"])
    assert not guardada.activa and "ninguna entrega con éxito" in guardada.motivo_desactivacion
    await hasta(lambda: Notificacion.filter(usuario_id=kit.admin.id, tipo="envio_fallido").exists())
    # Switched off: the next events are not even queued; a redelivery is a 409.
    await kit.ticket()
    assert await Entrega.all().count() == 1
    entrega = await Entrega.get()
    r = await kit.api("POST", f"{BASE}entregas/{entrega.id}/reenviar/", kit.admin)
    assert r.status == 409
    # Switched on again by an admin: the failure record is gone.
    r = await kit.api("PATCH", f"{BASE}{suscripcion['id']}/", kit.admin, json={"activa": True})
    assert (await r.json())["fallando_desde"] is None


async def test_escalations_flow_through_webhooks(arrancar: Arrancar, receptor: Receptor) -> None:
    """The escalation notifier is one subscriber: ``ticket_escalado`` is delivered like any
    event, signed and logged."""
    kit = await arrancar(["tickets", "escalamiento", "webhooks"])
    suscripcion = await kit.suscribir(receptor.url, ["ticket_escalado"])
    ticket_id = await kit.ticket()
    evento = TicketEscalado(
        ticket_id=ticket_id, nivel=1, nivel_anterior=0, regla_id=None, politica="tiempo_respuesta",
        escalamiento_id=1, alerta_id=1, alerta_nivel="ADVERTENCIA",
    )  # fmt: skip
    await kit.soporte.app[keys.EVENTS].emit(evento)
    await hasta(lambda: len(receptor.ok) == 1)
    recibida = receptor.ok[0]
    assert json.loads(recibida.cuerpo)["datos"]["nivel"] == 1
    assert verificar(recibida.cuerpo, recibida.cabeceras["Soporte-Firma"], suscripcion["secreto"])


async def test_the_old_escalation_webhook_setting_is_deprecated(
    arrancar: Arrancar, caplog: pytest.LogCaptureFixture
) -> None:
    """``SOPORTE_ESCALAMIENTO_WEBHOOK_URL`` still works but warns, pointing at webhooks."""
    with caplog.at_level("WARNING", logger="soporte.escalamiento"):
        await arrancar(
            ["tickets", "escalamiento", "webhooks"],
            escalamiento={"interval": 0, "webhook_url": "https://example.test/esc"},
        )
    assert any("ticket_escalado" in r.getMessage() for r in caplog.records)


async def test_retrying_the_dead_outbox_row_sends_the_delivery_again(
    arrancar: Arrancar, receptor: Receptor
) -> None:
    """The outbox's own admin retry (``POST /api/soporte/envios/{id}/reintentar/``) of a dead
    webhook row makes one more attempt, like ``reenviar``."""
    receptor.responder = lambda _: 500
    kit = await arrancar(ventana_reintentos_horas=0.1 / 3600)
    await kit.suscribir(receptor.url, ["ticket_creado"])
    await kit.ticket()
    await hasta(lambda: Entrega.filter(estado=EstadoEntrega.FALLIDA).exists())
    envio = await Envio.get(canal="webhooks")
    await hasta(lambda: Envio.filter(id=envio.id, estado=EstadoEnvio.FALLIDO).exists())
    antes = len(receptor.recibidas)
    receptor.responder = lambda _: 200
    r = await kit.api("POST", f"/api/soporte/envios/{envio.id}/reintentar/", kit.admin)
    assert r.status == 200, await r.text()
    await hasta(lambda: Entrega.filter(estado=EstadoEntrega.ENTREGADA).exists())
    assert len(receptor.recibidas) == antes + 1 and len(receptor.ok) == 1


def test_a_third_party_plugins_events_are_in_the_catalogue() -> None:
    """A plugin installed under any import name: the events its own package defines."""
    import sys
    import types
    from dataclasses import dataclass
    from typing import ClassVar

    from core.events import Event
    from plugins.webhooks.catalogo import catalogo, paquete

    raiz = types.ModuleType("soporte_reservas_prueba")
    raiz.__package__ = "soporte_reservas_prueba"
    eventos = types.ModuleType("soporte_reservas_prueba.events")
    sys.modules.update({raiz.__name__: raiz, eventos.__name__: eventos})
    try:

        @dataclass(frozen=True, kw_only=True)
        class ReservaCancelada(Event):
            """A booking was cancelled.

            More details that are not the description."""

            name: ClassVar[str] = "reserva_cancelada"
            ticket_id: int

        ReservaCancelada.__module__ = eventos.__name__
        tipos = catalogo([("reservas", paquete(raiz)), ("ad_hoc", paquete(object()))])
        assert tipos["reserva_cancelada"].plugin == "reservas"
        assert tipos["reserva_cancelada"].descripcion == "A booking was cancelled."
        assert "ticket_creado" not in tipos  # tickets is not among these plugins
    finally:
        del sys.modules[raiz.__name__], sys.modules[eventos.__name__]
