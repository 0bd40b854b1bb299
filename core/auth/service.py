"""Account rules, free of HTTP: creating users, logging in with throttling, tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError

from core.api.errors import BadRequest, Forbidden, Unauthorized
from core.auth.models import Rol, Token, Usuario
from core.auth.names import impersonates_staff, normalize_name, skeleton
from core.auth.password_policy import MIN_LENGTH_FLOOR, check_password, password_problems
from core.auth.passwords import (
    PasswordHashing,
    default_hashing,
    hash_token,
    new_token,
    unusable_password_hash,
)
from core.i18n import N_

if TYPE_CHECKING:
    from core.ratelimit import RateLimits
    from core.sessions import SessionEnder

#: What a username may contain (after NFKC): letters, digits and ``.@+-_``, as at sign-up.
_USERNAME = re.compile(r"^[\w.@+-]+$")
_USERNAME_MAX, _NOMBRE_MAX = 150, 200

#: The shortest password :func:`cambiar_password` accepts by default (the policy's floor).
MIN_PASSWORD = MIN_LENGTH_FLOOR
#: Why a correct login is refused while ``SOPORTE_EMAIL_VERIFICATION=required``.
UNVERIFIED = (
    "Antes de iniciar sesión confirma tu correo electrónico con el enlace que te enviamos "
    "(si no lo encuentras, pide otro en /verificar/)."
)


async def crear_usuario(
    username: str,
    password: str | None,
    rol: Rol = Rol.CLIENTE,
    *,
    nombre: str = "",
    email: str = "",
    password_hash: str | None = None,
    hashing: PasswordHashing | None = None,
    password_min_length: int | None = None,
    email_verificado: bool = True,
) -> Usuario:
    """Create a user, or a 400 listing every bad field (``username``, ``nombre``, ``password``).

    Names are stored normalised (:func:`core.auth.names.normalize_name`). Refused: a username
    that is taken or looks like a taken one (same confusable skeleton: ``аdmin`` in Cyrillic
    once ``admin`` exists); for a customer, a username or display name with a staff marker
    (``Carla Ruiz (Soporte)``) — staff accounts may use them. With ``password_min_length``
    (sign-up, ``soporte createuser``) the password must pass the policy of
    :mod:`core.auth.password_policy`; without it (demo data, tests) it is not checked.

    ``password_hash`` lets callers that create many users (tests, bulk demo data) reuse one
    precomputed hash instead of paying argon2 for each. The hash is computed on ``hashing``'s
    threads (the app's pool; by default the process's own), never on the event loop.
    ``email_verificado=False``: a sign-up whose address is still to be confirmed.
    ``password=None`` (and no ``password_hash``): a user without a usable password (a customer
    who wrote by e-mail) — nothing logs in as them until they set one by a password reset.
    """
    username, nombre = normalize_name(username), normalize_name(nombre)
    errors = await _name_errors(username, nombre, rol)
    if password_min_length is not None and password is not None:
        problems = password_problems(
            password, username=username, nombre=nombre, email=email, min_length=password_min_length
        )
        if problems:
            errors["password"] = problems
    if errors:
        raise BadRequest("Datos inválidos.", errors=errors)
    if password_hash is None:
        password_hash = (
            unusable_password_hash()
            if password is None
            else await (hashing or default_hashing()).hash(password)
        )
    try:
        return await Usuario.create(
            username=username,
            username_skeleton=skeleton(username),
            password_hash=password_hash,
            rol=rol,
            nombre=nombre,
            email=email,
            email_verificado=email_verificado,
        )
    except IntegrityError as exc:
        raise BadRequest(
            "Datos inválidos.", errors={"username": [N_("Ese nombre de usuario ya existe.")]}
        ) from exc


async def _name_errors(username: str, nombre: str, rol: Rol) -> dict[str, list[str]]:
    """What is wrong with a new user's (normalised) names, by field; one query at most."""
    errors: dict[str, list[str]] = {}
    clave = skeleton(username)
    if not _USERNAME.match(username) or len(username) > _USERNAME_MAX or not clave:
        errors["username"] = [
            f"El nombre de usuario admite hasta {_USERNAME_MAX} letras, números y . @ + - _."
        ]
    elif rol == Rol.CLIENTE and impersonates_staff(username):
        errors["username"] = [
            "El nombre de usuario no puede hacerse pasar por el equipo de soporte "
            "(soporte, admin, agente…)."
        ]
    else:
        parecido = await Usuario.filter(username_skeleton=clave).only("id", "username").first()
        if parecido is not None:
            errors["username"] = [
                "Ese nombre de usuario ya existe."
                if parecido.username == username
                else "Ese nombre de usuario se confunde con otro que ya existe."
            ]
    if len(nombre) > _NOMBRE_MAX:
        errors["nombre"] = [f"El nombre admite hasta {_NOMBRE_MAX} caracteres."]
    elif rol == Rol.CLIENTE and impersonates_staff(nombre):
        errors["nombre"] = [
            "El nombre no puede hacerse pasar por el equipo de soporte (soporte, admin, agente…)."
        ]
    return errors


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
    *,
    require_verified: bool = False,
) -> tuple[str, Token, Usuario]:
    """Check credentials and issue a token.

    Three rate limits are hit *before* the password is verified, so parallel guesses cannot
    all be checked: per client address over all accounts (made-up usernames), per account over
    all addresses (a ceiling against distributed guessing), and per account and address
    (``login_max_failures`` per ``login_window_seconds``). Each hit is reserved atomically; a
    success clears the account-and-address count, so only failures add up there. Over any of
    them the answer is a 429 whose ``Retry-After`` says when the window has room. Unknown users
    and wrong passwords get the same answer after the same work (a dummy hash).
    ``require_verified``: a correct login of an unconfirmed address is a 403 (only after the
    password matched, so that the answer tells a guesser nothing).
    """
    # Normalised as at sign-up, so the name typed then (full-width, extra spaces) finds the
    # account, and its variants share one count.
    username = normalize_name(username)
    account = username.casefold()[:150]
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
    if require_verified and not usuario.email_verificado:
        raise Forbidden(UNVERIFIED)
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
    usuario: Usuario,
    password: str,
    sesiones: SessionEnder | None = None,
    *,
    min_length: int = MIN_PASSWORD,
    hashing: PasswordHashing | None = None,
) -> None:
    """Set a new password: every token of the user is revoked and every session ended, so
    whoever held the old password (or a token issued with it) is out everywhere at once.

    The password must pass the sign-up policy (:mod:`core.auth.password_policy`), else a 400
    on ``password``; it is hashed on ``hashing``'s threads, never on the event loop.
    """
    check_password(
        password,
        username=usuario.username,
        nombre=usuario.nombre,
        email=usuario.email,
        min_length=min_length,
    )
    usuario.password_hash = await (hashing or default_hashing()).hash(password)
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
