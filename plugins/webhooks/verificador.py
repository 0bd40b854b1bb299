"""Verify a webhook of soporte — for receivers. Standard library only: copy this file.

Every delivery carries ``Soporte-Firma: t=<unix seconds>,v1=<hex>`` (two ``v1=`` while a
secret rotation's grace period runs: one per secret). Each ``v1`` is the hex HMAC-SHA256 of
``f"{t}.".encode() + body`` under the subscription's secret. Check the raw body, as received,
before parsing the JSON::

    from verificador import verificar

    if not verificar(request_body_bytes, request.headers["Soporte-Firma"], SECRETO):
        return 400

``verificar`` compares in constant time and refuses a timestamp more than ``tolerancia``
seconds away from now (a captured request cannot be replayed later). Deliveries are
at-least-once: drop a repeated ``Soporte-Entrega`` header value.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["firmar", "verificar"]


def _bytes(valor: str | bytes) -> bytes:
    return valor.encode() if isinstance(valor, str) else valor


def firmar(cuerpo: str | bytes, secreto: str | bytes, t: int) -> str:
    """The hex ``v1`` signature of ``cuerpo`` at Unix time ``t`` under ``secreto``."""
    mensaje = f"{t}.".encode() + _bytes(cuerpo)
    return hmac.new(_bytes(secreto), mensaje, hashlib.sha256).hexdigest()


def verificar(
    cuerpo: str | bytes,
    cabecera: str | None,
    secreto: str | bytes,
    tolerancia: float = 300,
    *,
    ahora: float | None = None,
) -> bool:
    """Whether ``cabecera`` (the ``Soporte-Firma`` value) authenticates ``cuerpo`` (the raw
    body) under ``secreto``, with a timestamp within ``tolerancia`` seconds of ``ahora``
    (default: the current time). False for a missing or malformed header."""
    if not cabecera:
        return False
    t: int | None = None
    firmas: list[str] = []
    for parte in cabecera.split(","):
        clave, _, valor = parte.strip().partition("=")
        if clave == "t":
            try:
                t = int(valor)
            except ValueError:
                return False
        elif clave == "v1" and valor:
            firmas.append(valor)
    if t is None or not firmas:
        return False
    reloj = time.time() if ahora is None else ahora
    if abs(reloj - t) > tolerancia:
        return False
    esperada = firmar(cuerpo, secreto, t).encode()
    # Every candidate is compared (no early exit): the time taken says nothing about which.
    valida = False
    for firma in firmas:
        valida |= hmac.compare_digest(esperada, firma.encode("utf-8", "replace"))
    return valida
