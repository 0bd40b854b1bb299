"""An admin deactivating a user through ``PATCH /api/soporte/usuarios/{id}/`` ends that user's
sessions everywhere: their open socket is closed with 4401 and their tokens stop working; a
role change closes their sockets too (they reconnect with the new role), tokens kept."""

from __future__ import annotations

import pytest

from core.auth.models import Rol, Token
from core.sessions import CLOSE_UNAUTHENTICATED
from core.testing import SoporteClient, token_of
from tests.reliability.test_sesiones import cerrado, conectar, crear_ticket, sigue_abierto

pytestmark = pytest.mark.plugins("tickets", "chat")


async def test_deactivation_by_an_admin_closes_the_users_sockets(soporte: SoporteClient) -> None:
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    ana = await soporte.usuario("ana", Rol.AGENTE)
    lucia = await soporte.usuario("lucia")
    ticket = await crear_ticket(soporte, lucia)
    ws = await conectar(soporte, ticket, token_of(ana))
    otro = await conectar(soporte, ticket, token_of(lucia))

    r = await soporte.patch(
        f"/api/soporte/usuarios/{ana.id}/", headers=soporte.auth(jefa), json={"activo": False}
    )
    assert r.status == 200, await r.text()

    assert await cerrado(ws) == CLOSE_UNAUTHENTICATED
    assert await Token.filter(usuario_id=ana.id).count() == 0
    await sigue_abierto(soporte, otro)


async def test_a_role_change_closes_the_sockets_but_keeps_the_token(
    soporte: SoporteClient,
) -> None:
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    ana = await soporte.usuario("ana", Rol.AGENTE)
    lucia = await soporte.usuario("lucia")
    ticket = await crear_ticket(soporte, lucia)
    ws = await conectar(soporte, ticket, token_of(ana))
    r = await soporte.patch(
        f"/api/soporte/usuarios/{ana.id}/", headers=soporte.auth(jefa), json={"rol": "ADMIN"}
    )
    assert r.status == 200, await r.text()
    assert await cerrado(ws) == CLOSE_UNAUTHENTICATED
    r = await soporte.get("/api/auth/yo/", headers=soporte.auth(ana))
    assert (await r.json())["rol"] == "ADMIN"
