"""Fixtures of the ``webhooks`` tests: a real receiver, an app with the plugin, its users."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from core.auth.models import Rol, Usuario
from core.testing import SoporteClient
from tests.plugins.webhooks.ayudas import Receptor, ajustes


@pytest.fixture
async def receptor() -> AsyncIterator[Receptor]:
    """A receiver listening on loopback (``receptor.url``)."""
    recibe = Receptor()
    app = web.Application()
    app.router.add_post("/{tail:.*}", recibe.manejar)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    recibe.url = str(server.make_url("/hook"))
    try:
        yield recibe
    finally:
        await server.close()


@dataclass
class Kit:
    """A started app with tickets and webhooks; its admin, agent and customer."""

    soporte: SoporteClient
    admin: Usuario
    agente: Usuario
    cliente: Usuario

    async def api(self, metodo: str, ruta: str, usuario: Usuario, **kw: Any) -> Any:
        """Call ``ruta`` as ``usuario``; the response."""
        return await self.soporte.request(metodo, ruta, headers=self.soporte.auth(usuario), **kw)

    async def suscribir(self, url: str, eventos: list[str] | None = None) -> dict[str, Any]:
        """Create a subscription as the admin; its JSON (with the secret)."""
        r = await self.api(
            "POST",
            "/api/soporte/webhooks/",
            self.admin,
            json={"url": url, "eventos": eventos or ["*"]},
        )
        assert r.status == 201, await r.text()
        datos: dict[str, Any] = await r.json()
        return datos

    async def ticket(self, asunto: str = "No carga la reserva") -> int:
        """A ticket opened by the customer; its id."""
        cuerpo = {"asunto": asunto, "categoria": "TECNICO", "descripcion": "Error 500"}
        r = await self.api("POST", "/api/soporte/tickets/", self.cliente, json=cuerpo)
        assert r.status == 201, await r.text()
        return int((await r.json())["id"])

    async def responder(self, ticket_id: int, mensaje: str, interna: bool = False) -> None:
        """A reply by the agent (an internal note with ``interna``)."""
        ruta = f"/api/soporte/tickets/{ticket_id}/responder/"
        r = await self.api("POST", ruta, self.agente, json={"mensaje": mensaje, "interna": interna})
        assert r.status == 201, await r.text()


@pytest.fixture
def arrancar(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> Callable[..., Awaitable[Kit]]:
    """``await arrancar(plugins=…, **webhooks_settings)``: a started app and its users."""

    async def start(plugins: list[str] | None = None, **webhooks: Any) -> Kit:
        soporte = await start_app(plugins or ["tickets", "webhooks"], **ajustes(**webhooks))
        return Kit(
            soporte,
            await soporte.usuario("admin", Rol.ADMIN),
            await soporte.usuario("agente", Rol.AGENTE),
            await soporte.usuario("cliente", Rol.CLIENTE),
        )

    return start
