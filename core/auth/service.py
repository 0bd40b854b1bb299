"""Account rules, free of HTTP: creating users, logging in with throttling, tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError

from core.api.errors import BadRequest, Unauthorized
from core.auth.models import Rol, Token, Usuario
from core.auth.passwords import PasswordHashing, default_hashing, hash_token, new_token

if TYPE_CHECKING:
    from core.ratelimit import RateLimits
    from core.sessions import SessionEnder

#: The shortest password :func:`cambiar_password` accepts (as ``soporte createuser``).
MIN_PASSWORD = 8


async def crear_usuario(
    username: str,
    password: str,
    rol: Rol = Rol.CLIENTE,
    *,
    nombre: str = "",
    email: str = "",
    password_hash: str | None = None,
    hashing: PasswordHashing | None = None,
) -> Usuario:
    """Create a user; a taken username is a 400 on ``username``.

    ``password_hash`` lets callers that create many users (tests, bulk demo data) reuse one
    precomputed hash instead of paying argon2 for each. The hash is computed on ``hashing``'s
    threads (the app's pool; by default the process's own), never on the event loop.
    """
    if password_hash is None:
        password_hash = await (hashing or default_hashing()).hash(password)
    try:
        return await Usuario.create(
            username=username,
            password_hash=password_hash,
            rol=rol,
            nombre=nombre,
            email=email,
        )
    except IntegrityError as exc:
        raise BadRequest(
            "Datos inválidos.", errors={"username": ["Ese nombre de usuario ya existe."]}
        ) from exc


async def emitir_token(usuario: Usuario, ttl: timedelta) -> tuple[str, Token]:
    """A new random token for ``usuario``; only its hash is stored."""
    raw = new_token()
    token = await Token.create(
        key_hash=hash_token(raw), usuario=usuario, expira=datetime.now(UTC) + ttl
    )
    return raw, token


async def login(
    username: str,
    password: str,
    client: str,
    limits: RateLimits,
    hashing: PasswordHashing,
    ttl: timedelta,
) -> tuple[str, Token, Usuario]:
    """Check credentials and issue a token.

    Three rate limits are hit *before* the password is verified, so parallel guesses cannot
    all be checked: per client address over all accounts (made-up usernames), per account over
    all addresses (a ceiling against distributed guessing), and per account and address
    (``login_max_failures`` per ``login_window_seconds``). Each hit is reserved atomically; a
    success clears the account-and-address count, so only failures add up there. Over any of
    them the answer is a 429 whose ``Retry-After`` says when the window has room. Unknown users
    and wrong passwords get the same answer after the same work (a dummy hash).
    """
    account = username.lower()[:150]
    await limits.hit("login_address", client)
    await limits.hit("login_account", account)
    await limits.hit(
        "login", account, client, que="intentos fallidos de inicio de sesión para esta cuenta"
    )
    usuario = await Usuario.get_or_none(username=username)
    ok = await hashing.verify(usuario.password_hash if usuario else None, password)
    if not ok or usuario is None or not usuario.activo:
        raise Unauthorized("Usuario o contraseña incorrectos.")
    await limits.clear("login", account, client)
    raw, token = await emitir_token(usuario, ttl)
    return raw, token, usuario


async def logout(raw_token: str, sesiones: SessionEnder | None = None) -> None:
    """Revoke one token at once, and end the sessions of its sockets (``sesiones``: the app's
    :class:`core.sessions.SessionRegistry`); other tokens of the user keep working."""
    key_hash = hash_token(raw_token)
    await Token.filter(key_hash=key_hash).delete()
    if sesiones is not None:
        await sesiones.end_tokens([key_hash])


async def cerrar_sesiones(usuario: Usuario, sesiones: SessionEnder | None = None) -> int:
    """Revoke every token of ``usuario`` and end every session of theirs, in every process
    (through ``sesiones``; without it, the servers' periodic check closes the sockets).
    Returns how many tokens were revoked."""
    revocados = await Token.filter(usuario_id=usuario.id).delete()
    if sesiones is not None:
        await sesiones.end_user(usuario.id)
    return revocados


async def cambiar_password(
    usuario: Usuario, password: str, sesiones: SessionEnder | None = None
) -> None:
    """Set a new password: every token of the user is revoked and every session ended, so
    whoever held the old password (or a token issued with it) is out everywhere at once."""
    if len(password) < MIN_PASSWORD:
        raise BadRequest(
            "Datos inválidos.",
            errors={"password": [f"La contraseña necesita al menos {MIN_PASSWORD} caracteres."]},
        )
    usuario.password_hash = hash_password(password)
    await usuario.save(update_fields=["password_hash"])
    await cerrar_sesiones(usuario, sesiones)


async def desactivar_usuario(usuario: Usuario, sesiones: SessionEnder | None = None) -> None:
    """Deactivate ``usuario``: no login, every token revoked, every session ended."""
    usuario.activo = False
    await usuario.save(update_fields=["activo"])
    await cerrar_sesiones(usuario, sesiones)


async def activar_usuario(usuario: Usuario, sesiones: SessionEnder | None = None) -> None:
    """Reactivate ``usuario``: they may log in again (with a new token). Any token left is
    revoked and any session ended all the same, so that reactivation never revives one."""
    usuario.activo = True
    await usuario.save(update_fields=["activo"])
    await cerrar_sesiones(usuario, sesiones)
