"""The raw endpoint's credential: ``Authorization: Bearer <token>``, where the token is the
key derived from the secret key for :data:`PROPOSITO` (:mod:`core.keyring`) — never a user's
token, never the secret key itself. ``soporte correo token`` prints it, for the mail
provider's inbound webhook. A secret-key rotation changes it; tokens of the secrets in
``SOPORTE_SECRET_KEY_FALLBACKS`` keep working until those are removed.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Final

import click

from core.cli import Env, pass_env
from core.keyring import Keyring, keyring

if TYPE_CHECKING:
    from aiohttp import web

#: The key purpose of the inbound endpoint's token.
PROPOSITO: Final = "correo.entrante"
_BEARER: Final = "bearer "


def token(claves: Keyring) -> str:
    """The current token of the inbound endpoint."""
    return claves.key(PROPOSITO)


def autorizado(app: web.Application, cabecera: str | None) -> bool:
    """Whether an ``Authorization`` header carries a valid token: compared in constant time
    with the token of the current secret and of every fallback secret."""
    if not cabecera or cabecera[: len(_BEARER)].lower() != _BEARER:
        return False
    dado = cabecera[len(_BEARER) :].strip().encode()
    valido = False
    for clave in keyring(app).verification_keys(PROPOSITO):
        # Every key is compared (no early exit): the time says nothing about which matched.
        valido |= hmac.compare_digest(dado, clave.encode())
    return valido


@click.command("token")
@pass_env
def comando_token(env: Env) -> None:
    """Print the token of POST /api/soporte/correo/entrante/ (Authorization: Bearer …)."""
    click.echo(token(Keyring.from_settings(env.settings)))
