"""Who is viewing a ticket, across every server process (the ``viendo`` frame, docs/api.md).

Each process knows its own sockets; it tells the others through the channel layer's control
plane (:meth:`core.realtime.ChannelLayer.send_control`, Redis pub/sub across processes):

- on each join or leave, the ticket's viewers held by this process (``parcial``);
- every ``announce_seconds``, all of them (``completo``), which replaces what others knew of it;
- at start-up, a request (``pedir``) that makes every other process announce at once, so a
  fresh process does not wait a period to learn who is already there.

A process that is not heard from for three periods is forgotten — how a crashed or killed
process's viewers disappear. Lost announcements heal sooner: one Redis did not take is sent
again (everything, ``completo``) within seconds, backing off while Redis stays away; and a
process whose subscription comes back after a gap asks the others to announce, as at start-up.

When the merged list of a ticket changes, each process sends the new ``viendo``
frame to its own staff sockets on that ticket that asked for it (``?viendo=true``) — never
through a group: a customer's socket never receives it, and no frame is sent twice.

Nothing here touches the database: viewing is volatile and costs no query.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.api.sockets import frame
from core.auth.guards import can_see_notes
from plugins.chat.schemas import ViendoSaliente
from plugins.chat.service import usuario_frame

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp import web

    from core.auth.models import Usuario
    from core.realtime import ChannelLayer

log = logging.getLogger("soporte.chat")

#: The control-plane message types of this module.
ANUNCIO = "chat.viendo"
PEDIDO = "chat.viendo.pedir"
#: A process not heard from for this many announcement periods is forgotten.
PERIODOS_DE_VIDA = 3
#: Seconds before an announcement Redis did not take is sent again, doubling up to the last
#: (or the announcement period, when shorter): a lost leave must not wait for the refresh.
REINTENTO_PRIMERO, REINTENTO_MAXIMO = 0.25, 2.0


def viendo_frame(ticket_id: int, usuarios: list[dict[str, Any]]) -> dict[str, Any]:
    """The frame staff sockets receive: every user viewing the ticket now, the caller too."""
    return frame(ViendoSaliente.model_validate({"ticket_id": ticket_id, "usuarios": usuarios}))


@dataclass
class _Remoto:
    """What another process last said: its viewers by ticket, and when it stops counting."""

    caduca: float
    por_ticket: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


class Viendo:
    """The viewers of every ticket: this process's sockets plus what other processes announce."""

    def __init__(self, channels: ChannelLayer, announce_seconds: float) -> None:
        self.channels = channels
        self.announce_seconds = announce_seconds
        self.origen = uuid.uuid4().hex[:16]
        # ticket → {socket: its user as frames show it}; only sockets that were sent
        # connection_status. The frame is built once, when the socket joins (from the user it
        # authenticated as, as before): every announcement reads it for every local socket, and
        # building it each time (a pydantic model per socket) held the loop ~50 ms per
        # announcement at 2,500 sockets.
        self._locales: dict[int, dict[web.WebSocketResponse, dict[str, Any]]] = {}
        self._remotos: dict[str, _Remoto] = {}
        # The local sockets sent ``viendo`` frames (staff sockets that asked for them).
        self._oyentes: set[web.WebSocketResponse] = set()
        # Announcements of sockets that left, kept referenced until they are sent.
        self._tareas: set[asyncio.Task[None]] = set()
        # Sending everything again after an announcement was not published (one at a time).
        self._reintento: asyncio.Task[None] | None = None

    # --- reading -------------------------------------------------------------------------------

    def locales(self, ticket_id: int) -> list[dict[str, Any]]:
        """Distinct users viewing ``ticket_id`` through this process, in arrival order."""
        vistos: dict[int, dict[str, Any]] = {}
        for usuario in self._locales.get(ticket_id, {}).values():
            vistos.setdefault(usuario["id"], usuario)
        return list(vistos.values())

    def usuarios(self, ticket_id: int) -> list[dict[str, Any]]:
        """Distinct users viewing ``ticket_id`` in any process (this one's first)."""
        vistos = {u["id"]: u for u in self.locales(ticket_id)}
        ahora = time.monotonic()
        for remoto in self._remotos.values():
            if remoto.caduca > ahora:
                for u in remoto.por_ticket.get(ticket_id, ()):
                    vistos.setdefault(u["id"], u)
        return list(vistos.values())

    # --- this process's sockets ----------------------------------------------------------------

    async def entrar(
        self, ticket_id: int, ws: web.WebSocketResponse, usuario: Usuario, *, oye: bool
    ) -> None:
        """A socket joined (after its ``connection_status``): tell everyone who is there now.

        Every socket counts as viewing; only a staff socket that asked (``oye``: the console's
        ``?viendo=true``) is sent ``viendo`` frames, so the guide's sockets get no new frame.
        """
        self._locales.setdefault(ticket_id, {})[ws] = usuario_frame(usuario)
        if oye and can_see_notes(usuario):
            self._oyentes.add(ws)
        await self._cambio_local(ticket_id)

    def salir(self, ticket_id: int, ws: web.WebSocketResponse) -> None:
        """A socket left (safe to call for one that never joined).

        Synchronous, the telling done by a task of its own: the socket's handler calls it while
        being cancelled (aiohttp cancels it once the peer is gone), and must not lose it.
        """
        self._oyentes.discard(ws)
        sala = self._locales.get(ticket_id)
        if sala is None or sala.pop(ws, None) is None:
            return
        if not sala:
            del self._locales[ticket_id]
        tarea = asyncio.create_task(self._cambio_local(ticket_id))
        self._tareas.add(tarea)
        tarea.add_done_callback(self._tareas.discard)

    async def _cambio_local(self, ticket_id: int) -> None:
        await self._enviar_a_personal(ticket_id)
        await self._anunciar({ticket_id: self.locales(ticket_id)}, completo=False)

    # --- the control plane ---------------------------------------------------------------------

    async def _anunciar(
        self, por_ticket: dict[int, list[dict[str, Any]]], *, completo: bool
    ) -> bool:
        """Tell the other processes; whether they were sent it. When not, everything is sent
        again soon (:meth:`_reintentar`): a partial announcement lost is a change nobody else
        sees until the next refresh."""
        mensaje = {
            "type": ANUNCIO,
            "origen": self.origen,
            "completo": completo,
            # JSON object keys are strings: the ticket id travels as one.
            "tickets": {str(t): usuarios for t, usuarios in por_ticket.items()},
        }
        try:
            enviado = await self.channels.send_control(mensaje)
        except Exception:  # viewing is best effort: never fail a socket over it
            log.exception("could not announce the viewers of %d tickets", len(por_ticket))
            enviado = False
        if not enviado and (self._reintento is None or self._reintento.done()):
            self._reintento = asyncio.create_task(self._reintentar(), name="chat-viendo-otra-vez")
        return enviado

    async def anunciar_todo(self) -> bool:
        """Announce every ticket this process has viewers on (the periodic refresh); whether
        the other processes were sent it."""
        return await self._anunciar(
            {t: self.locales(t) for t in list(self._locales)}, completo=True
        )

    async def _reintentar(self) -> None:
        """Send everything again until Redis takes it, backing off; a complete announcement
        replaces what the others knew, so whatever partial ones were lost no longer matters."""
        espera = REINTENTO_PRIMERO
        while True:
            await asyncio.sleep(espera)
            try:
                if await self.anunciar_todo():
                    return
            except Exception:  # keep trying: the next round may work
                log.exception("announcing the viewers again failed")
            espera = min(espera * 2, REINTENTO_MAXIMO, self.announce_seconds)

    async def al_volver(self) -> None:
        """The subscription is back after a gap: what the others announced meanwhile was
        missed, so ask them all (as at start-up), and tell them ours."""
        await self.channels.send_control({"type": PEDIDO, "origen": self.origen})
        await self.anunciar_todo()

    async def al_control(self, mensaje: dict[str, Any]) -> None:
        """The control-plane handler: another process's announcement or request."""
        tipo = mensaje.get("type")
        origen = mensaje.get("origen")
        if origen == self.origen or not isinstance(origen, str):
            return  # our own, heard back through Redis
        if tipo == PEDIDO:
            await self.anunciar_todo()
        elif tipo == ANUNCIO:
            await self._recibir(origen, mensaje)

    async def _recibir(self, origen: str, mensaje: dict[str, Any]) -> None:
        tickets = mensaje.get("tickets")
        if not isinstance(tickets, dict):
            return
        nuevos = {int(t): list(u) for t, u in tickets.items() if str(t).isdigit()}
        caduca = time.monotonic() + self.announce_seconds * PERIODOS_DE_VIDA
        remoto = self._remotos.get(origen)
        antes = set(remoto.por_ticket) if remoto is not None else set()
        previos = {t: self.usuarios(t) for t in antes | set(nuevos)}
        if remoto is None:
            remoto = self._remotos[origen] = _Remoto(caduca)
        remoto.caduca = caduca
        if mensaje.get("completo"):
            remoto.por_ticket = {}
        for ticket_id, usuarios in nuevos.items():
            if usuarios:
                remoto.por_ticket[ticket_id] = usuarios
            else:
                remoto.por_ticket.pop(ticket_id, None)
        await self._avisar_cambios(previos)

    async def olvidar_caducados(self) -> None:
        """Forget processes not heard from for :data:`PERIODOS_DE_VIDA` periods (crashed, or
        cut off), and tell the local staff sockets whose lists shrink."""
        ahora = time.monotonic()
        muertos = [o for o, r in self._remotos.items() if r.caduca <= ahora]
        if not muertos:
            return
        # Lists as they were shown (expired entries are already left out by ``usuarios``, so
        # compute the "before" with them still counted).
        tickets = {t for o in muertos for t in self._remotos[o].por_ticket}
        previos: dict[int, list[dict[str, Any]]] = {}
        for ticket_id in tickets:
            vistos = {u["id"]: u for u in self.usuarios(ticket_id)}
            for o in muertos:
                for u in self._remotos[o].por_ticket.get(ticket_id, ()):
                    vistos.setdefault(u["id"], u)
            previos[ticket_id] = list(vistos.values())
        for o in muertos:
            log.info("forgetting the viewers of process %s (not heard from)", o)
            del self._remotos[o]
        await self._avisar_cambios(previos)

    async def _avisar_cambios(self, previos: dict[int, list[dict[str, Any]]]) -> None:
        for ticket_id, antes in previos.items():
            if _ids(antes) != _ids(self.usuarios(ticket_id)):
                await self._enviar_a_personal(ticket_id)

    async def _enviar_a_personal(self, ticket_id: int) -> None:
        """Send the current ``viendo`` frame to this process's listening staff sockets on the
        ticket."""
        destinos = [ws for ws in self._locales.get(ticket_id, {}) if ws in self._oyentes]
        if not destinos:
            return
        frame = viendo_frame(ticket_id, self.usuarios(ticket_id))
        resultados = await asyncio.gather(
            *(ws.send_json(frame) for ws in destinos if not ws.closed), return_exceptions=True
        )
        for resultado in resultados:
            if isinstance(resultado, Exception):
                log.info("a socket left while told who is viewing: %s", resultado)

    # --- lifetime ------------------------------------------------------------------------------

    async def lifetime(self, app: web.Application) -> AsyncIterator[None]:
        """``cleanup_ctx``: ask the others who is viewing, then refresh and expire periodically."""
        self.channels.on_control(self.al_control)
        self.channels.on_gap(lost=lambda: None, restored=self.al_volver)
        await self.channels.send_control({"type": PEDIDO, "origen": self.origen})
        tarea = asyncio.create_task(self._refrescar(), name="chat-viendo")
        try:
            yield
        finally:
            tarea.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await tarea
            if self._tareas:  # the last leaves, told before the layer goes
                await asyncio.gather(*self._tareas, return_exceptions=True)
            if self._reintento is not None:  # after those: one of them may have started it
                self._reintento.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._reintento

    async def _refrescar(self) -> None:
        while True:
            await asyncio.sleep(self.announce_seconds)
            try:
                await self.anunciar_todo()
                await self.olvidar_caducados()
            except Exception:  # one bad round must not end the refresh for good
                log.exception("refreshing who is viewing failed")


def _ids(usuarios: list[dict[str, Any]]) -> set[int]:
    return {u["id"] for u in usuarios}
