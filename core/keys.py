"""Typed keys for what the core keeps on the application and the request.

Kept in their own module so that every part of the core (and every plugin) can import them
without importing the app factory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from core.api.routing import Endpoint
    from core.auth.claves_models import ClaveApi
    from core.auth.models import Usuario
    from core.auth.passwords import PasswordHashing
    from core.db import Database
    from core.events import EventBus
    from core.keyring import Keyring
    from core.outbox import Outbox
    from core.plugin_settings import PluginSettings
    from core.plugins import PluginHost
    from core.ratelimit import RateLimits
    from core.realtime import ChannelLayer
    from core.sessions import SessionRegistry
    from core.settings import Settings
    from core.storage import Storage

SETTINGS: web.AppKey[Settings] = web.AppKey("soporte_settings")
PLUGINS: web.AppKey[PluginHost] = web.AppKey("soporte_plugins")
#: Each enabled plugin's own settings (hook ``register_settings``); read them with
#: :func:`core.plugin_settings.plugin_settings`.
PLUGIN_SETTINGS: web.AppKey[PluginSettings] = web.AppKey("soporte_plugin_settings")
DB: web.AppKey[Database] = web.AppKey("soporte_db")
EVENTS: web.AppKey[EventBus] = web.AppKey("soporte_events")
CHANNELS: web.AppKey[ChannelLayer] = web.AppKey("soporte_channels")
STORAGE: web.AppKey[Storage] = web.AppKey("soporte_storage")
#: The rate-limit service (:mod:`core.ratelimit`); call :func:`core.ratelimit.hit`.
RATE_LIMITS: web.AppKey[RateLimits] = web.AppKey("soporte_rate_limits")
#: The thread pool that hashes and verifies passwords off the event loop.
PASSWORDS: web.AppKey[PasswordHashing] = web.AppKey("soporte_passwords")
#: The authenticated WebSockets of this process and the ending of their sessions
#: (:mod:`core.sessions`).
SESSIONS: web.AppKey[SessionRegistry] = web.AppKey("soporte_sessions")
#: The keys derived per purpose from the secret key (:func:`core.keyring.purpose_key`).
KEYRING: web.AppKey[Keyring] = web.AppKey("soporte_keyring")
#: The outbox of this app in this process: its delivery channels and worker (:mod:`core.outbox`).
OUTBOX: web.AppKey[Outbox] = web.AppKey("soporte_outbox")
#: Every endpoint of the app with the plugin that contributed it (``core`` for the core's own).
ENDPOINTS: web.AppKey[list[tuple[str, Endpoint]]] = web.AppKey("soporte_endpoints")

#: The authenticated user of a request, or ``None`` when it sent no Authorization header.
USUARIO: web.RequestKey[Usuario | None] = web.RequestKey("soporte_usuario")
#: The API key a request authenticated with (``None``: a login token, or no credential).
CLAVE_API: web.RequestKey[ClaveApi | None] = web.RequestKey("soporte_clave_api")
