"""What one stored message becomes: analizar → safety → sender → threading → a ticket or a
reply (docs/api.md, "Correo entrante").

Runs inside the one transaction :mod:`plugins.correo.procesamiento` opened for the message,
and returns a :class:`Resultado` that it records on the row in that same transaction: the
ticket or reply, its attachments, a new customer, the notifications' outbox rows and the
row's ``PROCESADO`` commit together, or not at all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from core.history import Canal as HistoryCanal
from core.keys import EVENTS
from plugins.correo import adjuntos, hilos, remitentes, seguridad
from plugins.correo.analisis import MensajeIlegible, analizar
from plugins.correo.models import EstadoMensaje
from plugins.tickets import api as tickets

if TYPE_CHECKING:
    from aiohttp import web

    from plugins.correo.analisis import Analizado
    from plugins.correo.models import Mensaje

#: Tickets' limits on the texts (the REST route's): a longer mail body is cut, with a note.
MAX_ASUNTO: Final = 200
MAX_TEXTO: Final = 10_000
SIN_ASUNTO: Final = "(sin asunto)"
VACIO: Final = "(mensaje vacío)"
RECORTADO: Final = "\n\n[Mensaje recortado: el texto completo está en el correo original.]"


@dataclass(frozen=True, slots=True)
class Resultado:
    """The outcome of processing one message."""

    estado: EstadoMensaje
    motivo: str = ""
    remitente: str = ""
    asunto: str = ""
    ticket_id: int | None = None
    respuesta_id: int | None = None


def texto_de(cuerpo: str, descartes: list[str], prefijo: str = "") -> str:
    """The text stored for a message: ``prefijo``, the body (or :data:`VACIO`), a note of the
    attachments left out; at most :data:`MAX_TEXTO` characters."""
    nota = ""
    if descartes:
        nota = "\n\n[Adjuntos no incluidos: " + "; ".join(descartes) + ".]"
    cuerpo = cuerpo.strip() or VACIO
    texto = prefijo + cuerpo
    if len(texto) + len(nota) > MAX_TEXTO:
        texto = texto[: MAX_TEXTO - len(nota) - len(RECORTADO)].rstrip() + RECORTADO
    return texto + nota


#: Raw messages larger than this are parsed in a thread, not on the event loop (bytes).
PARSE_IN_THREAD_BYTES: Final = 64 * 1024


def asunto_de(analizado: Analizado) -> str:
    """The new ticket's asunto: the subject on one line, cut to the field's length."""
    asunto = " ".join(analizado.asunto.split()) or SIN_ASUNTO
    return asunto if len(asunto) <= MAX_ASUNTO else asunto[: MAX_ASUNTO - 1].rstrip() + "…"


async def procesar(app: web.Application, mensaje: Mensaje, escritos: list[str]) -> Resultado:
    """Process one stored message; raising quarantines it (the error is the reason).

    ``escritos`` collects the storage keys of the attachment files written, for the caller to
    delete if the transaction does not commit.
    """
    from plugins.correo.plugin import ajustes

    propios = ajustes(app)
    crudo = bytes(mensaje.crudo)
    try:
        # Parsing is linear but not cheap (an HTML body costs about 1 µs a byte): a large
        # message is read in a thread so that the event loop keeps serving everyone else.
        if len(crudo) > PARSE_IN_THREAD_BYTES:
            analizado = await asyncio.to_thread(analizar, crudo)
        else:
            analizado = analizar(crudo)
    except MensajeIlegible as exc:
        return Resultado(EstadoMensaje.CUARENTENA, f"ilegible: {exc}")
    de, asunto = analizado.remitente, analizado.asunto

    rechazo = await seguridad.revisar(app, propios, analizado)
    if rechazo is not None:
        return Resultado(rechazo.estado, rechazo.motivo, remitente=de, asunto=asunto)
    remitente = await remitentes.resolver(app, propios, de, analizado.remitente_nombre)
    if remitente.usuario is None:
        return Resultado(EstadoMensaje.IGNORADO, remitente.motivo, remitente=de, asunto=asunto)
    usuario = remitente.usuario

    ticket = await hilos.buscar(app, analizado, mensaje.sobre_destinatarios, usuario)
    subidas, descartes = await adjuntos.guardar(app, analizado.adjuntos, escritos)
    bus = app[EVENTS]
    actual = hilos.EN_PROCESO.set(analizado.message_id)
    try:
        if ticket is not None and ticket.estado != tickets.Estado.CERRADO:
            respuesta = await tickets.responder(
                bus,
                usuario,
                ticket.id,
                texto_de(analizado.texto_nuevo, descartes),
                tickets.Canal.CORREO,
                subidas,
            )
            return Resultado(
                EstadoMensaje.PROCESADO,
                remitente=de,
                asunto=asunto,
                ticket_id=ticket.id,
                respuesta_id=respuesta.id,
            )
        prefijo = ""
        if ticket is not None:  # CERRADO: accepts no reply, so the mail opens a new ticket
            prefijo = f"(Continúa el ticket {ticket.numero}, que estaba cerrado.)\n\n"
        nuevo = await tickets.crear(
            bus,
            usuario,
            asunto=asunto_de(analizado),
            descripcion=texto_de(analizado.texto_nuevo, descartes, prefijo),
            categoria=tickets.Categoria(propios.categoria),
            prioridad=tickets.Prioridad(propios.prioridad),
            adjuntos=subidas,
            canal=HistoryCanal.CORREO,
        )
        return Resultado(EstadoMensaje.PROCESADO, remitente=de, asunto=asunto, ticket_id=nuevo.id)
    finally:
        hilos.EN_PROCESO.reset(actual)
