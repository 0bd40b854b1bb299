"""``/api/auth/``: token login, sign-up, the current user, logout."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from core.api.errors import Forbidden
from core.api.routing import PUBLIC, TOKEN, Routes
from core.auth import service
from core.auth.guards import current_user, token_from_header
from core.auth.schemas import LoginIn, RegistroIn, TokenOut, UsuarioOut
from core.keys import PASSWORDS, RATE_LIMITS, SESSIONS, SETTINGS
from core.proxies import client_address
from core.ratelimit import hit

routes = Routes(tag="auth")


@routes.post("/api/auth/token/", auth=PUBLIC, errors=(401, 429))
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
    )
    return TokenOut(token=raw, expira=token.expira, usuario=UsuarioOut.model_validate(usuario))


@routes.post("/api/auth/registro/", auth=PUBLIC, status=201, errors=(403, 429))
async def registro(request: web.Request, body: RegistroIn) -> UsuarioOut:
    """Sign up as a customer (role CLIENTE), unless registration is switched off."""
    settings = request.app[SETTINGS]
    if not settings.signup_open:
        raise Forbidden("El registro de usuarios está desactivado.")
    await hit(request.app, "signup", client_address(request))
    usuario = await service.crear_usuario(
        body.username,
        body.password,
        nombre=body.nombre,
        email=body.email,
        hashing=request.app[PASSWORDS],
        password_min_length=settings.password_min_length,
    )
    return UsuarioOut.model_validate(usuario)


@routes.get("/api/auth/yo/", auth=TOKEN)
async def yo(request: web.Request) -> UsuarioOut:
    """The user behind the token."""
    return UsuarioOut.model_validate(current_user(request))


@routes.post("/api/auth/logout/", auth=TOKEN)
async def logout(request: web.Request) -> None:
    """Revoke the token used for this call; it stops working at once, and the sockets
    opened with it are closed (4401) in every process."""
    raw = token_from_header(request.headers.get("Authorization", ""))
    if raw:
        await service.logout(raw, request.app[SESSIONS])
