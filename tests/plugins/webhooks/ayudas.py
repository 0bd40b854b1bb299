"""A real webhook receiver on loopback, and helpers of the ``webhooks`` tests."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

#: Settings of every test app: the receiver is on loopback, and retries come fast.
RAPIDO: dict[str, Any] = {"outbox_poll_seconds": 0.05, "outbox_retry_base_seconds": 0.05}
WEBHOOKS: dict[str, Any] = {"permitir_privadas": True, "reintento_base_segundos": 0.1}


def ajustes(escalamiento: dict[str, Any] | None = None, **webhooks: Any) -> dict[str, Any]:
    """``start_app`` overrides: fast outbox, the given ``SOPORTE_WEBHOOKS_*`` values (and
    ``escalamiento``'s settings)."""
    return {
        **RAPIDO,
        "plugin_settings": {
            "escalamiento": escalamiento or {"interval": 0},
            "webhooks": {**WEBHOOKS, **webhooks},
        },
    }


@dataclass
class Recibida:
    """One request the receiver got, as it arrived."""

    cuerpo: bytes
    cabeceras: dict[str, str]
    estado: int

    @property
    def json(self) -> Any:
        """The parsed body."""
        return json.loads(self.cuerpo)

    @property
    def entrega(self) -> str:
        """The ``Soporte-Entrega`` header."""
        return self.cabeceras["Soporte-Entrega"]


@dataclass
class Receptor:
    """An aiohttp server on 127.0.0.1 recording every request; ``responder(recibida)`` picks
    the status (default 200)."""

    url: str = ""
    recibidas: list[Recibida] = field(default_factory=list)
    responder: Callable[[Recibida], int] = lambda _: 200

    @property
    def ok(self) -> list[Recibida]:
        """The requests answered 2xx."""
        return [r for r in self.recibidas if 200 <= r.estado < 300]

    async def manejar(self, request: web.Request) -> web.Response:
        """Record the request and answer with :attr:`responder`'s status."""
        recibida = Recibida(await request.read(), dict(request.headers), 0)
        recibida.estado = self.responder(recibida)
        self.recibidas.append(recibida)
        return web.Response(status=recibida.estado, text=f"recibido {len(self.recibidas)}")


async def hasta(
    condicion: Callable[[], Awaitable[bool] | bool], espera: float = 10.0, paso: float = 0.05
) -> None:
    """Wait until ``condicion()`` holds; an AssertionError after ``espera`` seconds."""
    limite = time.monotonic() + espera
    while True:
        valor = condicion()
        if not isinstance(valor, bool):
            valor = await valor
        if valor:
            return
        if time.monotonic() > limite:
            raise AssertionError("the condition did not hold in time")
        await asyncio.sleep(paso)


async def sin_pendientes() -> bool:
    """Whether no webhook delivery waits in the outbox."""
    from core.outbox_models import Envio

    return not await Envio.filter(canal="webhooks", estado="PENDIENTE").exists()
