"""``/api/soporte/notificaciones/`` and the socket ``/ws/soporte/notificaciones/?token=…``
(docs/api.md, "Notificaciones")."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from aiohttp import WSMsgType, web
from pydantic import ValidationError

from core.api import TOKEN, NotFound, Routes, paginate
from core.api.sockets import Ping, Pong, frame
from core.auth.guards import current_user
from core.auth.models import Rol, Usuario
from core.i18n import current_locale, use_locale
from core.i18n import gettext as _
from core.keys import CHANNELS, EVENTS, PLUGINS, SESSIONS, SETTINGS
from core.ratelimit import allow
from plugins.notificaciones import service
from plugins.notificaciones.difusion import (
    GRUPO_AGENTES,
    TEXTOS,
    grupo_usuario,
    notificacion_frame,
)
from plugins.notificaciones.schemas import (
    PROTOCOLO,
    ErrorNotificaciones,
    NotificacionesQuery,
    NotificacionOut,
    PaginaNotificaciones,
    PreferenciasIn,
    PreferenciasOut,
    Sincronizado,
    VistaPreviaOut,
)

log = logging.getLogger("soporte.notificaciones")

routes = Routes(
    tag="notificaciones",
    description="In-app notifications, their channels per type, and mail template previews.",
)

#: Too many sockets: opened too often, or too many open at once (the chat's code).
CIERRE_DEMASIADAS = 4429
HEARTBEAT_SEGUNDOS = 30.0

BASE = "/api/soporte/notificaciones/"


# --- REST ------------------------------------------------------------------------------------


async def _cargar(ids: Sequence[int]) -> list[NotificacionOut]:
    # In the caller's language (the request's locale), whatever language it was written in.
    return [NotificacionOut.model_validate(service.como_dict(n)) for n in await service.cargar(ids)]


@routes.get(BASE, auth=TOKEN)
async def lista(request: web.Request, query: NotificacionesQuery) -> PaginaNotificaciones:
    """The caller's notifications, newest first (``?no_leidas=true``: only the unread ones),
    with ``no_leidas``, how many are unread in all."""
    usuario = current_user(request)
    no_leidas = await service.contar_no_leidas(usuario.id)

    async def contar() -> int:
        return no_leidas

    qs = service.mias(usuario.id, no_leidas=bool(query.no_leidas))
    pagina = await paginate(
        request, qs, query, _cargar, NotificacionOut, count=contar if query.no_leidas else None
    )
    return PaginaNotificaciones(
        count=pagina.count,
        next=pagina.next,
        previous=pagina.previous,
        results=pagina.results,
        no_leidas=no_leidas,
    )


@routes.post(BASE + r"{id:\d+}/leer/", auth=TOKEN)
async def leer(request: web.Request, id: int) -> None:
    """Mark one of the caller's notifications read (404 if it is not theirs); the caller's
    other sockets get a ``leidas`` frame."""
    if not await service.leer(request.app[EVENTS], current_user(request).id, id):
        raise NotFound()


@routes.post(BASE + "leer-todas/", auth=TOKEN)
async def leer_todas(request: web.Request) -> None:
    """Mark every notification of the caller read (``leidas`` frame with ``"todas"``)."""
    await service.leer_todas(request.app[EVENTS], current_user(request).id)


def _plugins(request: web.Request) -> set[str]:
    return set(request.app[PLUGINS].names)


@routes.get(BASE + "preferencias/", auth=TOKEN)
async def ver_preferencias(request: web.Request) -> PreferenciasOut:
    """Every type the caller can receive, with ``{app, email}`` (defaults: docs/api.md)."""
    prefs = await service.preferencias(current_user(request), _plugins(request))
    return PreferenciasOut.model_validate({"preferencias": prefs})


@routes.patch(BASE + "preferencias/", auth=TOKEN)
async def cambiar_preferencias(request: web.Request, body: PreferenciasIn) -> PreferenciasOut:
    """Change some types' channels; unknown types (or e-mail for an in-app-only one): 400."""
    cambios = {tipo: c.model_dump(exclude_none=True) for tipo, c in body.preferencias.items()}
    prefs = await service.cambiar_preferencias(current_user(request), _plugins(request), cambios)
    return PreferenciasOut.model_validate({"preferencias": prefs})


@routes.get(BASE + r"plantillas/{tipo}/vista-previa/", auth=Rol.ADMIN, errors=(404,))
async def vista_previa(request: web.Request, tipo: str) -> VistaPreviaOut:
    """A type's e-mail rendered with sample data: subject, text, HTML and headers (admins; a
    type without e-mail, or unknown, is a 404)."""
    from plugins.notificaciones.correo import vista_previa as componer

    try:
        return VistaPreviaOut.model_validate(componer(request.app, tipo))
    except KeyError:
        raise NotFound() from None


# --- the socket ----------------------------------------------------------------------------------


@dataclass
class Conexiones:
    """This process's notification sockets: how many each user holds, what each was sent,
    and the language each reads (its user's profile, else its upgrade request's)."""

    por_usuario: Counter[int] = field(default_factory=Counter)
    enviadas: dict[web.WebSocketResponse, tuple[Usuario, set[int], str]] = field(
        default_factory=dict
    )

    def entrar(self, ws: web.WebSocketResponse, usuario: Usuario, idioma: str) -> set[int]:
        """Register a socket; returns the set of notification ids it has been sent."""
        self.por_usuario[usuario.id] += 1
        vistas: set[int] = set()
        self.enviadas[ws] = (usuario, vistas, idioma)
        return vistas

    def salir(self, ws: web.WebSocketResponse) -> None:
        """Forget a socket (safe twice)."""
        entrada = self.enviadas.pop(ws, None)
        if entrada is not None:
            uid = entrada[0].id
            self.por_usuario[uid] -= 1
            if self.por_usuario[uid] <= 0:
                del self.por_usuario[uid]


CONEXIONES: web.AppKey[Conexiones] = web.AppKey("notificaciones_conexiones")

_PREFIJO = '{"tipo": "notificacion"'


@lru_cache(maxsize=256)
def _id_de(texto: str) -> int | None:
    """The notification id of a serialised ``notificacion`` frame (cached: a frame sent to a
    group is the same text for each socket); ``None`` for other frames."""
    if not texto.startswith(_PREFIJO):
        return None
    try:
        valor = json.loads(texto).get("notificacion", {}).get("id")
    except (ValueError, AttributeError):
        return None
    return valor if isinstance(valor, int) else None


@lru_cache(maxsize=256)
def _en_idioma(texto: str, idioma: str) -> str:
    """A serialised ``notificacion`` group frame as a socket of ``idioma`` reads it: its texts
    rendered in that language, without the :data:`TEXTOS` key (cached per language: each of
    a user's tabs gets the same frame)."""
    mensaje = json.loads(texto)
    textos = mensaje.pop(TEXTOS, None)
    if textos is None:
        return texto
    with use_locale(idioma):
        mensaje["notificacion"] = service.en_idioma(mensaje["notificacion"], textos)
    return json.dumps(mensaje, ensure_ascii=False)


def _filtro(vistas: set[int], idioma: str) -> Callable[[str], bool | str]:
    """The channel layer's filter of one socket: every frame but a notification it was sent,
    and a notification in the socket's language."""

    def aceptar(texto: str) -> bool | str:
        nid = _id_de(texto)
        if nid is None:
            return True
        if nid in vistas:
            return False
        vistas.add(nid)
        return _en_idioma(texto, idioma)

    return aceptar


async def reponer(
    ws: web.WebSocketResponse, usuario_id: int, vistas: set[int], idioma: str
) -> None:
    """Send the user's unread notifications this socket was not sent yet (oldest first, at
    most :data:`~plugins.notificaciones.service.MAX_REPLAY`), in the socket's ``idioma``,
    then ``sincronizado``."""
    for n in await service.para_reponer(usuario_id):
        if n.id not in vistas:
            vistas.add(n.id)
            with use_locale(idioma):
                await ws.send_json(notificacion_frame(service.como_dict(n)))
    no_leidas = await service.contar_no_leidas(usuario_id)
    await ws.send_json(frame(Sincronizado(no_leidas=no_leidas)))


@routes.websocket("/ws/soporte/notificaciones/", protocol=PROTOCOLO)
async def socket(request: web.Request) -> web.WebSocketResponse:
    """The caller's notifications live: replay of the unread ones, ``sincronizado``, then each
    new one, ``leidas`` when read elsewhere, and (customers: their tickets; agents: all)
    ``ticket`` frames."""
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SEGUNDOS, max_msg_size=4096, compress=False)
    await ws.prepare(request)
    sesiones = request.app[SESSIONS]
    # 4401 on a bad token, and later when the session ends (logout, expiry, password).
    usuario = await sesiones.authenticate(request, ws)
    if usuario is None:
        return ws
    conexiones = request.app[CONEXIONES]
    if not await allow(request.app, "socket_opens", usuario.id):
        sesiones.detach(ws)
        await ws.close(code=CIERRE_DEMASIADAS, message=b"demasiadas conexiones abiertas seguidas")
        return ws
    # Checked and taken with no await in between, so parallel opens cannot pass the cap.
    if conexiones.por_usuario[usuario.id] >= request.app[SETTINGS].max_sockets_per_user:
        sesiones.detach(ws)
        await ws.close(code=CIERRE_DEMASIADAS, message=b"demasiadas conexiones a la vez")
        return ws
    # The user's profile language, else the upgrade request's (sessions.authenticate).
    idioma = current_locale()
    vistas = conexiones.entrar(ws, usuario, idioma)
    channels = request.app[CHANNELS]
    grupos = [grupo_usuario(usuario.id)]
    if usuario.rol in (Rol.AGENTE, Rol.ADMIN):
        grupos.append(GRUPO_AGENTES)
    try:
        # Join before the replay, so that nothing written meanwhile is missed; what arrives
        # both ways is sent once (the filter).
        aceptar = _filtro(vistas, idioma)
        for grupo in grupos:
            await channels.group_add(grupo, ws, accept=aceptar)
        await reponer(ws, usuario.id, vistas, idioma)
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                Ping.model_validate_json(msg.data)
            except (ValidationError, RecursionError):
                aviso = ErrorNotificaciones(
                    codigo="tipo_desconocido", detalle=_("Este socket solo admite frames ping.")
                )
                await ws.send_json(frame(aviso))
            else:
                await ws.send_json(frame(Pong()))
    finally:
        sesiones.detach(ws)
        for grupo in grupos:
            await channels.group_discard(grupo, ws)
        conexiones.salir(ws)
    return ws


async def resincronizar(conexiones: Conexiones) -> None:
    """After a channel-layer gap: each local socket gets the unread notifications it missed
    and a fresh ``sincronizado`` (its count may have changed meanwhile)."""
    for ws, (usuario, vistas, idioma) in list(conexiones.enviadas.items()):
        if ws.closed:
            continue
        try:
            await reponer(ws, usuario.id, vistas, idioma)
        except (ConnectionError, RuntimeError) as exc:
            log.info("socket gone during a resync of user %s: %s", usuario.id, exc)
