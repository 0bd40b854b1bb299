"""The auth middleware: puts the user behind ``Authorization`` on the request."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from aiohttp import web

from core.api.errors import Unauthorized
from core.auth import claves
from core.auth.guards import team_visibility, token_from_header, user_from_token
from core.i18n import set_locale
from core.keys import CLAVE_API, KEYRING, SETTINGS, USUARIO
from core.proxies import client_address

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler

    from core.auth.models import Usuario


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

    An API key (``Bearer sk_…``, :mod:`core.auth.claves`) puts its creator in ``USUARIO`` and
    itself in ``CLAVE_API``; its scope is checked with the endpoint's guard. A revoked, expired
    or unknown key is a 401 like a dead token.

    The handler runs with the app's ``team_visibility`` applied (:mod:`core.auth.guards`).
    """
    request[USUARIO] = None
    request[CLAVE_API] = None
    header = request.headers.get("Authorization")
    if (
        header is not None
        and request.method != "OPTIONS"
        and request.match_info.handler not in OWN_CREDENTIALS
    ):
        token = token_from_header(header)
        clave = None
        usuario: Usuario | None
        if claves.looks_like_key(token):
            assert token is not None
            clave = await claves.key_from_secret(request.app[KEYRING], token)
        if clave is not None:
            await claves.record_use(clave, client_address(request))
            request[CLAVE_API] = clave
            request[USUARIO] = clave.creada_por
            usuario = clave.creada_por
        else:
            # Also for a dead ``sk_`` secret: a login token may start with those characters.
            usuario = await user_from_token(token)
        if usuario is None:
            if claves.looks_like_key(token):
                raise Unauthorized("Clave de API inválida, revocada o caducada.")
            raise Unauthorized("Token inválido o caducado.")
        request[USUARIO] = usuario
        # The profile's language wins over the browser's (locale_middleware restores it).
        set_locale(usuario.idioma)
    # Visibility checks anywhere below (REST handlers, a socket's whole life) read the setting.
    with team_visibility(request.app[SETTINGS].team_visibility):
        return await handler(request)
