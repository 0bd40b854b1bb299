"""Single-use account tokens: the secret of a password-reset or e-mail verification link.

The secret is random (256 bits) and only its HMAC-SHA256 under the purpose's derived key
(:mod:`core.keyring`) is stored, so neither a copy of ``core_token_cuenta`` nor a row written
into it by someone without the secret key gives a working link. After a key rotation, links
issued under a fallback secret still verify until they expire (one query for every key).

A token is used up by deleting its row: of two requests racing with the same secret, exactly
one deletes it (the database answers one ``DELETE`` with a row count of 1, the other with 0).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from core.auth.models import PropositoToken, TokenCuenta, Usuario
from core.auth.passwords import new_token
from core.keyring import EMAIL_VERIFICATION, PASSWORD_RESET

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient

    from core.keyring import Keyring

#: The keyring purpose that keys the stored hashes of each kind of token.
_PURPOSES = {
    PropositoToken.RESTABLECER: PASSWORD_RESET,
    PropositoToken.VERIFICAR: EMAIL_VERIFICATION,
}
#: Longer than any secret :func:`new_token` makes: refused before any hashing or query.
_MAX_SECRET = 256


def stored_hash(key: str, raw: str) -> str:
    """What is stored of the secret ``raw`` under ``key``: HMAC-SHA256, as hex."""
    return hmac.new(key.encode(), raw.encode(), hashlib.sha256).hexdigest()


def new_secret(keyring: Keyring, proposito: PropositoToken) -> tuple[str, str]:
    """A fresh secret and its stored hash (computed whether or not a row is written, so that
    an unknown address costs the same work as a known one)."""
    raw = new_token()
    return raw, stored_hash(keyring.key(_PURPOSES[proposito]), raw)


async def store(
    usuario: Usuario,
    proposito: PropositoToken,
    key_hash: str,
    ttl: timedelta,
    *,
    email: str = "",
    using_db: BaseDBAsyncClient | None = None,
) -> TokenCuenta:
    """Keep ``key_hash`` as ``usuario``'s one live token of ``proposito`` (valid ``ttl``): every
    earlier token of theirs for the same purpose stops working."""
    await TokenCuenta.filter(usuario_id=usuario.id, proposito=proposito).using_db(using_db).delete()
    return await TokenCuenta.create(
        key_hash=key_hash,
        proposito=proposito,
        usuario_id=usuario.id,
        email=email,
        expira=datetime.now(UTC) + ttl,
        using_db=using_db,
    )


@dataclass(frozen=True)
class Found:
    """A live token and its (active) user, not used up yet."""

    token: TokenCuenta
    usuario: Usuario


async def find(keyring: Keyring, proposito: PropositoToken, raw: str) -> Found | None:
    """The live token of ``proposito`` whose secret is ``raw``, with its active user; ``None``
    for an unknown, expired or used secret, or a deactivated user. Nothing is used up."""
    if not raw or len(raw) > _MAX_SECRET:
        return None
    hashes = [stored_hash(k, raw) for k in keyring.verification_keys(_PURPOSES[proposito])]
    token = (
        await TokenCuenta.filter(
            key_hash__in=hashes, proposito=proposito, expira__gt=datetime.now(UTC)
        )
        .select_related("usuario")
        .first()
    )
    if token is None or not token.usuario.activo:
        return None
    return Found(token, token.usuario)


async def use_up(token: TokenCuenta, using_db: BaseDBAsyncClient | None = None) -> bool:
    """Delete ``token``; whether this call did (``False``: another request used it first)."""
    deleted: int = await TokenCuenta.filter(id=token.id).using_db(using_db).delete()
    return deleted == 1


async def revoke_all(
    usuario_id: int, proposito: PropositoToken, using_db: BaseDBAsyncClient | None = None
) -> None:
    """Delete every token of ``proposito`` of the user."""
    await TokenCuenta.filter(usuario_id=usuario_id, proposito=proposito).using_db(using_db).delete()
