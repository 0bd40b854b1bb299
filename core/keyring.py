"""One key per purpose, derived from the secret key — never the secret key itself.

Each purpose (download links, webhook signatures, password-reset tokens, a plugin's own) gets
its own key by HKDF-SHA256 (RFC 5869, ``cryptography``'s implementation) from
``SOPORTE_SECRET_KEY``, with the purpose name as HKDF's ``info``. Knowing one key (a webhook
receiver knows the webhook key) therefore tells nothing about another: it cannot mint a
download link.

Rotation: ``SOPORTE_SECRET_KEY_FALLBACKS`` lists old secrets. Their derived keys still
*verify* (a link minted before the rotation keeps working until it expires) but never *sign*.

Plugins ask for a key by purpose name with :func:`purpose_key`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.keys import KEYRING

if TYPE_CHECKING:
    from aiohttp import web

    from core.settings import Settings

#: Signed, expiring download links of attachments (core/storage.py).
LINKS = "download-links"
#: Signed, short-lived CSV export links (core/api/csv_export.py): the console's download button.
EXPORTS = "export-links"
#: Signatures of outgoing webhooks (the escalation plugin's, without a webhook secret of its own).
WEBHOOKS = "webhooks"
#: Password-reset tokens (core.auth.tokens_cuenta keys their stored hashes with it).
PASSWORD_RESET = "password-reset"
#: E-mail verification tokens (likewise).
EMAIL_VERIFICATION = "email-verification"
#: API keys for integrations (core.auth.claves keys their stored hashes with it).
API_KEYS = "api-keys"
#: The signature of per-ticket reply addresses (core/reply_address.py).
REPLY_ADDRESS = "reply-address"
#: The signature of per-ticket mail thread roots (core/reply_address.py). Named after the
#: plugin that minted them first, so that roots already mailed stay valid.
THREAD_ROOTS = "notificaciones.hilos"

#: What a purpose name may look like: ``webhooks``, ``mi-plugin.enlaces``.
_PURPOSE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
#: 256-bit keys, as SHA-256 gives.
_LENGTH = 32


@cache
def derive_key(secret: str, purpose: str) -> str:
    """The key of ``purpose`` under ``secret``, as 64 hex characters (usable as text anywhere).

    Cached: the same (secret, purpose) always gives the same key, and HKDF need not run again.
    """
    if not _PURPOSE.match(purpose):
        raise ValueError(f"not a key purpose: {purpose!r}")
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=_LENGTH,
        salt=None,  # RFC 5869 §3.1: without a salt, a string of zeros; the secret is random
        info=f"soporte:{purpose}".encode(),
    )
    return hkdf.derive(secret.encode()).hex()


class Keyring:
    """The current secret and the old ones still accepted, and the keys derived from them."""

    def __init__(self, secret: str, fallbacks: Sequence[str] = ()) -> None:
        if not secret:
            raise ValueError("the secret key is empty")
        self._secret = secret
        # The current secret is never also a fallback; an empty entry is no key.
        self._fallbacks = tuple(f for f in dict.fromkeys(fallbacks) if f and f != secret)

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        """The keyring of ``settings``: ``resolved_secret_key()`` and ``secret_key_fallbacks``."""
        return cls(settings.resolved_secret_key(), settings.secret_key_fallbacks)

    def key(self, purpose: str) -> str:
        """The key that signs for ``purpose`` (from the current secret only)."""
        return derive_key(self._secret, purpose)

    def verification_keys(self, purpose: str) -> list[str]:
        """Every key that may verify for ``purpose``: the fallbacks' first, the signing key
        last — the order itsdangerous takes (it signs with the last of a list)."""
        return [derive_key(f, purpose) for f in reversed(self._fallbacks)] + [self.key(purpose)]


def keyring(app: web.Application) -> Keyring:
    """The app's keyring."""
    return app[KEYRING]


def purpose_key(app: web.Application, purpose: str) -> str:
    """The signing key of ``purpose`` in ``app``: the one way a plugin gets a key."""
    return app[KEYRING].key(purpose)
