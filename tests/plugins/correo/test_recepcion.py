"""Storing raw messages (``recibir``) and claiming them for processing."""

from __future__ import annotations

import pytest

from core.testing import SoporteClient
from plugins.correo.api import (
    MensajeDemasiadoGrande,
    Origen,
    clave_mensaje,
    procesar_pendientes,
    recibir,
)
from plugins.correo.models import EstadoMensaje, Mensaje

pytestmark = pytest.mark.plugins("tickets", "correo")


def crudo(message_id: str | None = "<uno@cliente.test>", cuerpo: str = "Hola") -> bytes:
    """A minimal message."""
    cabecera = f"Message-ID: {message_id}\r\n" if message_id else ""
    return (
        f"From: Ana <ana@cliente.test>\r\nTo: soporte@example.com\r\n{cabecera}"
        f"Subject: Ayuda\r\n\r\n{cuerpo}\r\n"
    ).encode()


async def test_recibir_stores_once_by_message_id(soporte: SoporteClient) -> None:
    primero = await recibir(soporte.app, crudo(), origen=Origen.API)
    segundo = await recibir(soporte.app, crudo(cuerpo="otra"), origen=Origen.SMTP)
    assert not primero.duplicado
    assert segundo.duplicado and segundo.id == primero.id
    fila = await Mensaje.get(id=primero.id)
    assert bytes(fila.crudo) == crudo() and fila.origen == Origen.API
    assert await Mensaje.all().count() == 1


async def test_message_without_id_gets_a_synthetic_one() -> None:
    assert clave_mensaje(crudo(None)) == clave_mensaje(crudo(None))
    assert clave_mensaje(crudo(None)).endswith("@soporte>")
    assert clave_mensaje(crudo(None)) != clave_mensaje(crudo(None, cuerpo="otro"))
    assert clave_mensaje(b"\xff\xfe garbage").endswith("@soporte>")
    assert clave_mensaje(crudo("<" + "x" * 600 + "@a>")).endswith("@soporte>")


async def test_too_large_is_refused(soporte: SoporteClient, start_app) -> None:
    app = await start_app(
        plugins=["tickets", "correo"], plugin_settings={"correo": {"max_bytes": 100}}
    )
    with pytest.raises(MensajeDemasiadoGrande):
        await recibir(app.app, crudo(cuerpo="x" * 200), origen=Origen.API)
    assert await Mensaje.all().count() == 0


async def test_procesar_pendientes_processes_each_once(soporte: SoporteClient) -> None:
    for n in range(3):
        await recibir(soporte.app, crudo(f"<m{n}@cliente.test>"), origen=Origen.API)
    await procesar_pendientes(soporte.app)
    assert await procesar_pendientes(soporte.app) == 0
    filas = await Mensaje.all()
    assert all(f.estado != EstadoMensaje.RECIBIDO and f.intentos == 1 for f in filas)
