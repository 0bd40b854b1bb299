"""Helpers of the correo tests: raw messages built here, an app with mail in and out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

from plugins.correo.api import Origen, Recibido, recibir
from plugins.correo.models import Mensaje
from plugins.correo.procesamiento import procesador

if TYPE_CHECKING:
    from core.testing import SmtpSink, SoporteClient

PLUGINS = ["tickets", "notificaciones", "correo"]
SOPORTE = "soporte@ayuda.example.com"
#: A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def correo(
    de: str = "Ana Pérez <ana@cliente.test>",
    asunto: str = "No puedo pagar mi reserva",
    cuerpo: str = "Hola, el pago de la reserva 123 falla con un error.",
    *,
    para: str = SOPORTE,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    cabeceras: Mapping[str, str] | None = None,
    adjuntos: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """A raw message as a mail client would send it."""
    m = EmailMessage()
    m["From"] = de
    m["To"] = para
    m["Subject"] = asunto
    m["Date"] = format_datetime(datetime.now(UTC))
    m["Message-ID"] = message_id or make_msgid(domain="cliente.test")
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
    if references:
        m["References"] = " ".join(references)
    for nombre, valor in (cabeceras or {}).items():
        m[nombre] = valor
    m.set_content(cuerpo)
    for nombre, tipo, contenido in adjuntos:
        principal, _, sub = tipo.partition("/")
        m.add_attachment(contenido, maintype=principal, subtype=sub, filename=nombre)
    return m.as_bytes()


def message_id_de(crudo: bytes) -> str:
    """The Message-ID header of a raw message built by :func:`correo`."""
    from email import message_from_bytes

    return str(message_from_bytes(crudo)["Message-ID"])


async def entregar(
    soporte: SoporteClient, crudo: bytes, *, origen: Origen = Origen.SMTP, **sobre: Any
) -> Mensaje:
    """Store ``crudo`` as a transport would, wait until it is processed, and return its row."""
    recibido: Recibido = await recibir(soporte.app, crudo, origen=origen, **sobre)
    await procesador(soporte.app).esperar([recibido.id])
    return await Mensaje.get(id=recibido.id)


async def arrancar(start_app: Any, smtp_sink: SmtpSink | None = None, **settings: Any) -> Any:
    """An app with tickets, notificaciones and correo; mail out to ``smtp_sink`` if given."""
    valores: dict[str, Any] = {
        "mail_from": f"Soporte <{SOPORTE}>",
        "outbox_poll_seconds": 0.05,
        **settings,
    }
    if smtp_sink is not None:
        valores["smtp_url"] = smtp_sink.url
    return await start_app(PLUGINS, **valores)
