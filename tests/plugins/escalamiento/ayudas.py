"""Helpers of the ``escalamiento`` tests: users, rules and tickets through the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from core import hookimpl, keys
from plugins.escalamiento import service
from plugins.escalamiento.politicas import REGISTRO
from plugins.tickets.models import Ticket

if TYPE_CHECKING:
    from collections.abc import Sequence

    from core.auth.models import Usuario
    from core.testing import SoporteClient

REGLAS = "/api/soporte/escalamiento/reglas/"
MONITOR = "/api/soporte/escalamiento/monitor/"
POLITICAS = "/api/soporte/escalamiento/politicas/"


def regla_guia(**cambios: Any) -> dict[str, Any]:
    """The body the guide's ``configurarEscalamiento`` sends, with changes."""
    body: dict[str, Any] = {
        "tiempo_respuesta_maximo": 2,
        "prioridades_escalamiento": ["ALTA", "MEDIA"],
        "niveles_escalamiento": 3,
        "notificaciones_automaticas": True,
    }
    body.update(cambios)
    return body


def ahora() -> datetime:
    """Now, aware UTC."""
    return datetime.now(UTC)


@dataclass
class Kit:
    """A started app with ``tickets`` and ``escalamiento``, an admin, an agent and a customer."""

    soporte: SoporteClient
    admin: Usuario
    agente: Usuario
    cliente: Usuario

    async def regla(self, **cambios: Any) -> dict[str, Any]:
        """Create a rule through the API (as the admin); returns its JSON."""
        r = await self.soporte.post(
            REGLAS, json=regla_guia(**cambios), headers=self.soporte.auth(self.admin)
        )
        assert r.status == 201, await r.text()
        return await r.json()

    async def ticket(
        self,
        prioridad: str = "ALTA",
        categoria: str = "TECNICO",
        *,
        esperando_hace: timedelta | None = None,
        cliente: Usuario | None = None,
        asunto: str = "No puedo acceder a mi reserva",
    ) -> int:
        """Open a ticket through the API; ``esperando_hace`` backdates its waiting clock."""
        r = await self.soporte.post(
            "/api/soporte/tickets/",
            json={
                "asunto": asunto,
                "descripcion": "Detalle del problema",
                "categoria": categoria,
                "prioridad": prioridad,
            },
            headers=self.soporte.auth(cliente or self.cliente),
        )
        assert r.status == 201, await r.text()
        ticket_id = (await r.json())["id"]
        if esperando_hace is not None:
            await self.esperando(ticket_id, ahora() - esperando_hace)
        return ticket_id

    @staticmethod
    async def esperando(ticket_id: int, desde: datetime | None) -> None:
        """Set the ticket's waiting clock directly (simulates time passing)."""
        await Ticket.filter(id=ticket_id).update(esperando_desde=desde)

    async def responder(self, ticket_id: int, usuario: Usuario, mensaje: str = "Hola") -> None:
        """Reply through ``POST /responder/`` (JSON)."""
        r = await self.soporte.post(
            f"/api/soporte/tickets/{ticket_id}/responder/",
            json={"mensaje": mensaje},
            headers=self.soporte.auth(usuario),
        )
        assert r.status == 201, await r.text()

    async def pasada(self, cuando: datetime | None = None, **kw: Any) -> list[service.Escalado]:
        """One escalation pass of this app (at ``cuando``, default now)."""
        app = self.soporte.app
        return await service.escalar(app[keys.EVENTS], app[REGISTRO], ahora=cuando, **kw)

    async def monitor(self, usuario: Usuario | None = None) -> dict[str, Any]:
        """``GET /monitor/`` as ``usuario`` (default: the agent)."""
        r = await self.soporte.get(MONITOR, headers=self.soporte.auth(usuario or self.agente))
        assert r.status == 200, await r.text()
        return await r.json()

    @staticmethod
    async def nivel(ticket_id: int) -> int:
        """The ticket's ``nivel_escalamiento`` in the database."""
        return (await Ticket.get(id=ticket_id)).nivel_escalamiento

    def eventos(self, nombre: str) -> list[Any]:
        """Events published so far with that name."""
        return [e for e in self.soporte.events if e.name == nombre]


class Extra:
    """An ad-hoc plugin adding escalation policies and notifiers (as a third party would)."""

    requires = ("escalamiento",)

    def __init__(
        self, politicas: Sequence[Any] = (), notificadores: Sequence[Any] = (), name: str = "extra"
    ) -> None:
        self.name = name
        self.politicas = list(politicas)
        self.notificadores = list(notificadores)

    @hookimpl
    def register_escalation_policies(self) -> list[Any]:
        """The policies given."""
        return self.politicas

    @hookimpl
    def register_notifiers(self, app: Any) -> list[Any]:
        """The notifiers given."""
        return self.notificadores
