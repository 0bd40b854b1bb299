"""The IMAP reader: mail in from a mailbox (``SOPORTE_CORREO_IMAP_URL``), IDLE or polling.

The background context :func:`lector` runs one reader per app while the setting is set. It logs
in (``imaps://`` TLS from the start; ``imap://`` with STARTTLS when offered, or as
``?starttls=required|off`` says; certificates always verified, ``?cafile=`` to trust a private
CA), selects the folder of the URL's path (``INBOX`` by default) and imports every message
that does not carry the keyword :data:`IMPORTADO` and is not deleted, in UID order:

1. ``BODY.PEEK[]`` (never marks it read by itself);
2. :func:`plugins.correo.api.recibir` with ``origen=IMAP`` — the message is committed when it
   returns;
3. only then: moved to ``imap_processed_folder`` (created when missing; ``UID MOVE`` where the
   server has MOVE, else COPY, ``\\Deleted`` and ``UID EXPUNGE``), or — without that setting —
   flagged ``\\Seen`` and :data:`IMPORTADO`.

A message above ``max_bytes`` (its ``RFC822.SIZE``, checked before downloading it) is never
downloaded: it is flagged :data:`IMPORTADO` and :data:`RECHAZADO` and left where it is, with a
warning in the log, so it is not fetched forever and an admin can find it in the mailbox. A
message that cannot be parsed is stored and quarantined by the pipeline, like any other. An
error while storing (the database is down) ends the round: the message stays unflagged and
is fetched again after the reconnection delay, so nothing is skipped. A message the server
refuses to hand over (``NO`` to its FETCH) is skipped until the next connection, so it never
holds back the others.

Then the reader waits: with IDLE when the server has it (renewed every :data:`IDLE_RENEW`
seconds, below the 30 minutes after which servers may drop an idle client, RFC 2177), else it
polls every ``imap_poll_seconds``. Any connection or protocol error is logged and the reader
reconnects with exponential backoff (:data:`BACKOFF_MIN` to :data:`BACKOFF_MAX` seconds); it
never stops the app.

The client is IMAPClient (a maintained, complete IMAP client, BSD-licensed), which is
synchronous: every IMAP command of a reader runs in a thread of its own, so the event loop never
waits for the mail server. With ``soporte run --workers N`` every worker runs a reader on the
same mailbox. That is still correct — a message two workers fetch at once is stored once
(:func:`~plugins.correo.api.recibir` is idempotent by Message-ID, or by the digest of the raw
bytes without one) and processed once (claimed in the database); the second move or flag of
the same message is a no-op — it only costs N connections to the mail server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import socket
import ssl
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from aiohttp import web

from core import keys
from core.db import activate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from imapclient import IMAPClient
    from tortoise.context import TortoiseContext

log = logging.getLogger("soporte.correo.imap")

#: The keyword of every message soporte has imported (or refused for good).
IMPORTADO = "$SoporteImportado"
#: The keyword of a message left unimported because it is larger than ``max_bytes``.
RECHAZADO = "$SoporteDemasiadoGrande"
#: Seconds before an IDLE is ended and started again (RFC 2177: before 29 minutes).
IDLE_RENEW = 28 * 60.0
#: First and last wait before reconnecting after an error (doubling in between).
BACKOFF_MIN = 1.0
BACKOFF_MAX = 60.0
#: Seconds any single IMAP command may take (the connection counts as broken after that).
COMMAND_TIMEOUT = 60.0
#: UIDs whose sizes are asked in one FETCH.
SIZE_BATCH = 500

T = TypeVar("T")


@dataclass(frozen=True)
class ImapConfig:
    """``SOPORTE_CORREO_IMAP_URL``, parsed (see :func:`parse_imap_url`)."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    #: ``imaps://``: TLS from the first byte (port 993).
    implicit_tls: bool = False
    #: ``imap://`` only: STARTTLS when offered (``auto``), always (``required``), never.
    starttls: Literal["auto", "required", "off"] = "auto"
    #: A CA bundle to trust instead of the system's (a private CA, a self-signed server).
    cafile: str | None = None

    def tls_context(self) -> ssl.SSLContext:
        """The TLS context: certificates and host name always verified."""
        return ssl.create_default_context(cafile=self.cafile)


def parse_imap_url(url: str) -> ImapConfig:
    """``imaps://user:password@host[:port]/FOLDER[?cafile=PATH]`` or
    ``imap://…[?starttls=auto|required|off][&cafile=PATH]`` (``true``/``false`` mean
    ``required``/``off``). User, password and folder are percent-decoded. Raises
    :class:`ValueError` naming what is wrong (never the URL: it holds a password)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError("SOPORTE_CORREO_IMAP_URL debe empezar por imap:// o imaps://")
    if not parts.hostname:
        raise ValueError("SOPORTE_CORREO_IMAP_URL no indica el servidor")
    if not parts.username or parts.password is None:
        raise ValueError("SOPORTE_CORREO_IMAP_URL debe llevar usuario y contraseña")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"starttls", "cafile"})
    if unknown:
        raise ValueError(f"parámetro(s) desconocido(s) en SOPORTE_CORREO_IMAP_URL: {unknown}")
    starttls = query.get("starttls", ["auto"])[-1]
    starttls = {"true": "required", "false": "off"}.get(starttls, starttls)
    if starttls not in ("auto", "required", "off"):
        raise ValueError(f"starttls debe ser auto, required u off, no {starttls!r}")
    implicit = parts.scheme == "imaps"
    if implicit and "starttls" in query:
        raise ValueError("imaps:// ya es TLS desde el principio: starttls= no se aplica")
    try:
        port = parts.port or (993 if implicit else 143)
    except ValueError as exc:
        raise ValueError("SOPORTE_CORREO_IMAP_URL tiene un puerto incorrecto") from exc
    return ImapConfig(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username),
        password=unquote(parts.password),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        implicit_tls=implicit,
        starttls="off" if implicit else starttls,  # type: ignore[arg-type]  # checked above
        cafile=query.get("cafile", [None])[-1] or None,
    )


class Lector:
    """One app's IMAP reader: its connection (used from one thread only), its loop task."""

    def __init__(self, app: web.Application, config: ImapConfig) -> None:
        from plugins.correo.plugin import ajustes

        propios = ajustes(app)
        self.app = app
        self.config = config
        self.procesados = propios.imap_processed_folder
        self.poll_seconds = float(propios.imap_poll_seconds)
        self.max_bytes = propios.max_bytes
        self.ctx: TortoiseContext = app[keys.DB].ctx
        self._hilo = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="soporte-imap")
        self._cliente: IMAPClient | None = None
        self._parar = asyncio.Event()
        self._tarea: asyncio.Task[None] | None = None
        #: Rounds of import done (each after connecting and after each wake-up); for tests.
        self.rondas = 0
        #: Messages stored, then moved or flagged, by this reader, in all.
        self.importados = 0
        self._espera_error = BACKOFF_MIN
        #: UIDs the server refused to hand over in this session (retried after reconnecting).
        self._saltados: set[int] = set()
        self._cambio = asyncio.Condition()

    # --- the thread --------------------------------------------------------------------------

    async def _imap(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` (an IMAP call) in the reader's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._hilo, fn, *args)

    def _conectar(self) -> IMAPClient:
        """Connect and log in (in the thread); the folder is selected by the caller."""
        from imapclient import IMAPClient

        c = self.config
        cliente = IMAPClient(
            c.host,
            port=c.port,
            ssl=c.implicit_tls,
            ssl_context=c.tls_context() if c.implicit_tls else None,
            timeout=COMMAND_TIMEOUT,
        )
        try:
            if not c.implicit_tls and c.starttls != "off":
                if cliente.has_capability("STARTTLS"):
                    cliente.starttls(c.tls_context())
                elif c.starttls == "required":
                    raise ConnectionError("el servidor IMAP no ofrece STARTTLS (starttls=required)")
            cliente.login(c.username, c.password)
            if self.procesados and not cliente.folder_exists(self.procesados):
                with contextlib.suppress(cliente.Error):  # another worker created it meanwhile
                    cliente.create_folder(self.procesados)
            cliente.select_folder(c.folder)
        except BaseException:
            with contextlib.suppress(Exception):
                cliente.shutdown()
            raise
        return cliente

    # --- one round of import ----------------------------------------------------------------

    def _pendientes(self, cliente: IMAPClient) -> list[tuple[int, int]]:
        """``(uid, size)`` of every message not yet imported, in UID order (in the thread)."""
        uids = sorted(cliente.search(["UNKEYWORD", IMPORTADO, "NOT", "DELETED"]))
        pendientes: list[tuple[int, int]] = []
        for i in range(0, len(uids), SIZE_BATCH):
            lote = uids[i : i + SIZE_BATCH]
            sizes = cliente.fetch(lote, ["RFC822.SIZE"])
            pendientes.extend(
                (uid, int(sizes[uid].get(b"RFC822.SIZE", 0))) for uid in lote if uid in sizes
            )
        return pendientes

    @staticmethod
    def _descargar(cliente: IMAPClient, uid: int) -> bytes | None:
        """The raw bytes of message ``uid`` without marking it read, or ``None`` if it is gone
        (in the thread)."""
        datos = cliente.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
        crudo = datos.get(b"BODY[]")
        return bytes(crudo) if crudo is not None else None

    def _archivar(self, cliente: IMAPClient, uid: int) -> None:
        """Mark message ``uid`` imported: moved to the processed folder, or flagged (in the
        thread). Flagged first in both cases, so a move that fails half-way (COPY done, EXPUNGE
        not) leaves a message that is not fetched again."""
        cliente.add_flags([uid], [IMPORTADO] if self.procesados else ["\\Seen", IMPORTADO])
        if not self.procesados:
            return
        if cliente.has_capability("MOVE"):
            cliente.move([uid], self.procesados)
            return
        cliente.copy([uid], self.procesados)
        cliente.add_flags([uid], ["\\Deleted"])
        if cliente.has_capability("UIDPLUS"):
            cliente.uid_expunge([uid])
        else:
            cliente.expunge()

    @staticmethod
    def _rechazar(cliente: IMAPClient, uid: int) -> None:
        """Flag message ``uid`` as too large (and done with), leaving it where it is."""
        cliente.add_flags([uid], [IMPORTADO, RECHAZADO])

    async def ronda(self, cliente: IMAPClient) -> int:
        """Import every pending message; returns how many were stored. A storage error
        propagates (the round ends; the message is fetched again later)."""
        from plugins.correo.api import MensajeDemasiadoGrande, Origen, recibir

        guardados = 0
        for uid, size in await self._imap(self._pendientes, cliente):
            if self._parar.is_set():
                break
            if size > self.max_bytes:
                log.warning(
                    "IMAP message UID %d is %d bytes, above max_bytes (%d): flagged %s, not "
                    "imported",
                    uid,
                    size,
                    self.max_bytes,
                    RECHAZADO,
                )
                await self._imap(self._rechazar, cliente, uid)
                continue
            if uid in self._saltados:
                continue
            try:
                crudo = await self._imap(self._descargar, cliente, uid)
            except cliente.Error as exc:
                # The server refused this one message (NO/BAD): skip it for this session, so
                # that it does not hold back the others; the next connection tries it again.
                log.warning("IMAP message UID %d could not be fetched: %s", uid, exc)
                self._saltados.add(uid)
                continue
            if crudo is None:
                continue  # expunged meanwhile (another worker moved it)
            try:
                with activate(self.ctx):
                    await recibir(self.app, crudo, origen=Origen.IMAP)
            except MensajeDemasiadoGrande:
                await self._imap(self._rechazar, cliente, uid)
                continue
            guardados += 1
            try:
                await self._imap(self._archivar, cliente, uid)
            except cliente.Error as exc:
                # Stored already: a second worker moved it first, or the folder is gone. The
                # message is imported either way; a later round re-stores it as a duplicate.
                log.warning("IMAP message UID %d stored but not moved/flagged: %s", uid, exc)
            async with self._cambio:
                self.importados += 1
                self._cambio.notify_all()
        async with self._cambio:
            self.rondas += 1
            self._cambio.notify_all()
        return guardados

    # --- waiting ------------------------------------------------------------------------------

    @staticmethod
    def _esperar_idle(cliente: IMAPClient, parar: Callable[[], bool]) -> None:
        """IDLE until the server tells of new mail, :data:`IDLE_RENEW` passes or ``parar()``
        (in the thread; shutdown wakes it by shutting the socket down)."""
        cliente.idle()
        try:
            limite = time.monotonic() + IDLE_RENEW
            while not parar() and (resto := limite - time.monotonic()) > 0:
                respuestas = cliente.idle_check(timeout=resto)
                if any(b"EXISTS" in r or b"RECENT" in r for r in respuestas if len(r) > 1):
                    return
                if not respuestas and limite - time.monotonic() > 1.0:
                    # Readable yet no line before the time was up: the server hung up.
                    raise ConnectionError("el servidor IMAP cerró la conexión durante IDLE")
        finally:
            if not parar():
                cliente.idle_done()

    async def esperar(self, cliente: IMAPClient) -> None:
        """Wait for new mail: IDLE when the server has it, else ``imap_poll_seconds``."""
        if cliente.has_capability("IDLE"):
            await self._imap(self._esperar_idle, cliente, self._parar.is_set)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._parar.wait(), self.poll_seconds)
        await self._imap(cliente.noop)

    # --- the loop -------------------------------------------------------------------------------

    async def _sesion(self) -> None:
        """One connection: rounds and waits until an error or the stop."""
        cliente = await self._imap(self._conectar)
        self._cliente = cliente
        self._saltados = set()
        try:
            while not self._parar.is_set():
                await self.ronda(cliente)
                self._espera_error = BACKOFF_MIN  # a working session resets the backoff
                if self._parar.is_set():
                    break
                await self.esperar(cliente)
        finally:
            self._cliente = None
            if not self._parar.is_set():
                with contextlib.suppress(Exception):
                    await self._imap(cliente.logout)
            with contextlib.suppress(Exception):
                await self._imap(cliente.shutdown)

    async def correr(self) -> None:
        """Sessions until stopped, reconnecting after any error with backoff."""
        self._espera_error = BACKOFF_MIN
        while not self._parar.is_set():
            try:
                await self._sesion()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._parar.is_set():
                    break
                log.warning(
                    "IMAP reader of %s@%s: %s: %s; reconnecting in %.0f s",
                    self.config.username,
                    self.config.host,
                    type(exc).__name__,
                    exc,
                    self._espera_error,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._parar.wait(), self._espera_error)
                self._espera_error = min(self._espera_error * 2, BACKOFF_MAX)

    async def esperar_rondas(self, n: int, espera: float = 10.0) -> None:
        """Wait until :attr:`rondas` reaches ``n`` (for tests)."""
        async with self._cambio:
            await asyncio.wait_for(self._cambio.wait_for(lambda: self.rondas >= n), espera)

    async def esperar_importados(self, n: int, espera: float = 10.0) -> None:
        """Wait until :attr:`importados` reaches ``n``: stored, then moved or flagged (for
        tests)."""
        async with self._cambio:
            await asyncio.wait_for(self._cambio.wait_for(lambda: self.importados >= n), espera)

    def arrancar(self) -> None:
        """Start the reader's task."""
        self._tarea = asyncio.create_task(self.correr(), name="soporte-correo-imap")

    async def parar(self) -> None:
        """Stop: wake the thread out of IDLE (shutting the socket down), end the task."""
        self._parar.set()
        cliente = self._cliente
        if cliente is not None:
            with contextlib.suppress(Exception):
                cliente.socket().shutdown(socket.SHUT_RDWR)
        if self._tarea is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._tarea, COMMAND_TIMEOUT)
            self._tarea = None
        self._hilo.shutdown(wait=False, cancel_futures=True)


_LECTORES: weakref.WeakKeyDictionary[web.Application, Lector] = weakref.WeakKeyDictionary()


def lector_de(app: web.Application) -> Lector | None:
    """The IMAP reader running for ``app``, or ``None``."""
    return _LECTORES.get(app)


async def lector(app: web.Application) -> AsyncIterator[None]:
    """The background context of the IMAP reader: reads ``imap_url`` while the app runs;
    nothing when the setting is empty. A bad URL stops start-up with its reason."""
    from plugins.correo.plugin import ajustes

    url = ajustes(app).imap_url
    if not url:
        yield
        return
    leyendo = Lector(app, parse_imap_url(url))
    leyendo.arrancar()
    _LECTORES[app] = leyendo
    try:
        yield
    finally:
        _LECTORES.pop(app, None)
        await leyendo.parar()
