"""Deliveries: payload, signature (checked with the shipped verifier), order per ticket under
retries, backoff, dead letters, auto-disable, redelivery, internal notes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from core.outbox_models import Envio
from plugins.webhooks.entregas import calendario, espera
from plugins.webhooks.models import Entrega, EstadoEntrega, Suscripcion
from plugins.webhooks.settings import WebhooksSettings
from plugins.webhooks.verificador import firmar, verificar
from tests.plugins.webhooks.ayudas import Receptor, Recibida, hasta, sin_pendientes
from tests.plugins.webhooks.conftest import Kit

Arrancar = Callable[..., Awaitable[Kit]]


async def test_an_event_arrives_signed_and_the_verifier_accepts_it(
    arrancar: Arrancar, receptor: Receptor
) -> None:
    """A new ticket reaches the subscriber as ``{id, tipo, version, fecha, datos}``, with
    ``Soporte-Firma`` valid for the subscription's secret (and for no other)."""
    kit = await arrancar()
    suscripcion = await kit.suscribir(receptor.url, ["ticket_creado"])
    ticket_id = await kit.ticket()
    await hasta(lambda: len(receptor.recibidas) == 1)
    [recibida] = receptor.recibidas
    cuerpo = recibida.json
    assert set(cuerpo) == {"id", "tipo", "version", "fecha", "datos"}
    assert cuerpo["tipo"] == "ticket_creado" and cuerpo["version"] == 1
    assert cuerpo["datos"]["ticket_id"] == ticket_id
    assert recibida.cabeceras["Soporte-Evento"] == "ticket_creado"
    assert recibida.cabeceras["Content-Type"] == "application/json"
    firma = recibida.cabeceras["Soporte-Firma"]
    assert verificar(recibida.cuerpo, firma, suscripcion["secreto"])
    assert not verificar(recibida.cuerpo, firma, "whsec_otro")
    assert not verificar(recibida.cuerpo + b" ", firma, suscripcion["secreto"])
    # Only the types asked for: the agent's reply is not sent to this subscription.
    await kit.responder(ticket_id, "Lo miramos")
    await hasta(sin_pendientes)
    assert len(receptor.recibidas) == 1


def test_the_verifier_refuses_old_timestamps_and_malformed_headers() -> None:
    """Tolerance, and garbage in the header."""
    cuerpo = b'{"tipo":"ticket_creado"}'
    t = 1_700_000_000
    cabecera = f"t={t},v1={firmar(cuerpo, 'whsec_x', t)}"
    assert verificar(cuerpo, cabecera, "whsec_x", ahora=t + 299)
    assert not verificar(cuerpo, cabecera, "whsec_x", ahora=t + 301)
    assert verificar(cuerpo, cabecera, "whsec_x", tolerancia=600, ahora=t + 500)
    for mala in ("", "t=abc,v1=00", f"v1={firmar(cuerpo, 'whsec_x', t)}", f"t={t}"):
        assert not verificar(cuerpo, mala, "whsec_x", ahora=t)
    # A second v1 (rotation): either secret verifies.
    doble = f"{cabecera},v1={firmar(cuerpo, 'whsec_y', t)}"
    assert verificar(cuerpo, doble, "whsec_y", ahora=t)
    assert verificar(cuerpo.decode(), doble, "whsec_x", ahora=t)


async def test_rotation_signs_with_both_secrets_during_the_grace_period(
    arrancar: Arrancar, receptor: Receptor
) -> None:
    """After ``rotar-secreto`` both the old and the new secret verify; with no grace, only the
    new one."""
    kit = await arrancar()
    suscripcion = await kit.suscribir(receptor.url, ["ticket_creado"])
    ruta = f"/api/soporte/webhooks/{suscripcion['id']}/rotar-secreto/"
    r = await kit.api("POST", ruta, kit.admin)
    assert r.status == 200
    rotado = await r.json()
    assert rotado["secreto"] != suscripcion["secreto"] and rotado["anterior_valido_hasta"]
    await kit.ticket()
    await hasta(lambda: len(receptor.recibidas) == 1)
    recibida = receptor.recibidas[0]
    firma = recibida.cabeceras["Soporte-Firma"]
    assert firma.count("v1=") == 2
    assert verificar(recibida.cuerpo, firma, suscripcion["secreto"])
    assert verificar(recibida.cuerpo, firma, rotado["secreto"])
    # The grace period over: the old secret no longer signs.
    await Suscripcion.filter(id=suscripcion["id"]).update(
        anterior_hasta=datetime.now(UTC) - timedelta(seconds=1)
    )
    await kit.ticket()
    await hasta(lambda: len(receptor.recibidas) == 2)
    recibida = receptor.recibidas[1]
    firma = recibida.cabeceras["Soporte-Firma"]
    assert firma.count("v1=") == 1
    assert not verificar(recibida.cuerpo, firma, suscripcion["secreto"])
    assert verificar(recibida.cuerpo, firma, rotado["secreto"])


async def test_order_per_ticket_holds_when_the_first_attempt_fails(
    arrancar: Arrancar, receptor: Receptor
) -> None:
    """The receiver refuses the first attempt of every ticket's first delivery: the later
    deliveries of that ticket wait for its retry, so each ticket's events arrive in order."""
    vistos: set[str] = set()

    def responder(recibida: Recibida) -> int:
        datos = recibida.json
        primera = datos["tipo"] == "ticket_creado" and recibida.entrega not in vistos
        vistos.add(recibida.entrega)
        return 503 if primera else 200

    receptor.responder = responder
    kit = await arrancar()
    await kit.suscribir(receptor.url)
    tickets = [await kit.ticket(f"Ticket {i}") for i in range(3)]
    for n in range(4):
        for ticket_id in tickets:
            await kit.responder(ticket_id, f"respuesta {n}")
    esperadas = await Entrega.all().count()
    # Per ticket: its creation, 4 replies, and the first reply's move to EN_PROGRESO.
    assert esperadas == 3 * (1 + 4 + 1)
    await hasta(lambda: len(receptor.ok) == esperadas, espera=30)
    assert len(receptor.recibidas) == esperadas + 3  # one refused attempt per ticket
    por_ticket: dict[int, list[str]] = {}
    for recibida in receptor.ok:
        datos = recibida.json
        por_ticket.setdefault(datos["datos"]["ticket_id"], []).append(recibida.entrega)
    orden = {e.clave: e.id for e in await Entrega.all()}
    for ticket_id, claves in por_ticket.items():
        ids = [orden[c] for c in claves]
        assert ids == sorted(ids), f"ticket {ticket_id} out of order"
        assert json.loads((await Entrega.get(id=ids[0])).cuerpo)["tipo"] == "ticket_creado"
    refusals = await Entrega.filter(intentos=2).count()
    assert refusals == 3


def test_the_backoff_schedule_spans_the_retry_window() -> None:
    """Defaults: 30 s doubling, at most 4 h, attempts for 24 h; jitter within ±10 %."""
    ajustes = WebhooksSettings()
    pasos = calendario(ajustes)
    assert pasos[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert max(pasos) == timedelta(hours=4)
    total = sum(pasos, timedelta(0))
    assert timedelta(hours=20) < total <= timedelta(hours=24)
    for intento in range(1, 15):
        nominal = min(30 * 2 ** (intento - 1), 4 * 3600)
        valor = espera(ajustes, intento).total_seconds()
        assert nominal * 0.9 <= valor <= nominal * 1.1


async def test_a_failed_attempt_is_retried_on_the_schedule(
    arrancar: Arrancar, receptor: Receptor
) -> None:
    """After a 500 the outbox row is due again after the base wait (not the core's), and the
    delivery log records the attempt."""
    receptor.responder = lambda _: 500
    kit = await arrancar(reintento_base_segundos=3600)
    await kit.suscribir(receptor.url, ["ticket_creado"])
    await kit.ticket()
    await hasta(lambda: len(receptor.recibidas) == 1)
    entrega = await Entrega.get()
    await hasta(lambda: _intentos(entrega.id, 1))
    envio = await Envio.get(clave=entrega.envio_clave)
    espera_real = envio.proximo_intento - datetime.now(UTC)
    assert timedelta(minutes=50) < espera_real < timedelta(minutes=67)
    entrega = await Entrega.get()
    assert entrega.estado == EstadoEntrega.PENDIENTE
    assert entrega.codigo == 500 and "500" in entrega.error


async def _intentos(entrega_id: int, n: int) -> bool:
    entrega = await Entrega.get(id=entrega_id)
    envio = await Envio.get(clave=entrega.envio_clave)
    return entrega.intentos >= n and envio.reclamo is None
