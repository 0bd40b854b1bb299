"""``/api/auth/``: token login, sign-up, the current user, logout."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from core.api.errors import Forbidden
from core.api.routing import PUBLIC, TOKEN, Routes
from core.auth import service
from core.auth.guards import current_user, token_from_header
from core.auth.schemas import LoginIn, RegistroIn, TokenOut, UsuarioOut
from core.keys import SETTINGS

routes = Routes(tag="auth")


def _client_address(request: web.Request) -> str:
    return request.remote or "desconocido"


@routes.post("/api/auth/token/", auth=PUBLIC, errors=(401, 429))
async def obtener_token(request: web.Request, body: LoginIn) -> TokenOut:
    """Log in with username and password; returns a bearer token."""
    settings = request.app[SETTINGS]
    raw, token, usuario = await service.login(
        body.username,
        body.password,
        _client_address(request),
        service.Throttle(
            settings.login_max_failures, timedelta(seconds=settings.login_window_seconds)
        ),
        timedelta(hours=settings.token_ttl_hours),
    )
    return TokenOut(token=raw, expira=token.expira, usuario=UsuarioOut.model_validate(usuario))


@routes.post("/api/auth/registro/", auth=PUBLIC, status=201, errors=(403,))
async def registro(request: web.Request, body: RegistroIn) -> UsuarioOut:
    """Sign up as a customer (role CLIENTE), unless registration is switched off."""
    settings = request.app[SETTINGS]
    if not settings.signup_open:
        raise Forbidden("El registro de usuarios está desactivado.")
    usuario = await service.crear_usuario(
        body.username,
        body.password,
        nombre=body.nombre,
        email=body.email,
        password_min_length=settings.password_min_length,
    )
    return UsuarioOut.model_validate(usuario)


@routes.get("/api/auth/yo/", auth=TOKEN)
async def yo(request: web.Request) -> UsuarioOut:
    """The user behind the token."""
    return UsuarioOut.model_validate(current_user(request))


@routes.post("/api/auth/logout/", auth=TOKEN)
async def logout(request: web.Request) -> None:
    """Revoke the token used for this call; it stops working at once."""
    raw = token_from_header(request.headers.get("Authorization", ""))
    if raw:
        await service.logout(raw)
