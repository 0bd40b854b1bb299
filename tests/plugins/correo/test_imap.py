"""The IMAP reader (plugins/correo/imap.py) against a real dovecot (scripts/dovecot.sh): mail is
put into the mailbox with IMAP APPEND, the reader imports it into a real app."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest

from plugins.correo.imap import IMPORTADO, RECHAZADO, lector_de, parse_imap_url
from plugins.correo.models import Mensaje, Origen
from plugins.tickets import api as tickets_api
from tests.plugins.correo.conftest import Tickets

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SoporteClient
    from plugins.correo.imap import Lector
    from tests.plugins.correo.conftest import Dovecot


def crudo(n: int, cuerpo: str = "Hola, no puedo entrar.") -> bytes:
    """Message number ``n`` from a customer."""
    return (
        f"From: Ana <ana@cliente.test>\r\nTo: soporte@example.com\r\n"
        f"Message-ID: <imap-{n}@cliente.test>\r\nSubject: Consulta {n}\r\n\r\n{cuerpo}\r\n"
    ).encode()


@pytest.fixture
def leer(
    start_app: Callable[..., Awaitable[SoporteClient]], dovecot: Dovecot
) -> Callable[..., Awaitable[Lector]]:
    """``await leer(carpeta, tls=…, **correo_settings)``: an app reading ``carpeta``, after
    its first round of import."""

    async def arrancar(carpeta: str, *, tls: str = "starttls", **propios: Any) -> Lector:
        propios = {"imap_url": dovecot.url(carpeta, tls=tls), **propios}
        app = await start_app(plugins=["tickets", "correo"], plugin_settings={"correo": propios})
        lector = lector_de(app.app)
        assert lector is not None
        await lector.esperar_rondas(1, espera=20)
        return lector

    return arrancar


async def test_imported_messages_become_tickets_and_are_moved(dovecot: Dovecot, leer: Any) -> None:
    carpeta = await asyncio.to_thread(dovecot.carpeta)
    hechos = f"{carpeta}-hechos"  # created by the reader
    lector = await leer(carpeta, tls="imaps", imap_processed_folder=hechos)
    tickets = Tickets(lector.app)
    await asyncio.to_thread(dovecot.append, carpeta, crudo(1), crudo(2))
    await lector.esperar_importados(2, espera=20)
    filas = await Mensaje.all().order_by("id")
    assert [f.message_id for f in filas] == ["<imap-1@cliente.test>", "<imap-2@cliente.test>"]
    assert {f.origen for f in filas} == {Origen.IMAP}
    assert bytes(filas[0].crudo) == crudo(1)
    assert await asyncio.to_thread(dovecot.mensajes, carpeta) == []
    movidos = await asyncio.to_thread(dovecot.mensajes, hechos)
    assert [m[1] for m in movidos] == [crudo(1), crudo(2)]
    assert lector.importados == 2
    # Then the pipeline: each message opens its ticket.
    ids = await tickets.esperar(2)
    assert {t.asunto for t in await tickets_api.leer(ids)} == {"Consulta 1", "Consulta 2"}


async def test_flagged_without_a_folder_and_never_fetched_twice(
    dovecot: Dovecot, leer: Any
) -> None:
    carpeta = await asyncio.to_thread(dovecot.carpeta)
    await asyncio.to_thread(dovecot.append, carpeta, crudo(1))
    lector = await leer(carpeta)
    [(flags, _)] = await asyncio.to_thread(dovecot.mensajes, carpeta)
    assert b"\\Seen" in flags and IMPORTADO.encode() in flags
    # New mail wakes the reader: the second round fetches only the new message.
    await asyncio.to_thread(dovecot.append, carpeta, crudo(2))
    await lector.esperar_rondas(2, espera=20)
    assert lector.importados == 2  # one recibir per message: the first was not fetched again
    assert await Mensaje.all().count() == 2


async def test_idle_wakes_the_reader_at_once(dovecot: Dovecot, leer: Any) -> None:
    carpeta = await asyncio.to_thread(dovecot.carpeta)
    # Polling every 10 minutes: only IDLE can bring the message in quickly.
    lector = await leer(carpeta, imap_poll_seconds=600)
    inicio = time.monotonic()
    await asyncio.to_thread(dovecot.append, carpeta, crudo(1))
    await lector.esperar_rondas(2, espera=10)
    assert time.monotonic() - inicio < 1.0
    assert await Mensaje.filter(message_id="<imap-1@cliente.test>").exists()


async def test_polls_a_server_without_idle(
    dovecot: Dovecot, leer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imapclient import IMAPClient

    tiene = IMAPClient.has_capability
    # dovecot has IDLE: the reader is told it has not, so it polls.
    monkeypatch.setattr(IMAPClient, "has_capability", lambda c, n: n != "IDLE" and tiene(c, n))
    carpeta = await asyncio.to_thread(dovecot.carpeta)
    lector = await leer(carpeta, imap_poll_seconds=0.2)
    await asyncio.to_thread(dovecot.append, carpeta, crudo(1))
    await lector.esperar_importados(1, espera=10)
    assert lector.rondas >= 2  # found by a later poll, not the first round


async def test_a_broken_or_too_large_message_does_not_block_the_next(
    dovecot: Dovecot, leer: Any
) -> None:
    carpeta = await asyncio.to_thread(dovecot.carpeta)
    roto = b"esto no es un correo\r\n\xff\xfe\x80 ni cabeceras ni nada\r\n"
    grande = crudo(2, cuerpo=("x" * 70 + "\r\n") * 60)
    await asyncio.to_thread(dovecot.append, carpeta, roto, grande, crudo(3))
    await leer(carpeta, max_bytes=2000)
    guardados = set(await Mensaje.all().values_list("message_id", flat=True))
    # The broken one is stored (the pipeline quarantines it), the large one is left flagged.
    assert "<imap-3@cliente.test>" in guardados and len(guardados) == 2
    assert "<imap-2@cliente.test>" not in guardados
    flags = {raw: f for f, raw in await asyncio.to_thread(dovecot.mensajes, carpeta)}
    assert RECHAZADO.encode() in flags[grande] and IMPORTADO.encode() in flags[grande]
    assert IMPORTADO.encode() in flags[roto] and IMPORTADO.encode() in flags[crudo(3)]


async def test_reconnects_after_the_server_restarts(dovecot: Dovecot, leer: Any) -> None:
    carpeta = await asyncio.to_thread(dovecot.carpeta)
    lector = await leer(carpeta, imap_poll_seconds=600)
    await asyncio.to_thread(dovecot.script, "restart")
    await asyncio.to_thread(dovecot.append, carpeta, crudo(1))
    await lector.esperar_rondas(2, espera=30)  # after the backoff, a new session's round
    assert await Mensaje.filter(message_id="<imap-1@cliente.test>").exists()


def test_imap_url_parsing() -> None:
    c = parse_imap_url("imaps://ana%40x.test:cl%2Fave@mail.test/Soporte%20Entrada?cafile=/ca.pem")
    assert (c.host, c.port, c.username, c.password) == ("mail.test", 993, "ana@x.test", "cl/ave")
    assert (c.folder, c.implicit_tls, c.cafile) == ("Soporte Entrada", True, "/ca.pem")
    c = parse_imap_url("imap://u:p@mail.test")
    assert (c.port, c.folder, c.starttls) == (143, "INBOX", "auto")
    assert parse_imap_url("imap://u:p@h?starttls=true").starttls == "required"
    assert parse_imap_url("imap://u:p@h:1143/X?starttls=off").port == 1143
    for malo in (
        "http://u:p@h/",
        "imap://h/",
        "imap://u@h/",
        "imap://u:p@h/?otro=1",
        "imap://u:p@h/?starttls=quizas",
        "imaps://u:p@h/?starttls=required",
    ):
        with pytest.raises(ValueError, match=r"IMAP_URL|starttls"):
            parse_imap_url(malo)
    assert "secreto" not in repr(parse_imap_url("imap://u:secreto@h/"))
