"""Notification channels for escalations: what a notifier receives, and the built-in ones.

Built-in: ``log`` (always; a line on the ``soporte.escalamiento`` logger) and ``webhook``
(when ``SOPORTE_ESCALAMIENTO_WEBHOOK_URL`` is set).

The webhook sends :meth:`Notificacion.a_dict` as a JSON ``POST``, **signed**: the headers
``X-Soporte-Timestamp`` (Unix seconds) and ``X-Soporte-Firma: sha256=<hex>``, the HMAC-SHA256
of ``b"<timestamp>." + body`` with ``SOPORTE_ESCALAMIENTO_WEBHOOK_SECRET`` (default: the secret
key); ``X-Soporte-Entrega`` identifies the delivery (the same on every retry, so a receiver can
drop duplicates). A receiver checks them with :func:`verificar_firma`.

Deliveries never hold up the escalation pass: :meth:`WebhookNotificador.notificar` queues a
background task and returns. The task tries up to 3 times, 0.5 s then 1 s apart, on connection
errors, timeouts and 5xx answers (a 4xx is final: retrying cannot fix the request), and gives up
after :data:`TIMEOUT_NOTIFICADOR` seconds in all; a failure is logged. The plugin awaits (then
cancels) the deliveries still running when the app shuts down (:meth:`~WebhookNotificador.aclose`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from yarl import URL

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime

__all__ = [
    "CABECERA_ENTREGA",
    "CABECERA_FIRMA",
    "CABECERA_TIMESTAMP",
    "TIMEOUT_NOTIFICADOR",
    "Destinatario",
    "LogNotificador",
    "Notificacion",
    "WebhookNotificador",
    "firmar",
    "notificadores_integrados",
    "verificar_firma",
]

log = logging.getLogger("soporte.escalamiento")

#: A notifier call (or a whole webhook delivery, retries included) slower than this is abandoned
#: and logged.
TIMEOUT_NOTIFICADOR: Final = 30.0

CABECERA_TIMESTAMP: Final = "X-Soporte-Timestamp"
CABECERA_FIRMA: Final = "X-Soporte-Firma"
CABECERA_ENTREGA: Final = "X-Soporte-Entrega"
_PREFIJO_FIRMA: Final = "sha256="


@dataclass(frozen=True)
class Destinatario:
    """An active agent to notify, resolved from the level's ``notificar`` (ids and roles)."""

    id: int
    username: str
    nombre: str
    email: str


@dataclass(frozen=True)
class Notificacion:
    """One escalation, as every notifier receives it."""

    ticket_id: int
    numero: str
    asunto: str
    prioridad: str
    categoria: str
    nivel: int
    nombre_nivel: str
    regla_id: int | None
    regla_nombre: str
    politica: str
    alerta_nivel: str
    mensaje: str
    fecha: datetime
    #: The level's ``notificar`` as configured: user ids and roles.
    notificar: tuple[int | str, ...] = ()
    #: Those ids and roles resolved to active agents.
    destinatarios: tuple[Destinatario, ...] = field(default=())

    def a_dict(self) -> dict[str, Any]:
        """JSON-ready form (the webhook's body)."""
        data = asdict(self)
        data["fecha"] = self.fecha.isoformat()
        data["notificar"] = list(self.notificar)
        data["destinatarios"] = [asdict(d) for d in self.destinatarios]
        return data


class LogNotificador:
    """Writes each escalation to the ``soporte.escalamiento`` logger (level WARNING)."""

    name = "log"

    def notificar(self, notificacion: Notificacion) -> None:
        """Log one line naming the ticket, the level and the recipients."""
        quienes = ", ".join(d.username for d in notificacion.destinatarios) or "nadie"
        log.warning("%s (avisar a: %s)", notificacion.mensaje, quienes)


# --- signatures --------------------------------------------------------------------------------


def _bytes(valor: str | bytes) -> bytes:
    return valor.encode() if isinstance(valor, str) else valor


def firmar(secreto: str | bytes, timestamp: int | str, cuerpo: bytes) -> str:
    """The ``X-Soporte-Firma`` value: ``sha256=`` + hex HMAC-SHA256 of ``b"<timestamp>." + cuerpo``.

    Signing the timestamp with the body stops an old, captured request from being replayed
    later with a fresh timestamp.
    """
    mensaje = f"{timestamp}.".encode() + cuerpo
    return _PREFIJO_FIRMA + hmac.new(_bytes(secreto), mensaje, hashlib.sha256).hexdigest()


def verificar_firma(
    secreto: str | bytes,
    timestamp: int | str | None,
    cuerpo: bytes,
    firma: str | None,
    tolerancia: float = 300,
    *,
    ahora: float | None = None,
) -> bool:
    """Whether a webhook request is authentic and recent — for receivers.

    ``timestamp`` and ``firma`` are the ``X-Soporte-Timestamp`` and ``X-Soporte-Firma`` headers
    (``None`` when missing), ``cuerpo`` the raw body bytes as received (before parsing the
    JSON). False when a header is missing or malformed, the signature does not match (another
    secret, a changed body or timestamp), or the timestamp is more than ``tolerancia`` seconds
    away from ``ahora`` (default: the current Unix time). Compares in constant time.
    """
    if timestamp is None or firma is None:
        return False
    try:
        instante = int(timestamp)
    except (TypeError, ValueError):
        return False
    reloj = time.time() if ahora is None else ahora
    if abs(reloj - instante) > tolerancia:
        return False
    # As bytes: compare_digest refuses non-ASCII strings, and a header may carry anything.
    esperada = firmar(secreto, instante, cuerpo).encode()
    return hmac.compare_digest(esperada, firma.strip().encode("utf-8", "replace"))


# --- the webhook -------------------------------------------------------------------------------


class _Reintentable(Exception):
    """A failed attempt worth repeating (connection error, timeout, 5xx)."""


class WebhookNotificador:
    """POSTs each escalation as signed JSON to a URL (chat-ops, paging, an integration).

    ``dormir`` (the back-off wait) and ``reloj`` (the timestamp's Unix time) are injectable so
    tests neither sleep nor depend on the wall clock.
    """

    name = "webhook"

    def __init__(
        self,
        url: str,
        secreto: str,
        *,
        timeout: float = 10.0,
        intentos: int = 3,
        espera: float = 0.5,
        limite: float = TIMEOUT_NOTIFICADOR,
        plazo_cierre: float = 10.0,
        dormir: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        reloj: Callable[[], float] = time.time,
    ) -> None:
        parsed = URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(
                f"SOPORTE_ESCALAMIENTO_WEBHOOK_URL must be an http(s) URL, not {url!r}"
            )
        if not secreto:
            raise ValueError("the escalation webhook needs a non-empty signing secret")
        self.url = url
        self._secreto = secreto.encode()
        #: Seconds one attempt may take.
        self.timeout = timeout
        #: Attempts per delivery (1 = no retry).
        self.intentos = max(1, intentos)
        #: Wait before the first retry; doubled before each next one.
        self.espera = espera
        #: Seconds a whole delivery may take, retries included.
        self.limite = limite
        #: Seconds :meth:`aclose` lets running deliveries finish before cancelling them.
        self.plazo_cierre = plazo_cierre
        self.dormir = dormir
        self.reloj = reloj
        self._pendientes: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:  # never show the secret
        return f"WebhookNotificador({self.url!r})"

    @property
    def pendientes(self) -> int:
        """Deliveries still running in the background."""
        return len(self._pendientes)

    def notificar(self, notificacion: Notificacion) -> None:
        """Queue the delivery as a background task and return at once (never blocks the pass).

        Must be called with an event loop running (the escalation pass always is).
        """
        cuerpo = json.dumps(notificacion.a_dict(), ensure_ascii=False).encode()
        tarea = asyncio.create_task(
            self._entregar_y_registrar(notificacion, cuerpo),
            name=f"soporte-webhook-{notificacion.ticket_id}-{notificacion.nivel}",
        )
        self._pendientes.add(tarea)
        tarea.add_done_callback(self._pendientes.discard)

    async def entregar(self, cuerpo: bytes, entrega: str | None = None) -> int:
        """POST ``cuerpo`` with retries; returns the attempts used. Raises on final failure.

        Each attempt is signed afresh (a retry carries its own timestamp) and keeps the same
        ``X-Soporte-Entrega`` id.
        """
        entrega = entrega or uuid.uuid4().hex
        espera = self.espera
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        intento = 1
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    await self._intento(session, cuerpo, entrega)
                    return intento
                except _Reintentable as exc:
                    if intento >= self.intentos:
                        raise RuntimeError(
                            f"webhook {self.url}: {exc} (after {intento} attempts)"
                        ) from exc
                    log.info("webhook %s: %s; retrying in %g s", self.url, exc, espera)
                await self.dormir(espera)
                espera *= 2
                intento += 1

    async def _intento(self, session: aiohttp.ClientSession, cuerpo: bytes, entrega: str) -> None:
        timestamp = int(self.reloj())
        cabeceras = {
            "Content-Type": "application/json",
            CABECERA_TIMESTAMP: str(timestamp),
            CABECERA_FIRMA: firmar(self._secreto, timestamp, cuerpo),
            CABECERA_ENTREGA: entrega,
        }
        try:
            async with session.post(self.url, data=cuerpo, headers=cabeceras) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _Reintentable(f"{type(exc).__name__}: {exc}") from exc
        if status >= 500:
            raise _Reintentable(f"answered {status}")
        if status >= 400:
            raise RuntimeError(f"webhook {self.url} answered {status}")

    async def _entregar_y_registrar(self, notificacion: Notificacion, cuerpo: bytes) -> None:
        """The background task: deliver within :attr:`limite`, log the outcome, never raise."""
        try:
            await asyncio.wait_for(self.entregar(cuerpo), self.limite)
        except TimeoutError:
            log.error(
                "notifier 'webhook' gave up on ticket %s level %s after %g s",
                notificacion.ticket_id,
                notificacion.nivel,
                self.limite,
            )
        except Exception:
            log.exception(
                "notifier 'webhook' failed for ticket %s level %s",
                notificacion.ticket_id,
                notificacion.nivel,
            )

    async def esperar(self, plazo: float | None = None) -> None:
        """Wait until the queued deliveries end (or ``plazo`` seconds pass)."""
        if self._pendientes:
            await asyncio.wait(set(self._pendientes), timeout=plazo)

    async def aclose(self) -> None:
        """At shutdown: let running deliveries finish for :attr:`plazo_cierre` s, then cancel
        the rest."""
        await self.esperar(self.plazo_cierre)
        restantes = set(self._pendientes)
        if restantes:
            log.warning("webhook: %d delivery(ies) cancelled at shutdown", len(restantes))
            for tarea in restantes:
                tarea.cancel()
            await asyncio.gather(*restantes, return_exceptions=True)


def notificadores_integrados(webhook_url: str | None, secreto: str | None = None) -> list[Any]:
    """``log``, plus ``webhook`` when ``SOPORTE_ESCALAMIENTO_WEBHOOK_URL`` is set.

    ``secreto`` signs the webhook's requests (required with a URL).
    """
    found: list[Any] = [LogNotificador()]
    url = (webhook_url or "").strip()
    if url:
        found.append(WebhookNotificador(url, secreto or ""))
    return found
