"""The chat socket: ``/ws/soporte/ticket/{id}/?token=…`` (docs/api.md, "Real-time chat")."""

from __future__ import annotations

import json
import logging

from aiohttp import WSMsgType, web
from pydantic import ValidationError

from core.api.errors import Conflict, NotFound
from core.api.routing import Routes, validation_errors
from core.api.sockets import Ping, Pong, frame
from core.auth.guards import can_see_notes, reply_visible
from core.auth.models import Usuario
from core.i18n import gettext as _
from core.keys import CHANNELS, EVENTS, SESSIONS, SETTINGS
from core.ratelimit import allow, describe_limit
from plugins.chat import service
from plugins.chat.schemas import (
    MAX_CARACTERES,
    PROTOCOLO,
    ChatQuery,
    EstadoConexion,
    FrameEntrante,
    MensajeEntrante,
    Presencia,
    TypingEntrante,
    TypingSaliente,
)
from plugins.chat.viendo import Viendo
from plugins.tickets import api as tickets

log = logging.getLogger("soporte.chat")

routes = Routes(
    tag="chat",
    description="The real-time chat of a ticket (a WebSocket).",
)

SALAS: web.AppKey[service.Salas] = web.AppKey("chat_salas")
#: Who is viewing each ticket, over every process (``viendo`` frames to staff sockets).
VIENDO: web.AppKey[Viendo] = web.AppKey("chat_viendo")

#: Close codes browsers can read (an HTTP status of a failed upgrade is invisible to them).
CIERRE_NO_AUTENTICADO = 4401
CIERRE_NO_ENCONTRADO = 4404
CIERRE_PARAMETROS = 4400
#: Too many sockets: opened too often, or too many open at once (docs/api.md).
CIERRE_DEMASIADAS = 4429

HEARTBEAT_SEGUNDOS = 30.0
#: Most messages replayed to a reconnecting client (``?desde=``).
MAX_REPLAY = 500


@routes.websocket(r"/ws/soporte/ticket/{id:\d+}/", protocol=PROTOCOLO)
async def chat_ticket(request: web.Request, id: int) -> web.WebSocketResponse:
    """Join a ticket's chat: status, history replay, then messages, typing and presence."""
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SEGUNDOS, max_msg_size=64 * 1024, compress=False)
    await ws.prepare(request)

    # Closes with 4401 (CIERRE_NO_AUTENTICADO) on a bad token, and later when the session ends.
    sesiones = request.app[SESSIONS]
    usuario = await sesiones.authenticate(request, ws)
    if usuario is None:
        return ws
    try:
        ticket = await tickets.obtener_visible(usuario, id)
    except NotFound:
        sesiones.detach(ws)
        await ws.close(code=CIERRE_NO_ENCONTRADO, message=b"ticket no encontrado")
        return ws
    try:
        query = ChatQuery.model_validate({k: v for k, v in request.query.items() if v != ""})
    except ValidationError as exc:
        sesiones.detach(ws)
        await ws.send_json(service.error_frame("parametros", json.dumps(validation_errors(exc))))
        await ws.close(code=CIERRE_PARAMETROS, message=b"parametros invalidos")
        return ws

    channels = request.app[CHANNELS]
    salas = request.app[SALAS]
    if not await allow(request.app, "socket_opens", usuario.id):
        sesiones.detach(ws)
        await ws.close(code=CIERRE_DEMASIADAS, message=b"demasiadas conexiones abiertas seguidas")
        return ws
    # Checked and taken with no await in between, so parallel opens cannot pass the cap.
    if salas.abiertos_de(usuario.id) >= request.app[SETTINGS].max_sockets_per_user:
        sesiones.detach(ws)
        await ws.close(code=CIERRE_DEMASIADAS, message=b"demasiadas conexiones a la vez")
        return ws
    grupo = service.grupo(id)
    # Join before replaying, so that nothing stored meanwhile is missed; a message that
    # arrives both live and in the replay is sent once (the socket's ``Entregas`` filter).
    entregas = salas.entrar(id, ws, usuario)
    await channels.group_add(grupo, ws, accept=entregas.aceptar)
    # Staff sockets also hear the ticket's internal notes, which go to this group only.
    personal = service.grupo_personal(id) if can_see_notes(usuario) else None
    if personal is not None:
        await channels.group_add(personal, ws, accept=entregas.aceptar)
    try:
        estado = EstadoConexion.model_validate(
            {
                "ticket_id": id,
                "usuario": service.usuario_frame(usuario),
                "participantes": salas.participantes(id),
            }
        )
        await ws.send_json(frame(estado))
        if query.desde is not None:  # a reconnect: everything after the last id it saw
            replay = await tickets.historial(id, query.desde, MAX_REPLAY, para=usuario)
        elif query.historial:
            replay = await tickets.historial(id, None, query.historial, para=usuario)
        else:
            replay = []
        for respuesta in replay:
            if entregas.registrar(respuesta.id):
                await ws.send_json(service.mensaje_frame(respuesta))
        if not replay:
            # Where a replay after a channel-layer gap would start: the ticket's latest reply.
            ultimas = await tickets.historial(id, query.desde, 1, para=usuario)
            entregas.ultimo = max(entregas.ultimo, query.desde or 0, *(r.id for r in ultimas))
        if not channels.subscribed:  # joined while other processes cannot be heard
            entregas.abrir_hueco()
        if salas.sockets_de(id, usuario.id) == 1:
            llega = Presencia.model_validate(
                {"usuario": service.usuario_frame(usuario), "conectado": True}
            )
            await channels.group_send(grupo, frame(llega), exclude=ws)
        # After connection_status and the replay: staff sockets that asked (this one too) are
        # told who is viewing now, in every process.
        await request.app[VIENDO].entrar(id, ws, usuario, oye=query.viendo)
        await _conversar(request, ws, usuario, ticket.id)
    finally:
        request.app[VIENDO].salir(id, ws)  # synchronous: a cancelled handler still leaves
        sesiones.detach(ws)
        await channels.group_discard(grupo, ws)
        if personal is not None:
            await channels.group_discard(personal, ws)
        salas.salir(id, ws)
        if salas.sockets_de(id, usuario.id) == 0:
            sale = Presencia.model_validate(
                {"usuario": service.usuario_frame(usuario), "conectado": False}
            )
            await channels.group_send(grupo, frame(sale))
    return ws


async def _conversar(
    request: web.Request, ws: web.WebSocketResponse, usuario: Usuario, ticket_id: int
) -> None:
    """Read frames until the socket closes; bad frames get an error frame, never a close."""
    channels = request.app[CHANNELS]
    bus = request.app[EVENTS]
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            if msg.type == WSMsgType.BINARY:
                await ws.send_json(
                    service.error_frame("formato", _("Solo se admiten frames JSON."))
                )
            continue
        try:
            data = json.loads(msg.data)
            entrada = FrameEntrante.model_validate(data)
        except (ValueError, RecursionError, ValidationError):  # deep nesting: RecursionError
            await ws.send_json(
                service.error_frame("json_invalido", _("El frame no es JSON válido."))
            )
            continue
        if entrada.tipo == "mensaje":
            try:
                entrante = MensajeEntrante.model_validate(data)
            except ValidationError:
                await ws.send_json(
                    service.error_frame(
                        "mensaje_invalido",
                        _("El mensaje debe ser texto de 1 a {maximo} caracteres.").format(
                            maximo=MAX_CARACTERES
                        ),
                    )
                )
                continue
            if entrante.interna and not can_see_notes(usuario):
                await ws.send_json(
                    service.error_frame(
                        "prohibido", _("Solo los agentes pueden escribir notas internas.")
                    )
                )
                continue
            texto = entrante.mensaje.strip()
            if not texto:
                await ws.send_json(
                    service.error_frame("mensaje_vacio", _("El mensaje está vacío."))
                )
                continue
            # Per user and ticket over all their sockets and processes (a shared count).
            if not await allow(request.app, "chat_messages", usuario.id, ticket_id):
                limite = describe_limit(request.app, "chat_messages")
                await ws.send_json(
                    service.error_frame(
                        "limite",
                        _("Demasiados mensajes en este chat: {limite}.").format(limite=limite),
                    )
                )
                continue
            try:
                await tickets.responder(
                    bus,
                    usuario,
                    ticket_id,
                    texto,
                    canal=tickets.Canal.CHAT,
                    interna=entrante.interna,
                )
            except Conflict as exc:
                # A problem's detail is a message id, translated where it is shown.
                await ws.send_json(service.error_frame("ticket_cerrado", _(exc.detail)))
            except NotFound:
                await ws.send_json(
                    service.error_frame("no_encontrado", _("El ticket ya no existe."))
                )
        elif entrada.tipo == "typing":
            try:
                typing = TypingEntrante.model_validate(data)
            except ValidationError:
                await ws.send_json(
                    service.error_frame("typing_invalido", _("Falta 'escribiendo'."))
                )
                continue
            if typing.interna and not can_see_notes(usuario):
                await ws.send_json(
                    service.error_frame("prohibido", _("Solo el personal escribe notas internas."))
                )
                continue
            if not await allow(request.app, "chat_typing", usuario.id, ticket_id):
                continue  # over the limit: not relayed, and nothing to answer
            # Typing a note is told to the staff only: a customer never learns of it.
            destino = service.grupo_personal if typing.interna else service.grupo
            aviso = TypingSaliente(
                autor=usuario.nombre_visible,
                autor_id=usuario.id,
                escribiendo=typing.escribiendo,
                interna=typing.interna,
            )
            await channels.group_send(destino(ticket_id), frame(aviso), exclude=ws)
        elif entrada.tipo == "ping":
            Ping.model_validate(data)  # nothing but ``tipo`` to check: documents the frame
            await ws.send_json(frame(Pong()))
        else:
            await ws.send_json(
                service.error_frame(
                    "tipo_desconocido",
                    _("Tipo de frame desconocido: {tipo}.").format(tipo=repr(entrada.tipo)),
                )
            )


async def resincronizar(salas: service.Salas) -> None:
    """After a channel-layer gap: send each local socket the replies it missed, once.

    The replies stored since the gap began (``Entregas.hueco_desde``) are read once per ticket;
    each socket gets those it was not sent yet, oldest first.
    """
    for ticket_id, destinos in salas.con_hueco().items():
        desde = min(entregas.hueco_desde or 0 for _, entregas in destinos)
        replay = await tickets.historial(ticket_id, desde, MAX_REPLAY)
        for ws, entregas in destinos:
            inicio = entregas.hueco_desde or 0
            entregas.hueco_desde = None
            usuario = salas.usuario_de(ticket_id, ws)
            for respuesta in replay:
                # The replay is read once for every socket: each gets only what it may see.
                if usuario is None or not reply_visible(usuario, respuesta.interna):
                    continue
                if respuesta.id > inicio and entregas.registrar(respuesta.id) and not ws.closed:
                    try:
                        await ws.send_json(service.mensaje_frame(respuesta))
                    except (ConnectionError, RuntimeError) as exc:
                        log.info("socket gone during a resync of ticket %s: %s", ticket_id, exc)
                        break
        log.info("chat of ticket %s resynchronised after a channel-layer gap", ticket_id)
