"""API keys for integrations: secrets, scopes, and who a key acts as.

A key is created by an admin (``/api/auth/claves/``) and sent as ``Authorization: Bearer sk_…``.
It **acts as the admin who created it**, narrowed to its scopes: every visibility rule of
:mod:`core.auth.guards` applies unchanged (admins see everything), history and replies name
that admin, and no service user appears among the agents (assignment, mentions, notifications
never see one). The key works only while its creator is an active admin: deactivating or
demoting them stops their keys at once, as revoking does.

Scopes: every route declares one (:attr:`core.api.routing.Endpoint.scope`, derived as
``<area>:read`` / ``<area>:write``). A key holding ``<area>:write`` may also read that area;
``<area>:*`` is every scope of the area. A route whose scope is
:data:`~core.api.routing.SESSION_ONLY` refuses keys (a 403).

Only a keyed hash of the secret is stored (HMAC-SHA256 under the ``api-keys`` purpose key of
:mod:`core.keyring`); after a rotation of the secret key, keys made under a fallback still
verify. Keys are looked up on every request by that hash (a unique index): a revoked key is a
401 on the next request, in every process, with no cache to invalidate. ``ultimo_uso`` and
``ultima_ip`` are written at most once a minute per key (a conditional ``UPDATE``, so several
processes do not each write).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.expressions import Q

from core.api.errors import Forbidden
from core.api.routing import SESSION_ONLY
from core.auth.claves_models import ClaveApi
from core.auth.models import Rol
from core.i18n import gettext as _
from core.keyring import API_KEYS
from core.keys import CLAVE_API, USUARIO

if TYPE_CHECKING:
    from collections.abc import Iterable

    from aiohttp import web

    from core.keyring import Keyring

#: What every key's secret starts with (how the middleware tells a key from a login token).
PREFIX = "sk_"
#: How many characters of the secret are kept in clear to recognise a key in lists.
SHOWN = len(PREFIX) + 8
#: The least time between two writes of a key's ``ultimo_uso``.
USE_EVERY = timedelta(minutes=1)
#: Longer than any secret :func:`new_secret` makes: refused before hashing.
_MAX_SECRET = 128
#: What a scope looks like: ``tickets:read``, ``correo:entrante``, ``casos:*``.
SCOPE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}:(\*|[a-z][a-z0-9_-]{0,39})$")


def stored_hash(key: str, raw: str) -> str:
    """What is stored of the secret ``raw`` under ``key``: HMAC-SHA256, as hex."""
    return hmac.new(key.encode(), raw.encode(), hashlib.sha256).hexdigest()


def new_secret(keyring: Keyring) -> tuple[str, str, str]:
    """A fresh secret (``sk_`` + 256 random bits), its shown prefix and its stored hash."""
    raw = PREFIX + secrets.token_urlsafe(32)
    return raw, raw[:SHOWN], stored_hash(keyring.key(API_KEYS), raw)


def looks_like_key(token: str | None) -> bool:
    """Whether a bearer credential is meant as an API key (by its prefix)."""
    return token is not None and token.startswith(PREFIX)


async def key_from_secret(keyring: Keyring, raw: str) -> ClaveApi | None:
    """The live key whose secret is ``raw``, its creator loaded; ``None`` for an unknown,
    revoked or expired key, or one whose creator is no longer an active admin."""
    if not raw or len(raw) > _MAX_SECRET:
        return None
    hashes = [stored_hash(k, raw) for k in keyring.verification_keys(API_KEYS)]
    ahora = datetime.now(UTC)
    clave = (
        await ClaveApi.filter(key_hash__in=hashes, revocada=False)
        .filter(Q(expira__isnull=True) | Q(expira__gt=ahora))
        .select_related("creada_por")
        .first()
    )
    if clave is None:
        return None
    creador = clave.creada_por
    if not creador.activo or creador.rol != Rol.ADMIN:
        return None
    return clave


async def record_use(clave: ClaveApi, ip: str) -> None:
    """Note that ``clave`` was used now from ``ip`` — unless that was noted less than
    :data:`USE_EVERY` ago (no write then; and of processes racing, one writes)."""
    ahora = datetime.now(UTC)
    if clave.ultimo_uso is not None and ahora - clave.ultimo_uso < USE_EVERY:
        return
    reciente = Q(ultimo_uso__isnull=True) | Q(ultimo_uso__lt=ahora - USE_EVERY)
    await ClaveApi.filter(reciente, id=clave.id).update(ultimo_uso=ahora, ultima_ip=ip[:64])


def grants(alcances: Iterable[str], needed: str) -> bool:
    """Whether a key holding ``alcances`` may call a route needing ``needed``."""
    if needed == SESSION_ONLY:
        return False
    area, _, accion = needed.partition(":")
    held = set(alcances)
    return needed in held or f"{area}:*" in held or (accion == "read" and f"{area}:write" in held)


def enforce_scope(request: web.Request, needed: str) -> None:
    """A 403 if ``request`` came with an API key that lacks ``needed`` (nothing for a login
    token or an anonymous request: their role guard decides)."""
    clave = request.get(CLAVE_API)
    if clave is None:
        return
    if needed == SESSION_ONLY:
        raise Forbidden("Esta ruta no admite claves de API: inicie sesión con su usuario.")
    if not grants(clave.alcances, needed):
        raise Forbidden(
            _("La clave de API no tiene el alcance «{alcance}».").format(alcance=needed)
        )


def principal(request: web.Request) -> str | None:
    """Who a request acts for, as a stable text: ``k:<id>`` for an API key (each key its own,
    though it acts as its creator), ``u:<id>`` for a logged-in user, ``None`` if anonymous."""
    clave = request.get(CLAVE_API)
    if clave is not None:
        return f"k:{clave.id}"
    usuario = request.get(USUARIO)
    return f"u:{usuario.id}" if usuario is not None else None


def known_scopes(route_scopes: Iterable[str]) -> set[str]:
    """Every scope a key may hold in an app whose routes need ``route_scopes``: each of them
    and ``<area>:*`` for each area (never :data:`SESSION_ONLY`)."""
    scopes = {s for s in route_scopes if s != SESSION_ONLY}
    return scopes | {f"{s.partition(':')[0]}:*" for s in scopes}


async def integration_key(request: web.Request, needed: str) -> ClaveApi | None:
    """For an ``integration`` endpoint (whose ``Authorization`` the middleware leaves alone):
    the live API key in that header if it holds ``needed``, its use noted; else ``None`` (the
    endpoint then checks its own credential). So an admin can hand a mail provider a key with
    ``correo:entrante`` instead of the endpoint's own token."""
    from core.auth.guards import token_from_header
    from core.keys import KEYRING
    from core.proxies import client_address

    header = request.headers.get("Authorization")
    token = token_from_header(header) if header else None
    if token is None or not looks_like_key(token):
        return None
    clave = await key_from_secret(request.app[KEYRING], token)
    if clave is None or not grants(clave.alcances, needed):
        return None
    await record_use(clave, client_address(request))
    return clave
