"""``/api/auth/``: token login, sign-up, the current user and their profile, logout, password
reset and e-mail verification (the account flows themselves are in :mod:`core.auth.cuentas`)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from core.api.errors import BadRequest, Forbidden
from core.api.routing import PUBLIC, SESSION_ONLY, TOKEN, Result, Routes
from core.auth import cuentas, service
from core.auth.guards import current_user, token_from_header
from core.auth.schemas import (
    AceptadoOut,
    LoginIn,
    OlvidoIn,
    PerfilIn,
    PerfilOut,
    ReenviarIn,
    RegistroIn,
    RestablecerIn,
    TokenOut,
    UsuarioOut,
    VerificarIn,
)
from core.i18n import N_
from core.keys import PASSWORDS, RATE_LIMITS, SESSIONS, SETTINGS, USUARIO
from core.proxies import client_address
from core.ratelimit import hit

routes = Routes(
    tag="auth",
    description="Log in and out, sign up, the profile, password reset, e-mail verification.",
)


@routes.post("/api/auth/token/", auth=PUBLIC, errors=(401, 403, 429))
async def obtener_token(request: web.Request, body: LoginIn) -> TokenOut:
    """Log in with username and password; returns a bearer token."""
    settings = request.app[SETTINGS]
    raw, token, usuario = await service.login(
        body.username,
        body.password,
        client_address(request),
        request.app[RATE_LIMITS],
        request.app[PASSWORDS],
        timedelta(hours=settings.token_ttl_hours),
        require_verified=settings.email_verification == "required",
    )
    return TokenOut(token=raw, expira=token.expira, usuario=UsuarioOut.model_validate(usuario))


@routes.post("/api/auth/registro/", auth=PUBLIC, status=201, errors=(403, 429))
async def registro(request: web.Request, body: RegistroIn) -> UsuarioOut:
    """Sign up as a customer (role CLIENTE), unless registration is switched off."""
    settings = request.app[SETTINGS]
    if not settings.signup_open:
        raise Forbidden("El registro de usuarios está desactivado.")
    await hit(request.app, "signup", client_address(request))
    verificar = cuentas.verification_on(request.app)
    if settings.email_verification == "required" and not body.email:
        raise BadRequest(
            "Datos inválidos.",
            errors={"email": [N_("El correo electrónico es obligatorio para crear una cuenta.")]},
        )
    usuario = await service.crear_usuario(
        body.username,
        body.password,
        nombre=body.nombre,
        email=body.email,
        hashing=request.app[PASSWORDS],
        password_min_length=settings.password_min_length,
        email_verificado=not (verificar and body.email),
    )
    if not usuario.email_verificado:
        await cuentas.enviar_verificacion(request, usuario)
    return UsuarioOut.model_validate(usuario)


@routes.get("/api/auth/yo/", auth=TOKEN, scope=SESSION_ONLY)
async def yo(request: web.Request) -> PerfilOut:
    """The user behind the token, with their language (``idioma``)."""
    return PerfilOut.model_validate(current_user(request))


@routes.patch("/api/auth/yo/", auth=TOKEN, errors=(429,), scope=SESSION_ONLY)
async def actualizar_yo(request: web.Request, body: PerfilIn) -> PerfilOut:
    """Change one's own name, e-mail or password (the last two with ``password_actual``), or
    language (``idioma``: ``es``, ``en``, or ``null`` to follow the browser).

    A new password ends every other session of the user; the token of this call stays valid.
    """
    usuario = await cuentas.actualizar_perfil(request, current_user(request), body)
    return PerfilOut.model_validate(usuario)


@routes.post("/api/auth/logout/", auth=TOKEN, scope=SESSION_ONLY)
async def logout(request: web.Request) -> None:
    """Revoke the token used for this call; it stops working at once, and the sockets
    opened with it are closed (4401) in every process."""
    raw = token_from_header(request.headers.get("Authorization", ""))
    if raw:
        await service.logout(raw, request.app[SESSIONS])


#: The answer to a request for a mailed link, the same whether an account matched or not.
ENVIADO = (
    "Si la dirección corresponde a una cuenta activa, te enviaremos un enlace por correo "
    "electrónico."
)


@routes.post("/api/auth/password/olvido/", auth=PUBLIC, status=202, errors=(429,))
async def olvido(request: web.Request, body: OlvidoIn) -> Result[AceptadoOut]:
    """Mail a single-use password-reset link to the account of ``email``, if there is one.

    Always 202 after the same work, so the answer tells nobody whether the address exists.
    """
    await cuentas.pedir_restablecimiento(request, body.email)
    return Result(AceptadoOut(detail=ENVIADO), status=202)


@routes.post("/api/auth/password/restablecer/", auth=PUBLIC, status=204, errors=(429,))
async def restablecer(request: web.Request, body: RestablecerIn) -> None:
    """Set a new password with a reset link's token: the token is used up, every token of the
    user is revoked and every socket of theirs closed (4401)."""
    await cuentas.restablecer_password(request, body.token, body.password)


@routes.post("/api/auth/email/verificar/", auth=PUBLIC, status=204)
async def verificar(request: web.Request, body: VerificarIn) -> None:
    """Confirm an e-mail address with the token of the link mailed to it."""
    await cuentas.verificar_email(request, body.token)


@routes.post("/api/auth/email/reenviar/", auth=PUBLIC, status=202, errors=(429,))
async def reenviar(request: web.Request, body: ReenviarIn) -> Result[AceptadoOut]:
    """Mail a new verification link: to the caller's address (with a token), or to the
    unconfirmed account of ``email`` (without one)."""
    usuario = request.get(USUARIO)
    await cuentas.reenviar_verificacion(request, usuario, body.email)
    return Result(AceptadoOut(detail=ENVIADO), status=202)
