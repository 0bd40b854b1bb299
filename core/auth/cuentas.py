"""Accounts: a forgotten password, the user's own profile, e-mail verification.

Every link is mailed through the outbox (:func:`core.mail.queue_mail`) in the transaction that
stores its token, so a token exists exactly when its mail will go out. Tokens are single use
and stored hashed (:mod:`core.auth.tokens_cuenta`).

Links point at ``SOPORTE_PUBLIC_URL``. Without it they are built from the request only when
its ``Host`` can be trusted (``SOPORTE_ALLOWED_HOSTS`` checked it, or it is a loopback name, as
with ``make run``): otherwise anyone could ask for a reset of somebody else's account with a
forged ``Host`` and have the victim mailed a link to the forger's site. No trusted base: no
mail, a warning in the log, and the same answer to the client.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tortoise.transactions import in_transaction

from core.api.errors import BadRequest
from core.api.urls import base_url
from core.auth.models import PropositoToken, Rol, Token, Usuario
from core.auth.names import impersonates_staff, normalize_name
from core.auth.password_policy import check_password, password_problems
from core.auth.passwords import hash_token
from core.auth.tokens_cuenta import find, new_secret, revoke_all, store, use_up
from core.events import UnitOfWork
from core.i18n import N_, current_locale, ngettext, use_locale
from core.keys import EVENTS, KEYRING, PASSWORDS, RATE_LIMITS, SESSIONS, SETTINGS
from core.mail import Mail, queue_mail
from core.mail_templates import MAIL_LOCALE, render_mail
from core.proxies import client_address
from core.ratelimit import hit

if TYPE_CHECKING:
    from aiohttp import web

    from core.auth.schemas import PerfilIn

log = logging.getLogger("soporte.cuentas")

#: The page that takes a reset link's token (core.pages).
RESET_PAGE = "/restablecer/"
#: The page that takes a verification link's token.
VERIFY_PAGE = "/verificar/"
RESET_MAIL = "core/correo/restablecer"
VERIFY_MAIL = "core/correo/verificar"

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_NOMBRE_MAX = 200

BAD_RESET = "El enlace para restablecer la contraseña no es válido, ya se usó o caducó."
BAD_VERIFY = "El enlace de verificación no es válido, ya se usó o caducó."
WRONG_CURRENT = "La contraseña actual no es correcta."


def link_base(request: web.Request) -> str | None:
    """The base of mailed links, or ``None`` when no trusted one is known (see the module)."""
    settings = request.app[SETTINGS]
    if settings.public_url:
        return settings.public_url
    hostname = (request.url.host or "").lower()
    if settings.allowed_hosts or hostname in _LOOPBACK:
        return base_url(request)
    log.warning(
        "account mail not sent: set SOPORTE_PUBLIC_URL (or SOPORTE_ALLOWED_HOSTS) so that its "
        "link does not come from the request's unchecked Host header"
    )
    return None


def duracion(seconds: float, idioma: str | None = None) -> str:
    """A validity in words, in ``idioma`` (else the current language): ``1 hora``,
    ``30 minutos``, ``3 días``."""
    with use_locale(idioma) if idioma else contextlib.nullcontext():
        if seconds >= 86400 and seconds % 86400 == 0:
            n = int(seconds // 86400)
            return ngettext("{n} día", "{n} días", n).format(n=n)
        if seconds >= 3600 and seconds % 3600 == 0:
            n = int(seconds // 3600)
            return ngettext("{n} hora", "{n} horas", n).format(n=n)
        n = max(1, round(seconds / 60))
        return ngettext("{n} minuto", "{n} minutos", n).format(n=n)


def _link(base: str, page: str, raw: str) -> str:
    return f"{base}{page}?{urlencode({'token': raw})}"


def _mail(to: str, rendered: Any) -> Mail:
    """An account mail: automatic, never to be answered by an autoresponder."""
    return Mail(
        to=(to,),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        headers={"Auto-Submitted": "auto-generated"},
    )


# --- forgotten password ----------------------------------------------------------------------


def _idioma(usuario: Usuario | None) -> str:
    """The language of an account mail: the recipient's profile language, else the language
    of this request (the recipient asked for the mail, from their own browser)."""
    return (usuario.idioma if usuario else None) or current_locale()


async def pedir_restablecimiento(request: web.Request, email: str) -> None:
    """``POST /api/auth/password/olvido/``: mail a reset link to the active accounts of ``email``.

    The same work whatever the address: the rate limits, one query, a secret hashed and the mail
    rendered for every request; only storing the token and queueing the mail depend on an
    account existing (and those are quick inserts), so the answer's timing tells nothing.
    """
    app = request.app
    settings = app[SETTINGS]
    await hit(app, "password_reset_address", client_address(request))
    await hit(app, "password_reset_email", email.casefold())
    usuarios: list[Usuario | None] = list(
        await Usuario.filter(email__iexact=email, activo=True).order_by("id")
    )
    base = link_base(request) if usuarios else None
    ttl = timedelta(seconds=settings.password_reset_ttl_seconds)
    for usuario in usuarios or [None]:
        raw, key_hash = new_secret(app[KEYRING], PropositoToken.RESTABLECER)
        rendered = render_mail(
            app,
            RESET_MAIL,
            {
                "nombre": usuario.nombre_visible if usuario else "",
                "username": usuario.username if usuario else "",
                MAIL_LOCALE: _idioma(usuario),
                "enlace": _link(base or "", RESET_PAGE, raw),
                "validez": duracion(ttl.total_seconds(), _idioma(usuario)),
            },
        )
        if usuario is None or base is None:
            continue
        async with UnitOfWork(app[EVENTS]) as uow:
            await store(usuario, PropositoToken.RESTABLECER, key_hash, ttl, using_db=uow.connection)
            await queue_mail(_mail(usuario.email, rendered))


async def enviar_enlace_password(request: web.Request, usuario: Usuario) -> bool:
    """Mail ``usuario`` a single-use link to choose their password (the reset mail): what a
    user an admin created without a password receives. ``False`` when nothing was sent (no
    address, or no trusted base for the link); no rate limit: only admins call it."""
    base = link_base(request) if usuario.email else None
    if base is None:
        return False
    app = request.app
    ttl = timedelta(seconds=app[SETTINGS].password_reset_ttl_seconds)
    raw, key_hash = new_secret(app[KEYRING], PropositoToken.RESTABLECER)
    rendered = render_mail(
        app,
        RESET_MAIL,
        {
            "nombre": usuario.nombre_visible,
            "username": usuario.username,
            MAIL_LOCALE: _idioma(usuario),
            "enlace": _link(base, RESET_PAGE, raw),
            "validez": duracion(ttl.total_seconds(), _idioma(usuario)),
        },
    )
    async with UnitOfWork(app[EVENTS]) as uow:
        await store(usuario, PropositoToken.RESTABLECER, key_hash, ttl, using_db=uow.connection)
        await queue_mail(_mail(usuario.email, rendered))
    return True


async def restablecer_password(request: web.Request, raw: str, password: str) -> None:
    """``POST /api/auth/password/restablecer/``: a reset link's token and the new password.

    The password is checked (the policy's 400 leaves the token usable) and hashed before the
    token is used up, so that of two requests with one token exactly one changes the password.
    Every API token of the user is revoked in the same transaction, then every socket of theirs
    is closed (4401) in every process. The link proves the mailbox: the address counts as
    verified.
    """
    app = request.app
    found = await find(app[KEYRING], PropositoToken.RESTABLECER, raw)
    if found is None:
        raise BadRequest(BAD_RESET, errors={"token": [BAD_RESET]})
    usuario = found.usuario
    check_password(
        password,
        username=usuario.username,
        nombre=usuario.nombre,
        email=usuario.email,
        min_length=app[SETTINGS].password_min_length,
    )
    new_hash = await app[PASSWORDS].hash(password)
    async with in_transaction() as conn:
        if not await use_up(found.token, conn):
            raise BadRequest(BAD_RESET, errors={"token": [BAD_RESET]})
        await (
            Usuario.filter(id=usuario.id)
            .using_db(conn)
            .update(password_hash=new_hash, email_verificado=True)
        )
        await revoke_all(usuario.id, PropositoToken.RESTABLECER, conn)
        await Token.filter(usuario_id=usuario.id).using_db(conn).delete()
    await app[SESSIONS].end_user(usuario.id)


# --- e-mail verification ---------------------------------------------------------------------


def verification_on(app: web.Application) -> bool:
    """Whether sign-ups and e-mail changes are verified (``optional`` or ``required``)."""
    return app[SETTINGS].email_verification != "off"


async def enviar_verificacion(request: web.Request, usuario: Usuario) -> None:
    """Mail ``usuario`` a link confirming their current address (earlier links stop working).

    Joins the caller's unit of work when there is one (a profile change), else opens its own.
    """
    app = request.app
    base = link_base(request)
    if base is None or not usuario.email:
        return
    ttl = timedelta(hours=app[SETTINGS].email_verification_ttl_hours)
    raw, key_hash = new_secret(app[KEYRING], PropositoToken.VERIFICAR)
    rendered = render_mail(
        app,
        VERIFY_MAIL,
        {
            "nombre": usuario.nombre_visible,
            "username": usuario.username,
            MAIL_LOCALE: _idioma(usuario),
            "email": usuario.email,
            "enlace": _link(base, VERIFY_PAGE, raw),
            "validez": duracion(ttl.total_seconds(), _idioma(usuario)),
        },
    )
    async with UnitOfWork(app[EVENTS]) as uow:
        await store(
            usuario,
            PropositoToken.VERIFICAR,
            key_hash,
            ttl,
            email=usuario.email,
            using_db=uow.connection,
        )
        await queue_mail(_mail(usuario.email, rendered))


async def verificar_email(request: web.Request, raw: str) -> None:
    """``POST /api/auth/email/verificar/``: confirm the address a link was mailed to.

    A link mailed to an address the user has changed since verifies nothing.
    """
    found = await find(request.app[KEYRING], PropositoToken.VERIFICAR, raw)
    if found is None or found.token.email.casefold() != found.usuario.email.casefold():
        raise BadRequest(BAD_VERIFY, errors={"token": [BAD_VERIFY]})
    async with in_transaction() as conn:
        if not await use_up(found.token, conn):
            raise BadRequest(BAD_VERIFY, errors={"token": [BAD_VERIFY]})
        await Usuario.filter(id=found.usuario.id).using_db(conn).update(email_verificado=True)
        await revoke_all(found.usuario.id, PropositoToken.VERIFICAR, conn)


async def reenviar_verificacion(
    request: web.Request, usuario: Usuario | None, email: str | None
) -> None:
    """``POST /api/auth/email/reenviar/``: a new link for the caller (with a token), or for
    the unverified active accounts of ``email`` (without one: someone whom ``required`` keeps
    from logging in). The same answer whether such an account exists or not."""
    app = request.app
    await hit(app, "email_verification", "direccion", client_address(request))
    if usuario is not None:
        await hit(app, "email_verification", "usuario", usuario.id)
        if verification_on(app) and not usuario.email_verificado:
            await enviar_verificacion(request, usuario)
        return
    if not email:
        raise BadRequest(
            "Datos inválidos.", errors={"email": [N_("Indica el correo electrónico de tu cuenta.")]}
        )
    await hit(app, "email_verification", "email", email.casefold())
    if not verification_on(app):
        return
    for cuenta in await Usuario.filter(email__iexact=email, activo=True, email_verificado=False):
        await enviar_verificacion(request, cuenta)


# --- the user's own profile ------------------------------------------------------------------


async def _check_current_password(
    request: web.Request, usuario: Usuario, actual: str | None
) -> None:
    """A 400 on ``password_actual`` unless it is the user's password. Counted by the login
    rate limits of the account (a stolen token must not become a password oracle)."""
    limits = request.app[RATE_LIMITS]
    account = usuario.username.casefold()[:150]
    client = client_address(request)
    await limits.hit("login_account", account)
    await limits.hit(
        "login", account, client, que="intentos fallidos de inicio de sesión para esta cuenta"
    )
    stored = await Usuario.filter(id=usuario.id).values_list("password_hash", flat=True)
    ok = bool(actual) and await request.app[PASSWORDS].verify(
        str(stored[0]) if stored else None, actual or ""
    )
    if not ok:
        raise BadRequest(WRONG_CURRENT, errors={"password_actual": [WRONG_CURRENT]})
    await limits.clear("login", account, client)


async def actualizar_perfil(request: web.Request, usuario: Usuario, cambios: PerfilIn) -> Usuario:
    """``PATCH /api/auth/yo/``: change one's name, e-mail or password.

    The e-mail and the password need ``password_actual``. A new password ends every *other*
    session of the user (their other tokens are revoked and those sockets closed); the token of
    this request stays valid. A new e-mail is unverified, and mailed a link, while verification
    is on. Every field is checked before anything is saved: a 400 lists each bad one (the
    current password is checked, on its own, before the new e-mail and password are).
    """
    app = request.app
    settings = app[SETTINGS]
    nombre = normalize_name(cambios.nombre) if cambios.nombre is not None else usuario.nombre
    email = cambios.email.strip() if cambios.email is not None else usuario.email
    email_changed = email != usuario.email
    errors: dict[str, list[str]] = {}
    if len(nombre) > _NOMBRE_MAX:
        errors["nombre"] = [f"El nombre admite hasta {_NOMBRE_MAX} caracteres."]
    elif usuario.rol == Rol.CLIENTE and nombre != usuario.nombre and impersonates_staff(nombre):
        errors["nombre"] = [
            "El nombre no puede hacerse pasar por el equipo de soporte (soporte, admin, agente…)."
        ]
    if errors:
        raise BadRequest("Datos inválidos.", errors=errors)
    # The current password first: without it, nothing about other accounts' addresses is said.
    if email_changed or cambios.password is not None:
        await _check_current_password(request, usuario, cambios.password_actual)
    if email_changed and await Usuario.filter(email__iexact=email).exclude(id=usuario.id).exists():
        errors["email"] = [N_("Ese correo electrónico ya lo usa otra cuenta.")]
    if cambios.password is not None:
        problems = password_problems(
            cambios.password,
            username=usuario.username,
            nombre=nombre,
            email=email,
            min_length=settings.password_min_length,
        )
        if problems:
            errors["password"] = problems
    if errors:
        raise BadRequest("Datos inválidos.", errors=errors)
    new_hash = None
    if cambios.password is not None:
        new_hash = await app[PASSWORDS].hash(cambios.password)
    campos: dict[str, Any] = {"nombre": nombre, "email": email}
    if "idioma" in cambios.model_fields_set:  # null is a choice too: follow the browser
        campos["idioma"] = cambios.idioma
    if email_changed:
        campos["email_verificado"] = not verification_on(app)
    if new_hash is not None:
        campos["password_hash"] = new_hash
    others: list[str] = []
    async with UnitOfWork(app[EVENTS]) as uow:
        await Usuario.filter(id=usuario.id).using_db(uow.connection).update(**campos)
        if new_hash is not None:
            current = hash_token(_raw_token(request))
            others = [
                str(h)
                for h in await Token.filter(usuario_id=usuario.id)
                .exclude(key_hash=current)
                .using_db(uow.connection)
                .values_list("key_hash", flat=True)
            ]
            await Token.filter(key_hash__in=others).using_db(uow.connection).delete()
            # An outstanding reset link would undo the change: it goes too.
            await revoke_all(usuario.id, PropositoToken.RESTABLECER, uow.connection)
        for campo, valor in campos.items():
            setattr(usuario, campo, valor)
        if email_changed:
            await revoke_all(usuario.id, PropositoToken.VERIFICAR, uow.connection)
            if verification_on(app):
                await enviar_verificacion(request, usuario)
    if others:
        await app[SESSIONS].end_tokens(others)
    return usuario


def _raw_token(request: web.Request) -> str:
    """The bearer token of an authenticated request (the auth guard let it through)."""
    from core.auth.guards import token_from_header

    raw = token_from_header(request.headers.get("Authorization", ""))
    assert raw is not None, "an authenticated request carries its token"
    return raw
