"""The auth middleware: puts the user behind ``Authorization`` on the request."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from aiohttp import web

from core.api.errors import Unauthorized
from core.auth.guards import team_visibility, token_from_header, user_from_token
from core.keys import SETTINGS, USUARIO

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler


#: The handlers of endpoints with access ``integration`` (:data:`core.api.routing.INTEGRATION`):
#: their ``Authorization`` carries a credential of their own, never a user token.
OWN_CREDENTIALS: weakref.WeakSet[Any] = weakref.WeakSet()


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Resolve the bearer token once per request.

    No header: anonymous (``None``); the endpoint's guard decides. A header that is present but
    malformed, unknown or expired — the guide's ``Bearer null`` included — is a 401 on every
    endpoint, as Django REST Framework does, so a client never mistakes a dead session for an
    anonymous one. CORS preflights carry no credentials and are never challenged; endpoints
    with their own credential (access ``integration``) read the header themselves.

    The handler runs with the app's ``team_visibility`` applied (:mod:`core.auth.guards`).
    """
    request[USUARIO] = None
    header = request.headers.get("Authorization")
    if (
        header is not None
        and request.method != "OPTIONS"
        and request.match_info.handler not in OWN_CREDENTIALS
    ):
        usuario = await user_from_token(token_from_header(header))
        if usuario is None:
            raise Unauthorized("Token inválido o caducado.")
        request[USUARIO] = usuario
    # Visibility checks anywhere below (REST handlers, a socket's whole life) read the setting.
    with team_visibility(request.app[SETTINGS].team_visibility):
        return await handler(request)
