"""Signed per-ticket reply addresses: ``soporte+TK-000123-<signature>@example.com``.

A notification mail about a ticket carries one in ``Reply-To``, so that an answer by e-mail
(issue 16's inbound channel) names its ticket, and nobody can write into a ticket by guessing
its number: the signature is an HMAC-SHA256 of the number with the key derived for
:data:`core.keyring.REPLY_ADDRESS`, cut to 16 hex digits (64 bits). The local part and domain
are those of ``SOPORTE_MAIL_FROM``; the tag is matched case-insensitively (some mail systems
lower-case local parts), and signatures made before a secret-key rotation still verify.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from email.utils import parseaddr
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from core.keyring import REPLY_ADDRESS, THREAD_ROOTS, keyring
from core.keys import SETTINGS

if TYPE_CHECKING:
    from aiohttp import web

#: Hex digits of the signature kept in the address.
SIGNATURE_LENGTH: Final = 16
_TAG = re.compile(rf"^(TK-\d{{6,}})-([0-9a-f]{{{SIGNATURE_LENGTH}}})$", re.IGNORECASE)
#: A thread root: ``<TK-000123.<16 hex digits>@domain>`` (any number prefix, e.g. ``CS-``).
_ROOT = re.compile(rf"^<([A-Z]{{2}}-\d{{6,}})\.([0-9a-f]{{{SIGNATURE_LENGTH}}})@([^<>@\s]+)>$")


def _sign(key: str, numero: str) -> str:
    digest = hmac.new(key.encode(), numero.upper().encode(), hashlib.sha256).hexdigest()
    return digest[:SIGNATURE_LENGTH]


def from_parts(app: web.Application) -> tuple[str, str]:
    """The local part and domain of ``SOPORTE_MAIL_FROM`` (``soporte``, ``example.com``)."""
    return _address_parts(app[SETTINGS].mail_from)


@lru_cache(maxsize=16)
def _address_parts(mail_from: str) -> tuple[str, str]:
    # Cached by the setting's text (never stale): every notification mail asks twice (its
    # Reply-To and its thread root), and parseaddr is a small parser run each time.
    address = parseaddr(mail_from)[1] or mail_from
    local, _, domain = address.rpartition("@")
    return (local or "soporte"), (domain or "localhost")


def reply_address(app: web.Application, numero: str) -> str:
    """The signed reply address of ticket ``numero`` (``TK-000123``)."""
    local, domain = from_parts(app)
    base = local.split("+", 1)[0]
    return f"{base}+{numero.upper()}-{_sign(keyring(app).key(REPLY_ADDRESS), numero)}@{domain}"


def parse_reply_address(app: web.Application, address: str) -> str | None:
    """The ticket number an address made by :func:`reply_address` names (``TK-000123``), or
    ``None`` for any other address or a bad signature. Accepts a display form too
    (``"Ana" <soporte+TK-…@example.com>``)."""
    addr = parseaddr(address)[1]
    local, _, _domain = addr.rpartition("@")
    _base, plus, tag = local.partition("+")
    match = _TAG.match(tag) if plus else None
    if match is None:
        return None
    numero, signature = match.group(1).upper(), match.group(2).lower()
    for key in keyring(app).verification_keys(REPLY_ADDRESS):
        if hmac.compare_digest(_sign(key, numero), signature):
            return numero
    return None


def _root_signature(key: str, numero: str) -> str:
    return hmac.new(key.encode(), numero.encode(), hashlib.sha256).hexdigest()[:SIGNATURE_LENGTH]


def thread_root(app: web.Application, numero: str) -> str:
    """The stable root Message-ID of ticket (or case) ``numero``'s thread:
    ``<TK-000123.<signature>@domain>``, the domain of ``SOPORTE_MAIL_FROM``."""
    _, domain = from_parts(app)
    return f"<{numero}.{_root_signature(keyring(app).key(THREAD_ROOTS), numero)}@{domain}>"


def parse_thread_root(app: web.Application, message_id: str) -> str | None:
    """The number (``TK-000123``) a root made by :func:`thread_root` names, or ``None`` for
    any other Message-ID, a bad signature, or another domain. Roots signed before a secret-key
    rotation still verify."""
    match = _ROOT.match(message_id.strip())
    if match is None:
        return None
    numero, signature, domain = match.groups()
    if domain.lower() != from_parts(app)[1].lower():
        return None
    for key in keyring(app).verification_keys(THREAD_ROOTS):
        if hmac.compare_digest(_root_signature(key, numero), signature):
            return numero
    return None
