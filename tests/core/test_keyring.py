"""core.keyring: one HKDF-derived key per purpose; old secrets verify, never sign."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.keyring import LINKS, PASSWORD_RESET, WEBHOOKS, Keyring, derive_key


def test_each_purpose_has_its_own_key_and_none_is_the_secret() -> None:
    claves = {derive_key("s", p) for p in (LINKS, WEBHOOKS, PASSWORD_RESET)}
    assert len(claves) == 3 and "s" not in claves
    assert all(len(c) == 64 and int(c, 16) >= 0 for c in claves)
    assert derive_key("s", LINKS) != derive_key("t", LINKS)
    # RFC 5869 HKDF-SHA256, no salt, the purpose as info: reproducible by a receiver.
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"soporte:webhooks")
    assert derive_key("s", WEBHOOKS) == hkdf.derive(b"s").hex()


def test_fallbacks_verify_and_the_current_secret_signs() -> None:
    anillo = Keyring("nueva", ["vieja", "", "nueva", "antigua", "vieja"])
    assert anillo.key(LINKS) == derive_key("nueva", LINKS)
    # itsdangerous's order: oldest first, the signing key last.
    assert anillo.verification_keys(LINKS) == [
        derive_key("antigua", LINKS),
        derive_key("vieja", LINKS),
        derive_key("nueva", LINKS),
    ]
    assert Keyring("k").verification_keys(WEBHOOKS) == [derive_key("k", WEBHOOKS)]


@pytest.mark.parametrize("malo", ["", "Con Espacios", "a/b", "x" * 65])
def test_a_purpose_is_a_short_lower_case_name(malo: str) -> None:
    with pytest.raises(ValueError, match="not a key purpose"):
        derive_key("s", malo)


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Keyring("")
