"""The SMTP receiver: mail in over SMTP (aiosmtpd), served in the app's own event loop.

With ``SOPORTE_CORREO_SMTP_LISTEN=host:port`` the background context :func:`receptor` listens
there for as long as the app runs (``soporte run``, or ``soporte correo smtpd`` on its own).
Each message is handed to :func:`plugins.correo.api.recibir`, which stores it durably, and only
then answered ``250``: an acknowledged message is a committed row, so a crash after the ``250``
loses nothing (the processing sweep picks the row up at the next start). Replies:

- ``250`` stored (also for a duplicate Message-ID: it is already stored);
- ``552`` above ``max_bytes`` (also advertised as ``SIZE`` in the EHLO answer, and refused at
  ``MAIL FROM … SIZE=`` already);
- ``451`` when storing failed (the database is down or read-only): the sending MTA keeps the
  message and retries later, so nothing is lost either;
- ``550`` at ``RCPT TO`` for an address that is not the support address, one of its ``+tag``
  variants (the signed reply addresses are such variants) or ``SOPORTE_MAIL_FROM``'s;
- ``421`` at connection time when :data:`MAX_SESSIONS` sessions are open already.

A session silent for :data:`SESSION_TIMEOUT` seconds is closed. The listening socket is bound
with ``SO_REUSEPORT`` where the system has it, so that each worker of ``soporte run --workers N``
binds the same port and the kernel spreads connections over them (HTTP is shared through
gunicorn's master instead, which SMTP cannot use); any worker may store a message, and
processing is claimed in the database, so a message is processed once whichever took it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import weakref
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session

from core import keys
from core.db import activate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tortoise.context import TortoiseContext

log = logging.getLogger("soporte.correo.smtpd")

#: Open SMTP sessions at most per process; one more is answered ``421`` and closed (an MTA
#: retries later), so a flood of idle connections cannot exhaust the process.
MAX_SESSIONS = 100
#: Seconds a session may stay silent before it is closed (aiosmtpd's own default is 300).
SESSION_TIMEOUT = 60.0
#: Seconds shutdown waits for messages being stored before it closes their sessions.
SHUTDOWN_GRACE = 10.0


def parse_listen(value: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:2525`` for IPv6) as ``(host, port)``; a ``ValueError`` naming
    the setting otherwise."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(
            f"SOPORTE_CORREO_SMTP_LISTEN debe ser host:puerto (por ejemplo 127.0.0.1:2525), "
            f"no {value!r}"
        )
    return host, int(port)


class Destinatarios:
    """Which envelope recipients the receiver accepts: the support address and
    ``SOPORTE_MAIL_FROM``'s, each with any ``+tag`` (case-insensitively, as mail systems may
    change the case of local parts)."""

    def __init__(self, *addresses: str) -> None:
        self._bases: set[tuple[str, str]] = set()
        for address in addresses:
            base = self._base(address)
            if base is not None:
                self._bases.add(base)

    @staticmethod
    def _base(address: str) -> tuple[str, str] | None:
        addr = parseaddr(address)[1] or address
        local, at, domain = addr.strip().rpartition("@")
        if not at or not local or not domain:
            return None
        return local.split("+", 1)[0].lower(), domain.lower()

    def acepta(self, address: str) -> bool:
        """Whether mail to ``address`` is for soporte."""
        base = self._base(address)
        return base is not None and base in self._bases


@dataclass
class Receptor:
    """One running SMTP receiver: the aiohttp app it stores into, its server and sessions."""

    app: web.Application
    host: str
    puerto: int = 0
    servidor: asyncio.Server | None = None
    sesiones: set[_Sesion] = field(default_factory=set)
    #: Messages being stored right now (shutdown waits for them).
    en_curso: set[asyncio.Future[Any]] = field(default_factory=set)

    def __post_init__(self) -> None:
        from plugins.correo.plugin import ajustes

        propios = ajustes(self.app)
        settings = self.app[keys.SETTINGS]
        support = propios.address or settings.mail_from
        self.max_bytes = propios.max_bytes
        self.destinatarios = Destinatarios(support, settings.mail_from, *propios.aliases)
        self.nombre = Destinatarios._base(support) or ("soporte", "localhost")
        self.ctx: TortoiseContext = self.app[keys.DB].ctx

    # --- aiosmtpd's handler hooks -----------------------------------------------------------

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Accept a recipient only if it is soporte's (``550`` otherwise)."""
        if not self.destinatarios.acepta(address):
            return "550 5.1.1 Destinatario desconocido: aqui solo se recibe el correo de soporte"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Store the message through :func:`plugins.correo.api.recibir`; ``250`` only after it
        returned (committed), ``552`` above the size limit, ``451`` on any storage error."""
        from plugins.correo.api import MensajeDemasiadoGrande, Origen, recibir

        crudo = envelope.original_content or b""
        if not crudo and isinstance(envelope.content, bytes):
            crudo = envelope.content

        async def guardar() -> Any:
            with activate(self.ctx):
                return await recibir(
                    self.app,
                    crudo,
                    origen=Origen.SMTP,
                    sobre_remitente=envelope.mail_from,
                    sobre_destinatarios=tuple(envelope.rcpt_tos),
                )

        # Shielded: a sender that hangs up mid-store must not cancel a commit under way (the
        # row is then stored; the sender's retry is a duplicate, which recibir ignores).
        tarea = asyncio.ensure_future(guardar())
        self.en_curso.add(tarea)
        tarea.add_done_callback(self.en_curso.discard)
        try:
            await asyncio.shield(tarea)
        except MensajeDemasiadoGrande:
            return f"552 5.3.4 Mensaje demasiado grande: el maximo es {self.max_bytes} bytes"
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not store a message from %s", envelope.mail_from)
            return "451 4.3.0 No se pudo guardar el mensaje; intentelo mas tarde"
        return "250 2.0.0 Mensaje recibido"

    # --- the server --------------------------------------------------------------------------

    def _sesion(self) -> _Sesion:
        return _Sesion(
            self,
            self,
            data_size_limit=self.max_bytes,
            hostname=self.nombre[1],
            ident="soporte",
            timeout=SESSION_TIMEOUT,
            # Our replies are ASCII; the message bytes are kept as received either way.
            decode_data=False,
            enable_SMTPUTF8=True,
        )

    async def arrancar(self, puerto: int) -> None:
        """Listen on ``host:puerto`` (``0``: a free port, then in :attr:`puerto`)."""
        loop = asyncio.get_running_loop()
        self.servidor = await loop.create_server(
            self._sesion,
            self.host,
            puerto,
            reuse_address=True,
            reuse_port=hasattr(socket, "SO_REUSEPORT") or None,
        )
        self.puerto = int(self.servidor.sockets[0].getsockname()[1])

    async def parar(self) -> None:
        """Stop listening, let the messages being stored finish (up to
        :data:`SHUTDOWN_GRACE` s), then close every session."""
        if self.servidor is not None:
            self.servidor.close()
        if self.en_curso:
            await asyncio.wait(set(self.en_curso), timeout=SHUTDOWN_GRACE)
        for sesion in list(self.sesiones):
            if sesion.transport is not None:
                sesion.transport.close()
        if self.servidor is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.servidor.wait_closed(), SHUTDOWN_GRACE)
            self.servidor = None


class _Sesion(SMTP):
    """aiosmtpd's SMTP session, counted by its :class:`Receptor` (``421`` past the limit)."""

    def __init__(self, receptor: Receptor, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._receptor = receptor

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Count the session (aiosmtpd's set-up first)."""
        super().connection_made(transport)
        self._receptor.sesiones.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        """Forget the session."""
        self._receptor.sesiones.discard(self)
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        # aiosmtpd's session loop (it sends the 220 greeting first), unless too many sessions
        # are open: then 421 (RFC 5321 § 3.8) and close, before any greeting.
        if len(self._receptor.sesiones) > MAX_SESSIONS:
            await self.push("421 4.7.0 Demasiadas conexiones; intentelo mas tarde")
            if self.transport is not None:
                self.transport.close()
            return
        await super()._handle_client()


#: The running receiver of each app (an app's state is frozen once it starts, so not in it).
_RECEPTORES: weakref.WeakKeyDictionary[web.Application, Receptor] = weakref.WeakKeyDictionary()


def receptor_de(app: web.Application) -> Receptor | None:
    """The SMTP receiver running for ``app`` (tests read its :attr:`Receptor.puerto` when it
    listens on port 0), or ``None``."""
    return _RECEPTORES.get(app)


async def receptor(app: web.Application) -> AsyncIterator[None]:
    """The background context of the SMTP receiver: listens on ``smtp_listen`` while the app
    runs; nothing when the setting is empty."""
    from plugins.correo.plugin import ajustes

    listen = ajustes(app).smtp_listen
    if not listen:
        yield
        return
    host, puerto = parse_listen(listen)
    recibiendo = Receptor(app, host)
    await recibiendo.arrancar(puerto)
    _RECEPTORES[app] = recibiendo
    log.info("SMTP receiver on %s:%d", host, recibiendo.puerto)
    try:
        yield
    finally:
        _RECEPTORES.pop(app, None)
        await recibiendo.parar()
