"""Account rules, free of HTTP: creating users, logging in with throttling, tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError

from core.api.errors import BadRequest, TooManyRequests, Unauthorized
from core.auth.models import LoginFallido, Rol, Token, Usuario
from core.auth.passwords import hash_password, hash_token, new_token, verify_password

if TYPE_CHECKING:
    from core.sessions import SessionEnder

#: The shortest password :func:`cambiar_password` accepts (as ``soporte createuser``).
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Throttle:
    """How many failed logins per key are tolerated within ``window``."""

    max_failures: int
    window: timedelta


async def crear_usuario(
    username: str,
    password: str,
    rol: Rol = Rol.CLIENTE,
    *,
    nombre: str = "",
    email: str = "",
    password_hash: str | None = None,
) -> Usuario:
    """Create a user; a taken username is a 400 on ``username``.

    ``password_hash`` lets callers that create many users (tests, bulk demo data) reuse one
    precomputed hash instead of paying argon2 for each.
    """
    try:
        return await Usuario.create(
            username=username,
            password_hash=password_hash or hash_password(password),
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
    username: str, password: str, client: str, throttle: Throttle, ttl: timedelta
) -> tuple[str, Token, Usuario]:
    """Check credentials and issue a token.

    Failures are counted per (username, client address) in the database, so every process
    agrees; past ``throttle.max_failures`` inside the window the answer is a 429 whose
    ``Retry-After`` says when the oldest failure leaves the window. The check comes before the
    password is verified, so a throttled client cannot keep guessing. Unknown users and wrong
    passwords get the same answer after the same work.
    """
    key = f"{username.lower()}|{client}"[:300]
    now = datetime.now(UTC)
    since = now - throttle.window
    recent = LoginFallido.filter(clave=key, fecha__gt=since)
    if await recent.count() >= throttle.max_failures:
        oldest = await recent.order_by("fecha").first()
        wait = (oldest.fecha + throttle.window - now).total_seconds() if oldest else 1
        raise TooManyRequests(
            "Demasiados intentos fallidos; espere antes de reintentar.", retry_after=int(wait) + 1
        )
    usuario = await Usuario.get_or_none(username=username)
    ok = verify_password(usuario.password_hash if usuario else None, password)
    if not ok or usuario is None or not usuario.activo:
        await LoginFallido.create(clave=key)
        # Old rows are useless; trimming here keeps the table small without a scheduler.
        await LoginFallido.filter(fecha__lt=since).delete()
        raise Unauthorized("Usuario o contraseña incorrectos.")
    await LoginFallido.filter(clave=key).delete()
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
