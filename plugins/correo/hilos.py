"""Which ticket a message belongs to (issue 16, item 3), and the Message-IDs soporte's own
mails about a ticket answer (hook ``mail_thread_references``).

Candidates, in order: (a) a recipient that is a signed reply address
(:func:`core.reply_address.parse_reply_address`: envelope recipients, To, Cc, Delivered-To);
(b) ``In-Reply-To``, then ``References`` (newest first): a thread root of ours
(:func:`core.reply_address.parse_thread_root`; every mail soporte sends about a ticket
references it, and mail clients copy ``References`` into replies), or the Message-ID of a
message stored here with a ticket; (c) ``[TK-000123]`` in the subject. The pipeline takes the
first candidate the sender may write to — the ticket's customer or an active agent — so a
stranger never replies on someone else's ticket (not even with a reply address that was
forwarded to them): they get a ticket of their own.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Final

from core.reply_address import parse_reply_address, parse_thread_root
from plugins.correo.models import Mensaje
from plugins.tickets import api as tickets

if TYPE_CHECKING:
    from aiohttp import web

    from core.auth.models import Usuario
    from plugins.correo.analisis import Analizado

#: ``[TK-000123]`` in a subject.
_ETIQUETA: Final = re.compile(r"\[\s*(TK-\d{6,})\s*\]", re.IGNORECASE)
_NUMERO: Final = re.compile(r"^TK-(\d{6,})$", re.IGNORECASE)

#: The Message-ID of the message being processed in this task (it is not stored with its
#: ticket yet while the ticket's mails are composed inside the same transaction).
EN_PROCESO: ContextVar[str | None] = ContextVar("correo_en_proceso", default=None)


def id_de_numero(numero: str) -> int | None:
    """``TK-000123`` → ``123``; ``None`` for anything else."""
    match = _NUMERO.match(numero.strip())
    return int(match.group(1)) if match else None


async def ticket_de_numero(numero: str) -> tickets.TicketVista | None:
    """The ticket numbered ``numero``, if it exists."""
    ticket_id = id_de_numero(numero)
    if ticket_id is None:
        return None
    vista = await tickets.obtener(ticket_id)
    return vista if vista is not None and vista.numero == numero.upper() else None


def _ids_citados(analizado: Analizado) -> list[str]:
    """``In-Reply-To`` then ``References``, newest first, without repeats."""
    return list(dict.fromkeys([*reversed(analizado.in_reply_to), *reversed(analizado.references)]))


async def candidatos(
    app: web.Application, analizado: Analizado, sobre_destinatarios: Sequence[str]
) -> AsyncIterator[tickets.TicketVista]:
    """The tickets the message may belong to, in the order of the rules (lazily: the first
    one the sender may write to ends the search)."""
    vistos: set[int] = set()

    async def nuevo(vista: tickets.TicketVista | None) -> tickets.TicketVista | None:
        if vista is None or vista.id in vistos:
            return None
        vistos.add(vista.id)
        return vista

    for direccion in dict.fromkeys([*sobre_destinatarios, *analizado.destinatarios]):
        numero = parse_reply_address(app, direccion)
        if numero and (vista := await nuevo(await ticket_de_numero(numero))):
            yield vista
    citados = _ids_citados(analizado)
    for message_id in citados:
        numero = parse_thread_root(app, message_id)
        if numero and (vista := await nuevo(await ticket_de_numero(numero))):
            yield vista
    if citados:
        guardados = dict(
            await Mensaje.filter(message_id__in=citados, ticket_id__isnull=False).values_list(
                "message_id", "ticket_id"
            )
        )
        for message_id in citados:
            if message_id in guardados:
                vista = await nuevo(await tickets.obtener(int(guardados[message_id])))
                if vista is not None:
                    yield vista
    for etiqueta in _ETIQUETA.findall(analizado.asunto):
        if vista := await nuevo(await ticket_de_numero(etiqueta)):
            yield vista


def puede_escribir(usuario: Usuario, ticket: tickets.TicketVista) -> bool:
    """Whether ``usuario`` may add a reply to ``ticket`` by mail: its customer, or an agent."""
    return usuario.activo and (usuario.es_agente or usuario.id == ticket.cliente_id)


async def buscar(
    app: web.Application,
    analizado: Analizado,
    sobre_destinatarios: Sequence[str],
    usuario: Usuario,
) -> tickets.TicketVista | None:
    """The ticket the message replies on: the first candidate ``usuario`` may write to."""
    async for vista in candidatos(app, analizado, sobre_destinatarios):
        if puede_escribir(usuario, vista):
            return vista
    return None


def es_sintetico(message_id: str) -> bool:
    """Whether a stored Message-ID is one :func:`plugins.correo.api.clave_mensaje` made up
    (the message had none: no mail client knows it)."""
    return message_id.endswith("@soporte>")


async def referencias(numero: str) -> list[str]:
    """The hook ``mail_thread_references``: the first and the last stored message of ticket
    ``numero`` (and the one being processed now, if any), oldest first. One indexed query."""
    ticket_id = id_de_numero(numero)
    if ticket_id is None:
        return []
    guardados = Mensaje.filter(ticket_id=ticket_id).order_by("id")
    todos = await guardados.values_list("message_id", flat=True)
    ids = [str(m) for m in todos if not es_sintetico(str(m))]
    elegidos = ids[:1] + ids[-1:] if len(ids) > 1 else ids
    actual = EN_PROCESO.get()
    if actual and not es_sintetico(actual) and actual not in elegidos:
        elegidos.append(actual)
    return elegidos
