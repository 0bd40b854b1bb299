"""Signed per-ticket reply addresses (core/reply_address.py): made and verified, never forged."""

from __future__ import annotations

import pytest

from core.reply_address import parse_reply_address, reply_address


@pytest.fixture
def app(make_app):
    return make_app([], mail_from="Soporte <ayuda@soporte.example.com>")


def test_la_direccion_nombra_su_ticket_y_se_verifica(app):
    direccion = reply_address(app, "TK-000123")
    local, _, dominio = direccion.partition("@")
    assert dominio == "soporte.example.com"
    assert local.startswith("ayuda+TK-000123-") and len(local.rsplit("-", 1)[1]) == 16
    assert parse_reply_address(app, direccion) == "TK-000123"
    # As a display address, and lower-cased by a mail system on the way.
    assert parse_reply_address(app, f'"Ana" <{direccion}>') == "TK-000123"
    assert parse_reply_address(app, direccion.lower()) == "TK-000123"


def test_una_firma_ajena_o_alterada_no_vale(app, make_app):
    direccion = reply_address(app, "TK-000123")
    local, _, dominio = direccion.partition("@")
    firma = local.rsplit("-", 1)[1]
    otra = ("0" if firma[0] != "0" else "1") + firma[1:]
    assert parse_reply_address(app, f"ayuda+TK-000123-{otra}@{dominio}") is None
    # The signature of one ticket does not open another.
    assert parse_reply_address(app, f"ayuda+TK-000124-{firma}@{dominio}") is None
    for basura in ("", "ayuda@soporte.example.com", "ayuda+TK-1-abc@x", "no es una dirección"):
        assert parse_reply_address(app, basura) is None
    # Another secret key cannot verify it.
    otra_app = make_app([], secret_key="otra-clave-distinta", mail_from="ayuda@soporte.example.com")
    assert parse_reply_address(otra_app, direccion) is None


def test_tras_una_rotacion_la_direccion_antigua_sigue_valiendo(app, make_app):
    direccion = reply_address(app, "TK-000777")
    rotada = make_app(
        [],
        secret_key="clave-nueva-de-pruebas",
        secret_key_fallbacks=["clave-secreta-de-pruebas"],
        mail_from="ayuda@soporte.example.com",
    )
    assert parse_reply_address(rotada, direccion) == "TK-000777"
    assert reply_address(rotada, "TK-000777") != direccion


# --- thread roots ------------------------------------------------------------------------------


def test_thread_root_is_the_root_notificaciones_always_mailed(app):
    """The same key purpose and formula as notificaciones' raiz_hilo before the move: roots
    in mails already sent keep naming their ticket."""
    import hashlib
    import hmac

    from core.keyring import purpose_key
    from core.reply_address import thread_root

    firma = hmac.new(
        purpose_key(app, "notificaciones.hilos").encode(), b"TK-000123", hashlib.sha256
    ).hexdigest()[:16]
    assert thread_root(app, "TK-000123") == f"<TK-000123.{firma}@soporte.example.com>"


def test_parse_thread_root_accepts_only_our_signed_roots(app, make_app):
    from core.reply_address import parse_thread_root, thread_root

    raiz = thread_root(app, "TK-000123")
    assert parse_thread_root(app, raiz) == "TK-000123"
    assert parse_thread_root(app, f"  {raiz} ") == "TK-000123"
    assert parse_thread_root(app, thread_root(app, "CS-000042")) == "CS-000042"
    firma = raiz.split(".", 1)[1].split("@", 1)[0]
    otra = ("0" if firma[0] != "0" else "1") + firma[1:]
    assert parse_thread_root(app, raiz.replace(firma, otra)) is None
    assert parse_thread_root(app, raiz.replace("TK-000123", "TK-000124")) is None
    assert parse_thread_root(app, raiz.replace("soporte.example.com", "otro.example")) is None
    for basura in ("", "<abc@soporte.example.com>", "TK-000123", "<TK-1.x@y>"):
        assert parse_thread_root(app, basura) is None
    otra_app = make_app([], secret_key="otra-clave-distinta", mail_from="ayuda@soporte.example.com")
    assert parse_thread_root(otra_app, raiz) is None


def test_thread_root_survives_a_rotation(app, make_app):
    from core.reply_address import parse_thread_root, thread_root

    raiz = thread_root(app, "TK-000777")
    rotada = make_app(
        [],
        secret_key="clave-nueva-de-pruebas",
        secret_key_fallbacks=["clave-secreta-de-pruebas"],
        mail_from="ayuda@soporte.example.com",
    )
    assert parse_thread_root(rotada, raiz) == "TK-000777"
    assert thread_root(rotada, "TK-000777") != raiz
