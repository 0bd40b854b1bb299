"""Account flows under concurrency and their sessions: a reset link used twice at once works
once; a reset closes every socket of the user (4401) and a profile password change every
socket but those of the token that made it."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

import pytest

from core.auth.models import Token
from core.mail import Mail
from core.outbox_models import Envio
from core.sessions import CLOSE_UNAUTHENTICATED
from core.testing import TEST_PASSWORD, token_of
from tests.reliability.test_sesiones import (
    cerrado,
    conectar,
    crear_ticket,
    otro_token,
    sigue_abierto,
)

if TYPE_CHECKING:
    from core.testing import SoporteClient

pytestmark = pytest.mark.plugins("tickets", "chat")

_TOKEN = re.compile(r"/restablecer/\?token=([\w-]+)")


async def token_mailed(soporte: SoporteClient, email: str) -> str:
    """Ask for a reset of ``email``; the token of the link in the mail queued for it."""
    r = await soporte.post("/api/auth/password/olvido/", json={"email": email})
    assert r.status == 202, await r.text()
    fila = await Envio.filter(canal="mail").order_by("-id").first()
    assert fila is not None
    mail = Mail.from_payload(fila.payload, fila.message_id)
    match = _TOKEN.search(mail.text)
    assert match is not None, mail.text
    return match[1]


async def test_two_parallel_uses_of_one_link_succeed_once(soporte: SoporteClient) -> None:
    await soporte.usuario("ana")
    token = await token_mailed(soporte, "ana@example.test")
    claves = ("primera-clave-larga", "segunda-clave-larga")
    respuestas = await asyncio.gather(
        *(
            soporte.post(
                "/api/auth/password/restablecer/", json={"token": token, "password": clave}
            )
            for clave in claves
        )
    )
    assert sorted(r.status for r in respuestas) == [204, 400]
    ganadora = claves[[r.status for r in respuestas].index(204)]
    perdedora = claves[1 - claves.index(ganadora)]
    r = await soporte.post("/api/auth/token/", json={"username": "ana", "password": ganadora})
    assert r.status == 200
    r = await soporte.post("/api/auth/token/", json={"username": "ana", "password": perdedora})
    assert r.status == 401


async def test_a_reset_closes_every_socket_and_revokes_every_token(
    soporte: SoporteClient,
) -> None:
    ana = await soporte.usuario("ana")
    luis = await soporte.usuario("luis")
    ticket = await crear_ticket(soporte, ana)
    movil = await otro_token(ana)
    sockets = [
        await conectar(soporte, ticket, token_of(ana)),
        await conectar(soporte, ticket, movil),
    ]
    ajeno = await conectar(soporte, await crear_ticket(soporte, luis), token_of(luis))

    token = await token_mailed(soporte, "ana@example.test")
    r = await soporte.post(
        "/api/auth/password/restablecer/", json={"token": token, "password": "nueva-clave-larga"}
    )
    assert r.status == 204, await r.text()

    for ws in sockets:
        assert await cerrado(ws) == CLOSE_UNAUTHENTICATED
    for raw in (token_of(ana), movil):
        r = await soporte.get("/api/auth/yo/", headers={"Authorization": f"Bearer {raw}"})
        assert r.status == 401
    assert await Token.filter(usuario_id=ana.id).count() == 0
    await sigue_abierto(soporte, ajeno)


async def test_a_profile_password_change_keeps_only_this_tokens_sockets(
    soporte: SoporteClient,
) -> None:
    ana = await soporte.usuario("ana")
    ticket = await crear_ticket(soporte, ana)
    movil = await otro_token(ana)
    este = await conectar(soporte, ticket, token_of(ana))
    otro = await conectar(soporte, ticket, movil)

    r = await soporte.patch(
        "/api/auth/yo/",
        headers=soporte.auth(ana),
        json={"password": "nueva-clave-larga", "password_actual": TEST_PASSWORD},
    )
    assert r.status == 200, await r.text()

    assert await cerrado(otro) == CLOSE_UNAUTHENTICATED
    await sigue_abierto(soporte, este)
    r = await soporte.get("/api/auth/yo/", headers={"Authorization": f"Bearer {movil}"})
    assert r.status == 401
