"""Notification channels for escalations: what a notifier receives, and the built-in ones.

Built-in: ``log`` (always; a line on the ``soporte.escalamiento`` logger) and ``webhook``
(when ``SOPORTE_ESCALAMIENTO_WEBHOOK_URL`` is set: a JSON ``POST`` of
:meth:`Notificacion.a_dict` to that URL, 10 s timeout; an answer of 400 or more is an error).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "Destinatario",
    "LogNotificador",
    "Notificacion",
    "WebhookNotificador",
    "notificadores_integrados",
]

log = logging.getLogger("soporte.escalamiento")


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


class WebhookNotificador:
    """POSTs each escalation as JSON to a URL (chat-ops, paging, an integration)."""

    name = "webhook"

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parsed = URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(
                f"SOPORTE_ESCALAMIENTO_WEBHOOK_URL must be an http(s) URL, not {url!r}"
            )
        self.url = url
        self.timeout = timeout

    async def notificar(self, notificacion: Notificacion) -> None:
        """POST :meth:`Notificacion.a_dict`; an HTTP error status raises."""
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(self.url, json=notificacion.a_dict()) as response,
        ):
            if response.status >= 400:
                raise RuntimeError(f"webhook {self.url} answered {response.status}")


def notificadores_integrados(webhook_url: str | None) -> list[Any]:
    """``log``, plus ``webhook`` when ``SOPORTE_ESCALAMIENTO_WEBHOOK_URL`` is set."""
    found: list[Any] = [LogNotificador()]
    url = (webhook_url or "").strip()
    if url:
        found.append(WebhookNotificador(url))
    return found
