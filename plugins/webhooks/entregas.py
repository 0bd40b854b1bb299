"""Queuing webhook deliveries in the event's transaction, and the outbox channel that sends them.

**Queuing.** An ``in_transaction`` listener of every event writes, for each active subscription
that wants it, one :class:`~plugins.webhooks.models.Entrega` (the exact body) and one outbox
row (channel ``webhooks``, payload ``{"entrega_id"}``) — in the event's own transaction, so a
rolled-back change sends nothing and a committed one cannot be lost, whatever crashes next.

**Order per ticket.** Deliveries with the same ordering key (``ticket:12``, ``caso:3``) to one
subscription go out one after another in ``id`` order: before sending one, the channel looks
for an earlier one still ``PENDIENTE`` (in flight in another process, or waiting for a retry)
and, if there is one, hands its row back to the outbox *deferred* (no attempt counted), due
when that earlier one is next tried; when an earlier delivery ends (delivered or dead), its
successor's row is made due at once. The check reads the table, so it holds across batches and
processes; within a batch each key's deliveries are sent in order by one task, keys in
parallel.

**Retries.** A failure (connection error, timeout, any non-2xx answer — redirects are not
followed) is retried with the channel's own schedule (:func:`espera`: the base, doubled per
attempt, at most 4 h, ±10 %), for ``ventana_reintentos_horas`` after queuing; then it is a dead
letter. A subscription whose attempts have all failed for ``dias_desactivar`` days is switched
off; the outbox's dead-letter event :class:`core.outbox.EnvioFallido` then tells the admins
(the ``notificaciones`` plugin turns it into an admin notification; a log line always).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from core.events import Event, current_connection
from core.outbox import OutboxChannel, Outcome, enqueue
from core.outbox_models import Envio, EstadoEnvio
from plugins.webhooks.catalogo import TODOS, clave_orden, cuerpo, privado
from plugins.webhooks.models import Entrega, EstadoEntrega, Suscripcion
from plugins.webhooks.red import DestinoNoPermitido, ResolvedorSeguro, comprobar_url
from plugins.webhooks.verificador import firmar

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Sequence

    from aiohttp import web

    from core.outbox import EnvioFallido
    from plugins.webhooks.settings import WebhooksSettings

log = logging.getLogger("soporte.webhooks")

CANAL: Final = "webhooks"
CABECERA_FIRMA: Final = "Soporte-Firma"
CABECERA_ENTREGA: Final = "Soporte-Entrega"
CABECERA_EVENTO: Final = "Soporte-Evento"
CABECERA_INTENTO: Final = "Soporte-Intento"
USER_AGENT: Final = "soporte-webhooks/1"

#: The longest wait between two attempts.
ESPERA_MAXIMA: Final = timedelta(hours=4)
#: How long a deferred delivery waits at most before looking at its predecessor again (a
#: successor's wake-up could be lost with a crashed process).
ESPERA_ORDEN_MAXIMA: Final = timedelta(minutes=10)
#: Excerpts kept in the delivery log.
EXTRACTO: Final = 2000


def espera(ajustes: WebhooksSettings, intento: int, rng: random.Random | None = None) -> timedelta:
    """The wait after failed attempt number ``intento`` (1-based)."""
    base = ajustes.reintento_base_segundos * 2 ** max(0, intento - 1)
    segundos = min(base, ESPERA_MAXIMA.total_seconds())
    return timedelta(seconds=segundos * (rng or random).uniform(0.9, 1.1))


def calendario(ajustes: WebhooksSettings) -> list[timedelta]:
    """The nominal waits (no jitter) of a delivery that always fails, until its window closes:
    the documented retry schedule."""
    esperas: list[timedelta] = []
    total = timedelta(0)
    ventana = timedelta(hours=ajustes.ventana_reintentos_horas)
    intento = 1
    while True:
        base = ajustes.reintento_base_segundos * 2 ** (intento - 1)
        paso = timedelta(seconds=min(base, ESPERA_MAXIMA.total_seconds()))
        if total + paso > ventana:
            return esperas
        esperas.append(paso)
        total += paso
        intento += 1


def clave_envio(entrega: Entrega, vez: int = 0) -> str:
    """The outbox idempotency key of ``entrega``'s ``vez``-th sending (0: the first)."""
    return f"webhook:{entrega.clave}" + (f":{vez}" if vez else "")


# --- queuing ------------------------------------------------------------------------------------


async def encolar(evento: Event, tipos: frozenset[str]) -> int:
    """Queue ``evento`` for every active subscription that wants it (in the current unit of
    work's transaction); how many deliveries. ``tipos``: the app's event catalogue."""
    if evento.name not in tipos or privado(evento):
        return 0
    conn = current_connection()
    consulta = Suscripcion.filter(activa=True)
    suscripciones = await (consulta.using_db(conn) if conn is not None else consulta)
    destinos = [s for s in suscripciones if TODOS in s.eventos or evento.name in s.eventos]
    if not destinos:
        return 0
    _, texto = cuerpo(evento)
    orden = clave_orden(evento)
    for suscripcion in destinos:
        entrega = Entrega(
            suscripcion_id=suscripcion.id,
            clave=uuid.uuid4().hex,
            tipo=evento.name,
            clave_orden=orden,
            cuerpo=texto,
        )
        entrega.envio_clave = clave_envio(entrega)
        await entrega.save(using_db=conn)
        await enqueue(CANAL, suscripcion.url, {"entrega_id": entrega.id}, key=entrega.envio_clave)
    return len(destinos)


async def reenviar(entrega: Entrega) -> Entrega:
    """Send ``entrega`` again (same body, same ``Soporte-Entrega``), as a new outbox row; a
    delivery still pending is just made due now."""
    ahora = datetime.now(UTC)
    if entrega.estado == EstadoEntrega.PENDIENTE:
        await Envio.filter(clave=entrega.envio_clave, estado=EstadoEnvio.PENDIENTE).update(
            proximo_intento=ahora
        )
        from core.outbox import wake

        wake()
        return entrega
    vez = 1 + await Envio.filter(clave__startswith=f"webhook:{entrega.clave}").count()
    entrega.estado = EstadoEntrega.PENDIENTE
    entrega.envio_clave = clave_envio(entrega, vez)
    entrega.error = ""
    await entrega.save(update_fields=["estado", "envio_clave", "error"])
    suscripcion = await Suscripcion.get(id=entrega.suscripcion_id)
    await enqueue(CANAL, suscripcion.url, {"entrega_id": entrega.id}, key=entrega.envio_clave)
    return entrega


async def _despertar_siguiente(entrega: Entrega) -> None:
    """Make the next pending delivery of ``entrega``'s key due now (it was waiting for it)."""
    if entrega.clave_orden is None:
        return
    siguiente = (
        await Entrega.filter(
            suscripcion_id=entrega.suscripcion_id,
            clave_orden=entrega.clave_orden,
            estado=EstadoEntrega.PENDIENTE,
            id__gt=entrega.id,
        )
        .order_by("id")
        .first()
    )
    if siguiente is None:
        return
    ahora = datetime.now(UTC)
    await Envio.filter(
        clave=siguiente.envio_clave, estado=EstadoEnvio.PENDIENTE, proximo_intento__gt=ahora
    ).update(proximo_intento=ahora)


async def al_descartar(evento: EnvioFallido) -> None:
    """The outbox dead-lettered a ``webhooks`` row by itself (the channel kept failing): the
    delivery is dead too, and its successor may go."""
    if evento.canal != CANAL:
        return
    envio = await Envio.get_or_none(id=evento.envio_id)
    entrega_id = envio.payload.get("entrega_id") if envio is not None else None
    entrega = await Entrega.get_or_none(id=entrega_id) if entrega_id is not None else None
    if entrega is None or entrega.estado != EstadoEntrega.PENDIENTE:
        return
    if entrega.envio_clave != (envio.clave if envio is not None else None):
        return  # an older row of a delivery sent again since
    entrega.estado = EstadoEntrega.FALLIDA
    entrega.error = evento.error[:EXTRACTO]
    await entrega.save(update_fields=["estado", "error"])
    await _despertar_siguiente(entrega)


# --- delivering ---------------------------------------------------------------------------------


@dataclass
class _Contexto:
    app: web.Application
    ajustes: WebhooksSettings
    session: aiohttp.ClientSession
    #: Past this monotonic instant the batch sends nothing more (the lease would run out).
    limite: float


def _firma(suscripcion: Suscripcion, texto: str, ahora: datetime) -> str:
    t = int(ahora.timestamp())
    partes = [f"t={t}", f"v1={firmar(texto, suscripcion.secreto, t)}"]
    anterior_hasta = suscripcion.anterior_hasta
    if suscripcion.secreto_anterior and anterior_hasta is not None and anterior_hasta > ahora:
        partes.append(f"v1={firmar(texto, suscripcion.secreto_anterior, t)}")
    return ",".join(partes)


def _extracto_peticion(url: str, cabeceras: dict[str, str], texto: str) -> str:
    lineas = [f"POST {url}"]
    lineas += [f"{k}: {v}" for k, v in cabeceras.items()]
    return ("\n".join(lineas) + "\n\n" + texto)[:EXTRACTO]


async def _fallida(entrega: Entrega, error: str) -> None:
    entrega.estado = EstadoEntrega.FALLIDA
    entrega.error = error[:EXTRACTO]
    await entrega.save(update_fields=["estado", "error"])
    await _despertar_siguiente(entrega)


async def _predecesora(entrega: Entrega) -> Entrega | None:
    if entrega.clave_orden is None:
        return None
    return (
        await Entrega.filter(
            suscripcion_id=entrega.suscripcion_id,
            clave_orden=entrega.clave_orden,
            estado=EstadoEntrega.PENDIENTE,
            id__lt=entrega.id,
        )
        .order_by("-id")
        .first()
    )


async def _aplazar(envio: Envio, predecesora: Entrega, ahora: datetime) -> Outcome:
    """Defer ``envio`` until its predecessor is next tried (or its lease ends)."""
    hasta = ahora + timedelta(seconds=1)
    fila = await Envio.get_or_none(clave=predecesora.envio_clave)
    if fila is not None and fila.estado == EstadoEnvio.PENDIENTE:
        for instante in (fila.proximo_intento, fila.reclamado_hasta):
            if instante is not None and instante > hasta:
                hasta = instante
    return Outcome.defer(envio, min(hasta, ahora + ESPERA_ORDEN_MAXIMA))


async def _una(ctx: _Contexto, envio: Envio, entrega: Entrega) -> Outcome:
    """Deliver one row (or defer it, or find it already done)."""
    suscripcion: Suscripcion = entrega.suscripcion
    ahora = datetime.now(UTC)
    if entrega.estado == EstadoEntrega.FALLIDA and entrega.envio_clave == envio.clave:
        # Its dead outbox row is being tried again: an admin's ``POST /api/soporte/envios/
        # {id}/reintentar/``. One more attempt, as a redelivery through this API would make.
        entrega.estado = EstadoEntrega.PENDIENTE
        await entrega.save(update_fields=["estado"])
    if entrega.estado != EstadoEntrega.PENDIENTE or entrega.envio_clave != envio.clave:
        # Done already (its lease ran out after it was recorded here), or a stale row of a
        # delivery sent again since: nothing to send.
        return Outcome(envio, EstadoEnvio.REGISTRADO)
    if not suscripcion.activa:
        # Its subscription was switched off meanwhile: dropped without an admin notification
        # per row (the switch-off had one), kept in the log as FALLIDA.
        await _fallida(entrega, "La suscripción está desactivada.")
        return Outcome(envio, EstadoEnvio.REGISTRADO)
    predecesora = await _predecesora(entrega)
    if predecesora is not None:
        return await _aplazar(envio, predecesora, ahora)
    ajustes = ctx.ajustes
    try:
        # Literals here; names by the session's resolver, at connection time.
        await comprobar_url(suscripcion.url, ajustes.permitir_privadas, resolver=False)
    except DestinoNoPermitido as exc:
        await _fallida(entrega, str(exc))
        return Outcome(envio, EstadoEnvio.PENDIENTE, error=str(exc), permanent=True)
    intento = entrega.intentos + 1
    cabeceras = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        CABECERA_FIRMA: _firma(suscripcion, entrega.cuerpo, ahora),
        CABECERA_ENTREGA: entrega.clave,
        CABECERA_EVENTO: entrega.tipo,
        CABECERA_INTENTO: str(intento),
    }
    codigo: int | None = None
    respuesta = ""
    error = ""
    inicio = time.monotonic()
    try:
        async with ctx.session.post(
            suscripcion.url,
            data=entrega.cuerpo.encode(),
            headers=cabeceras,
            allow_redirects=False,
        ) as r:
            codigo = r.status
            crudo = await r.content.read(EXTRACTO)
            respuesta = crudo.decode("utf-8", "replace")
    except DestinoNoPermitido as exc:
        await _fallida(entrega, str(exc))
        return Outcome(envio, EstadoEnvio.PENDIENTE, error=str(exc), permanent=True)
    except (aiohttp.ClientError, TimeoutError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        causa = exc.__cause__ or getattr(exc, "os_error", None)
        if isinstance(causa, DestinoNoPermitido):
            await _fallida(entrega, str(causa))
            return Outcome(envio, EstadoEnvio.PENDIENTE, error=str(causa), permanent=True)
    duracion = int((time.monotonic() - inicio) * 1000)
    ahora = datetime.now(UTC)
    entrega.intentos = intento
    entrega.codigo = codigo
    entrega.duracion_ms = duracion
    entrega.peticion = _extracto_peticion(suscripcion.url, cabeceras, entrega.cuerpo)
    entrega.respuesta = respuesta[:EXTRACTO]
    entrega.fecha_intento = ahora
    campos = ["intentos", "codigo", "duracion_ms", "peticion", "respuesta", "fecha_intento"]
    if codigo is not None and 200 <= codigo < 300:
        entrega.estado = EstadoEntrega.ENTREGADA
        entrega.fecha_entrega = ahora
        entrega.error = ""
        await entrega.save(update_fields=[*campos, "estado", "fecha_entrega", "error"])
        if suscripcion.fallando_desde is not None:
            await Suscripcion.filter(id=suscripcion.id).update(fallando_desde=None)
            suscripcion.fallando_desde = None
        await _despertar_siguiente(entrega)
        return Outcome(envio, EstadoEnvio.ENVIADO)
    if codigo is not None:
        error = f"El receptor respondió {codigo}."
    entrega.error = error[:EXTRACTO]
    await entrega.save(update_fields=[*campos, "error"])
    return await _tras_fallo(ctx, envio, entrega, suscripcion, error, ahora)


async def _tras_fallo(
    ctx: _Contexto,
    envio: Envio,
    entrega: Entrega,
    suscripcion: Suscripcion,
    error: str,
    ahora: datetime,
) -> Outcome:
    """After a failed attempt: retry, dead-letter, or switch the subscription off."""
    ajustes = ctx.ajustes
    desde = suscripcion.fallando_desde
    if desde is None:
        desde = ahora
        await Suscripcion.filter(id=suscripcion.id, fallando_desde=None).update(
            fallando_desde=ahora
        )
        suscripcion.fallando_desde = ahora
    if ahora - desde >= timedelta(days=ajustes.dias_desactivar):
        motivo = (
            f"Desactivada el {ahora:%Y-%m-%d %H:%M} UTC: ninguna entrega con éxito desde el "
            f"{desde:%Y-%m-%d %H:%M} UTC (último error: {error[:200]})."
        )
        await Suscripcion.filter(id=suscripcion.id).update(
            activa=False, motivo_desactivacion=motivo[:500]
        )
        suscripcion.activa = False
        log.error("webhook %s (%s) desactivado: %s", suscripcion.id, suscripcion.url, motivo)
        await _fallida(entrega, error)
        # The core dead-letters the row and emits EnvioFallido: the admins' notification.
        return Outcome(envio, EstadoEnvio.PENDIENTE, error=motivo, permanent=True)
    siguiente = ahora + espera(ajustes, entrega.intentos)
    if siguiente - entrega.fecha_creacion > timedelta(hours=ajustes.ventana_reintentos_horas):
        await _fallida(entrega, error)
        return Outcome(envio, EstadoEnvio.PENDIENTE, error=error, permanent=True)
    return Outcome.retry(envio, error, siguiente)


async def _grupo(
    ctx: _Contexto, filas: list[tuple[Envio, Entrega]], salida: asyncio.Queue[Outcome]
) -> None:
    """Deliver one ordering key's rows in order; every row gets exactly one outcome."""
    for i, (envio, entrega) in enumerate(filas):
        try:
            if time.monotonic() > ctx.limite:
                outcome = Outcome.defer(envio, datetime.now(UTC))
            else:
                outcome = await _una(ctx, envio, entrega)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("webhook delivery %s failed", entrega.id)
            outcome = Outcome.failed(envio, exc)
            # The rest of this key waits behind it: deferred, tried again shortly.
            await salida.put(outcome)
            for resto, _ in filas[i + 1 :]:
                await salida.put(Outcome.defer(resto, datetime.now(UTC) + timedelta(seconds=1)))
            return
        await salida.put(outcome)


def _sesion(ajustes: WebhooksSettings) -> aiohttp.ClientSession:
    """The batch's HTTP client: a total timeout per request, no proxies from the environment,
    and (unless private addresses are allowed) the resolver that refuses them."""
    conector = aiohttp.TCPConnector(
        resolver=None if ajustes.permitir_privadas else ResolvedorSeguro(), limit=20
    )
    return aiohttp.ClientSession(
        connector=conector,
        timeout=aiohttp.ClientTimeout(total=ajustes.timeout_segundos),
        trust_env=False,
    )


def canal(ajustes_de: Any) -> OutboxChannel:
    """The outbox channel ``webhooks``; ``ajustes_de(app)`` reads the plugin's settings."""

    async def entregar(
        app: web.Application, envios: Sequence[Envio]
    ) -> AsyncGenerator[Outcome, None]:
        ajustes: WebhooksSettings = ajustes_de(app)
        ids = [e.payload.get("entrega_id") for e in envios]
        entregas = {
            x.id: x
            for x in await Entrega.filter(
                id__in=[i for i in ids if isinstance(i, int)]
            ).prefetch_related("suscripcion")
        }
        grupos: dict[tuple[int, str], list[tuple[Envio, Entrega]]] = {}
        for envio, entrega_id in zip(envios, ids, strict=True):
            entrega = entregas.get(entrega_id) if isinstance(entrega_id, int) else None
            if entrega is None:
                # Its subscription was deleted (and its deliveries with it).
                yield Outcome(envio, EstadoEnvio.REGISTRADO)
                continue
            orden = entrega.clave_orden or f"sin-orden:{entrega.id}"
            grupos.setdefault((entrega.suscripcion_id, orden), []).append((envio, entrega))
        if not grupos:
            return
        from core import keys

        lease = app[keys.SETTINGS].outbox_lease_seconds
        # Half the lease for sending: the other half for the last request's timeout and
        # recording, so that no row is sent after another process may have claimed it.
        limite = time.monotonic() + max(lease / 2 - ajustes.timeout_segundos, 1.0)
        salida: asyncio.Queue[Outcome] = asyncio.Queue()
        total = sum(len(g) for g in grupos.values())
        async with _sesion(ajustes) as session:
            ctx = _Contexto(app, ajustes, session, limite)
            tareas = [
                asyncio.create_task(_grupo(ctx, sorted(g, key=lambda p: p[1].id), salida))
                for g in grupos.values()
            ]
            try:
                for _ in range(total):
                    yield await salida.get()
            finally:
                for tarea in tareas:
                    tarea.cancel()
                await asyncio.gather(*tareas, return_exceptions=True)

    return OutboxChannel(CANAL, entregar)
