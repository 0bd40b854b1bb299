"""Fixtures of the FAQ tests: an admin, and a helper that creates FAQs through the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from core.auth.models import Rol
from tests.plugins.faq.ayudas import URL

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.auth.models import Usuario
    from core.testing import SoporteClient


@pytest.fixture
async def admin(soporte: SoporteClient) -> Usuario:
    """A user with the ADMIN role (and a token)."""
    return await soporte.usuario("admin", Rol.ADMIN)


@pytest.fixture
def crear_faq(soporte: SoporteClient, admin: Usuario) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``await crear_faq(pregunta=…, respuesta=…, categoria=…, **more)`` → the created FAQ."""

    async def crear(
        pregunta: str = "¿Pregunta?",
        respuesta: str = "Respuesta.",
        categoria: str = "General",
        **extra: Any,
    ) -> dict[str, Any]:
        body = {"pregunta": pregunta, "respuesta": respuesta, "categoria": categoria, **extra}
        r = await soporte.post(URL, json=body, headers=soporte.auth(admin))
        assert r.status == 201, await r.text()
        return await r.json()

    return crear
