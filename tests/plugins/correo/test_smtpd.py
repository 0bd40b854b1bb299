"""The SMTP receiver (plugins/correo/smtpd.py): a real app listening on loopback, Python's
smtplib as the sender (in a thread: the server runs in the test's event loop)."""

from __future__ import annotations

import asyncio
import smtplib
from typing import TYPE_CHECKING, Any

import pytest
from tortoise.context import get_current_context

from core.reply_address import reply_address
from plugins.correo import smtpd
from plugins.correo.models import Mensaje, Origen
from plugins.correo.smtpd import Destinatarios, parse_listen, receptor_de
from plugins.tickets import api as tickets_api
from tests.plugins.correo.conftest import Tickets

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SoporteClient

SOPORTE = "soporte@example.com"


def crudo(message_id: str = "<uno@cliente.test>", cuerpo: str = "Hola, no puedo entrar.") -> bytes:
    """A small message from a customer to the support address."""
    return (
        f"From: Ana <ana@cliente.test>\r\nTo: {SOPORTE}\r\nMessage-ID: {message_id}\r\n"
        f"Subject: No puedo entrar\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n\r\n{cuerpo}\r\n"
    ).encode()


@pytest.fixture
async def receptor(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> Callable[..., Awaitable[tuple[SoporteClient, int]]]:
    """``await receptor(**correo_settings)``: an app with the SMTP receiver on a free port."""

    async def arrancar(**propios: Any) -> tuple[SoporteClient, int]:
        propios = {"address": SOPORTE, "smtp_listen": "127.0.0.1:0", **propios}
        app = await start_app(plugins=["tickets", "correo"], plugin_settings={"correo": propios})
        recibiendo = receptor_de(app.app)
        assert recibiendo is not None
        return app, recibiendo.puerto

    return arrancar


def enviar(puerto: int, mensaje: bytes, rcpt: str = SOPORTE, mail_from: str = "ana@cliente.test"):
    """One message over SMTP (blocking); smtplib's answer of refused recipients."""
    with smtplib.SMTP("127.0.0.1", puerto, timeout=30) as cliente:
        return cliente.sendmail(mail_from, [rcpt], mensaje)


async def test_a_message_is_stored_before_250_then_becomes_a_ticket(receptor: Any) -> None:
    app, puerto = await receptor()
    tickets = Tickets(app.app)
    await asyncio.to_thread(enviar, puerto, crudo(), "Soporte+Pedidos@Example.com")
    # smtplib returned, so the server answered 250: the row is committed already.
    [fila] = await Mensaje.all()
    assert fila.origen == Origen.SMTP
    assert bytes(fila.crudo).replace(b"\r\n", b"\n") == crudo().replace(b"\r\n", b"\n")
    assert fila.sobre_remitente == "ana@cliente.test"
    assert fila.sobre_destinatarios == ["Soporte+Pedidos@Example.com"]
    assert fila.message_id == "<uno@cliente.test>"
    # Then the pipeline, in the same process: the message opens a ticket.
    [ticket_id] = await tickets.esperar(1)
    ticket = await tickets_api.obtener(ticket_id)
    assert ticket is not None and ticket.asunto == "No puedo entrar"
    await fila.refresh_from_db()
    assert fila.ticket_id == ticket_id


async def test_the_same_message_twice_is_one_row(receptor: Any) -> None:
    _app, puerto = await receptor()
    await asyncio.to_thread(enviar, puerto, crudo())
    await asyncio.to_thread(enviar, puerto, crudo())  # a retry after a lost 250: still 250
    assert await Mensaje.all().count() == 1


async def test_size_is_advertised_and_enforced(receptor: Any) -> None:
    _app, puerto = await receptor(max_bytes=2000)
    grande = crudo(cuerpo=("x" * 68 + "\r\n") * 50)  # 3,500 bytes in short lines

    def por_size() -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", puerto, timeout=30) as cliente:
            cliente.ehlo()
            assert cliente.esmtp_features["size"] == "2000"
            with pytest.raises(smtplib.SMTPSenderRefused) as error:
                cliente.sendmail("ana@cliente.test", [SOPORTE], grande)  # sends SIZE=
            return error.value.smtp_code, error.value.smtp_error

    def sin_size() -> tuple[int, bytes]:
        # A sender that does not declare the size: refused after DATA.
        with smtplib.SMTP("127.0.0.1", puerto, timeout=30) as cliente:
            cliente.ehlo()
            assert cliente.mail("ana@cliente.test")[0] == 250
            assert cliente.rcpt(SOPORTE)[0] == 250
            return cliente.data(grande)

    assert (await asyncio.to_thread(por_size))[0] == 552
    assert (await asyncio.to_thread(sin_size))[0] == 552
    assert await Mensaje.all().count() == 0


async def test_a_storage_error_is_451_and_the_retry_is_stored(receptor: Any) -> None:
    _app, puerto = await receptor()
    conexion = get_current_context().db("default")
    # The table is gone for a moment: the INSERT fails as a broken database would.
    await conexion.execute_script('ALTER TABLE "correo_mensaje" RENAME TO "correo_fuera"')
    try:
        with pytest.raises(smtplib.SMTPDataError) as error:
            await asyncio.to_thread(enviar, puerto, crudo())
        assert error.value.smtp_code == 451
    finally:
        await conexion.execute_script('ALTER TABLE "correo_fuera" RENAME TO "correo_mensaje"')
    await asyncio.to_thread(enviar, puerto, crudo())  # the sender's retry
    assert await Mensaje.all().count() == 1


async def test_only_soporte_recipients_are_accepted(receptor: Any) -> None:
    app, puerto = await receptor()
    respuesta = reply_address(app.app, "TK-000123")

    def sesion() -> tuple[int, int, int, dict[str, Any]]:
        with smtplib.SMTP("127.0.0.1", puerto, timeout=30) as cliente:
            cliente.ehlo()
            cliente.mail("ana@cliente.test")
            ajeno = cliente.rcpt("otro@example.com")[0]
            otro_dominio = cliente.rcpt("soporte@otro.test")[0]
            firmado = cliente.rcpt(respuesta)[0]
            cliente.rset()
            refusados = {}
            try:
                cliente.sendmail("ana@cliente.test", ["nadie@example.com"], crudo())
            except smtplib.SMTPRecipientsRefused as exc:
                refusados = exc.recipients
            return ajeno, otro_dominio, firmado, refusados

    ajeno, otro_dominio, firmado, refusados = await asyncio.to_thread(sesion)
    assert (ajeno, otro_dominio, firmado) == (550, 550, 250)
    assert refusados["nadie@example.com"][0] == 550
    assert await Mensaje.all().count() == 0


async def test_an_alias_is_accepted_as_the_support_address(receptor: Any) -> None:
    _app, puerto = await receptor(aliases="ayuda@example.com, Help@Example.org")

    def sesion() -> tuple[int, int, int]:
        with smtplib.SMTP("127.0.0.1", puerto, timeout=30) as cliente:
            cliente.ehlo()
            cliente.mail("ana@cliente.test")
            return (
                cliente.rcpt("ayuda@example.com")[0],
                cliente.rcpt("help+urgente@example.org")[0],
                cliente.rcpt("ventas@example.com")[0],
            )

    assert await asyncio.to_thread(sesion) == (250, 250, 550)
    await asyncio.to_thread(enviar, puerto, crudo(), "ayuda@example.com")
    assert await Mensaje.all().count() == 1


async def test_sessions_above_the_limit_get_421(
    receptor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(smtpd, "MAX_SESSIONS", 1)
    _app, puerto = await receptor()

    def dos() -> tuple[int, int]:
        with smtplib.SMTP("127.0.0.1", puerto, timeout=30) as primero:
            segundo = smtplib.SMTP(timeout=30)
            try:
                codigo, _ = segundo.connect("127.0.0.1", puerto)
            except smtplib.SMTPConnectError as exc:
                codigo = exc.smtp_code
            finally:
                segundo.close()
            return primero.noop()[0], codigo

    assert await asyncio.to_thread(dos) == (250, 421)


def test_recipients_and_listen_parsing() -> None:
    destinos = Destinatarios("Soporte <soporte@example.com>", "avisos@example.com")
    assert destinos.acepta("SOPORTE@example.com")
    assert destinos.acepta("soporte+TK-000001-abc@EXAMPLE.com")
    assert destinos.acepta("<avisos+x@example.com>")
    assert not destinos.acepta("soporte@example.org")
    assert not destinos.acepta("soportes@example.com")
    assert not destinos.acepta("")
    assert parse_listen("127.0.0.1:2525") == ("127.0.0.1", 2525)
    assert parse_listen("[::1]:25") == ("::1", 25)
    for malo in ("2525", "host:", ":25", "host:99999", "host:x"):
        with pytest.raises(ValueError, match="SMTP_LISTEN"):
            parse_listen(malo)
