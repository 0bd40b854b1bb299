"""Account rules, free of HTTP: creating users, logging in with throttling, tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError

from core.api.errors import BadRequest, TooManyRequests, Unauthorized
from core.auth.models import LoginFallido, Rol, Token, Usuario
from core.auth.names import impersonates_staff, normalize_name, skeleton
from core.auth.password_policy import password_problems
from core.auth.passwords import hash_password, hash_token, new_token, verify_password

#: What a username may contain (after NFKC): letters, digits and ``.@+-_``, as at sign-up.
_USERNAME = re.compile(r"^[\w.@+-]+$")
_USERNAME_MAX, _NOMBRE_MAX = 150, 200


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
    password_min_length: int | None = None,
) -> Usuario:
    """Create a user, or a 400 listing every bad field (``username``, ``nombre``, ``password``).

    Names are stored normalised (:func:`core.auth.names.normalize_name`). Refused: a username
    that is taken or looks like a taken one (same confusable skeleton: ``аdmin`` in Cyrillic
    once ``admin`` exists); for a customer, a username or display name with a staff marker
    (``Carla Ruiz (Soporte)``) — staff accounts may use them. With ``password_min_length``
    (sign-up, ``soporte createuser``) the password must pass the policy of
    :mod:`core.auth.password_policy`; without it (demo data, tests) it is not checked.

    ``password_hash`` lets callers that create many users (tests, bulk demo data) reuse one
    precomputed hash instead of paying argon2 for each.
    """
    username, nombre = normalize_name(username), normalize_name(nombre)
    errors = await _name_errors(username, nombre, rol)
    if password_min_length is not None:
        problems = password_problems(
            password, username=username, nombre=nombre, email=email, min_length=password_min_length
        )
        if problems:
            errors["password"] = problems
    if errors:
        raise BadRequest("Datos inválidos.", errors=errors)
    try:
        return await Usuario.create(
            username=username,
            username_skeleton=skeleton(username),
            password_hash=password_hash or hash_password(password),
            rol=rol,
            nombre=nombre,
            email=email,
        )
    except IntegrityError as exc:
        raise BadRequest(
            "Datos inválidos.", errors={"username": ["Ese nombre de usuario ya existe."]}
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


async def logout(raw_token: str) -> None:
    """Revoke one token at once."""
    await Token.filter(key_hash=hash_token(raw_token)).delete()
