"""Processing stored messages: claimed through the database, one transaction each.

Every process runs one :class:`Procesador` per application (``register_background``). It
claims ``RECIBIDO`` rows with one conditional ``UPDATE`` that sets a random claim token and a
lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), the approach of :mod:`core.outbox`, so two
processes never take the same row. Each claimed message is then processed in **one**
transaction — the ticket or reply, its attachments, and the row's new state written under the
claim's token — so a crash mid-way rolls everything back and a later claim (after the lease)
retries it cleanly: never two tickets for one message. A message whose processing raises is
``CUARENTENA`` with the reason and never stops the others.

It wakes right after :func:`plugins.correo.api.recibir` stores a message, and sweeps at
start-up and every :data:`SWEEP_SECONDS` for rows another (crashed) process left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from tortoise.exceptions import DBConnectionError, OperationalError

from core import keys
from core.db import placeholders
from core.events import UnitOfWork
from plugins.correo.models import EstadoMensaje, Mensaje

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient

log = logging.getLogger("soporte.correo")

#: Seconds between two sweeps for rows left unprocessed (by a process that died).
SWEEP_SECONDS: Final = 60.0
#: Rows claimed per statement.
BATCH: Final = 20
#: Attempts after which a message that never finishes (it kills its process each time) is
#: quarantined instead of claimed again.
MAX_ATTEMPTS: Final = 5
#: The longest ``motivo`` kept.
MAX_REASON: Final = 2000


def motivo_de(exc: BaseException) -> str:
    """A quarantine's reason from the error that caused it: its type and message, and a
    problem's field errors (a refused ticket field names which)."""
    from core.api.errors import Problem

    texto = str(exc)
    if isinstance(exc, Problem):
        texto = f"{exc.status} {exc.detail or ''}".strip()
        if exc.errors:
            texto += " " + "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())
    return f"{type(exc).__name__}: {texto}" if texto else type(exc).__name__


class _ClaimLost(Exception):
    """The row's claim is no longer ours (the lease ran out and another process took it)."""


class Procesador:
    """One application's message processing in this process: its claims, loop and wake-up."""

    def __init__(self, app: web.Application) -> None:
        from plugins.correo.plugin import ajustes

        self.app = app
        self._lease_seconds = ajustes(app).processing_lease_seconds
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # Tasks started by programar() when no loop runs (a bare app, a CLI command).
        self._sueltas: set[asyncio.Task[int]] = set()
        # Set (and replaced) each time this process records an outcome: esperar() awaits it.
        self._hecho = asyncio.Event()
        # Messages being processed by this process now, and set while there are none.
        self._activos = 0
        self._quieto = asyncio.Event()
        self._quieto.set()

    # --- scheduling ----------------------------------------------------------------------------

    def despertar(self) -> None:
        """A message was just stored: process it soon, in this process."""
        if self._task is not None and not self._task.done():
            self._wakeup.set()
            return
        with contextlib.suppress(RuntimeError):  # no running loop: the next sweep finds it
            task = asyncio.get_running_loop().create_task(self.procesar_pendientes())
            self._sueltas.add(task)
            task.add_done_callback(self._sueltas.discard)

    # --- claiming ------------------------------------------------------------------------------

    async def reclamar(self, limite: int = BATCH) -> tuple[str, list[int]]:
        """Claim up to ``limite`` unprocessed rows for this process: ``(token, ids)``, oldest
        first; each claim counts an attempt."""
        conn: BaseDBAsyncClient = Mensaje._meta.db
        now = datetime.now(UTC)
        token = uuid.uuid4().hex
        # Past the lease another process may take the row (its claimant died).
        lease = timedelta(seconds=self._lease_seconds)
        values: list[Any] = []

        def bind(value: Any) -> str:
            values.append(value)
            return placeholders(conn, 1, start=len(values))[0]

        def libre() -> str:
            return (
                f"\"estado\" = 'RECIBIDO' "
                f'AND ("reclamado_hasta" IS NULL OR "reclamado_hasta" < {bind(now)})'
            )

        lock = " FOR UPDATE SKIP LOCKED" if conn.capabilities.dialect == "postgres" else ""
        sql = (
            f'UPDATE "correo_mensaje" SET "reclamo" = {bind(token)}, '
            f'"reclamado_hasta" = {bind(now + lease)}, "intentos" = "intentos" + 1 '
            f'WHERE "id" IN (SELECT "id" FROM "correo_mensaje" WHERE {libre()} '
            f'ORDER BY "id" LIMIT {bind(limite)}{lock}) AND {libre()} RETURNING "id"'
        )
        rows = await conn.execute_query_dict(sql, values)
        return token, sorted(int(row["id"]) for row in rows)

    # --- processing ----------------------------------------------------------------------------

    async def procesar_pendientes(self) -> int:
        """Claim and process batches until none is left; how many messages were processed."""
        total = 0
        # Active from before the claim: a claim in flight holds rows too (see quieto()).
        self._activos += 1
        self._quieto.clear()
        try:
            while True:
                token, ids = await self.reclamar()
                if not ids:
                    return total
                for mensaje_id in ids:
                    await self.procesar_uno(token, mensaje_id)
                    self._avisar()
                total += len(ids)
        finally:
            self._activos -= 1
            if not self._activos:
                self._quieto.set()

    async def procesar_uno(self, token: str, mensaje_id: int) -> None:
        """Process one claimed message in one transaction; on any error, quarantine it."""
        from plugins.correo.adjuntos import borrar
        from plugins.correo.pipeline import procesar

        try:
            mensaje = await Mensaje.get(id=mensaje_id, reclamo=token)
        except Exception:
            log.warning("correo: mensaje %s ya no está reclamado por este proceso", mensaje_id)
            return
        if mensaje.intentos > MAX_ATTEMPTS:
            await self._terminar(
                token,
                mensaje_id,
                EstadoMensaje.CUARENTENA,
                f"demasiados intentos ({mensaje.intentos - 1}) sin terminar su proceso",
            )
            return
        escritos: list[str] = []
        try:
            async with UnitOfWork(self.app[keys.EVENTS]) as uow:
                assert uow.connection is not None
                if uow.connection.capabilities.dialect == "postgres":
                    # Held to the commit: a claim made meanwhile (lease run out) skips it.
                    await (
                        Mensaje.select_for_update()
                        .filter(id=mensaje_id, reclamo=token)
                        .using_db(uow.connection)
                        .values_list("id", flat=True)
                    )
                resultado = await procesar(self.app, mensaje, escritos)
                cambiados = await self._terminar(
                    token,
                    mensaje_id,
                    resultado.estado,
                    resultado.motivo,
                    conn=uow.connection,
                    remitente=resultado.remitente[:320],
                    asunto=resultado.asunto[:500],
                    ticket_id=resultado.ticket_id,
                    respuesta_id=resultado.respuesta_id,
                )
                if not cambiados:
                    raise _ClaimLost
        except _ClaimLost:
            borrar(self.app, escritos)
            log.warning("correo: mensaje %s reclamado por otro proceso; descartado", mensaje_id)
        except asyncio.CancelledError:
            borrar(self.app, escritos)
            raise  # shutting down: the lease expires and another run retries it
        except Exception as exc:
            borrar(self.app, escritos)
            log.exception("correo: el mensaje %s no se pudo procesar", mensaje_id)
            await self._terminar(token, mensaje_id, EstadoMensaje.CUARENTENA, motivo_de(exc))

    async def quieto(self) -> None:
        """Wait until this process is processing nothing (batches its loop claimed included)."""
        await self._quieto.wait()

    async def esperar(self, ids: Sequence[int], espera: float = 10.0) -> None:
        """Wait until messages ``ids`` are no longer ``RECIBIDO`` (processed by this process or
        another); a :class:`TimeoutError` after ``espera`` seconds. For tests and the CLI."""
        async with asyncio.timeout(espera):
            while True:
                hecho = self._hecho
                pendientes = await Mensaje.filter(
                    id__in=list(ids), estado=EstadoMensaje.RECIBIDO
                ).count()
                if not pendientes:
                    return
                # Another process's outcome wakes nobody here: look again now and then.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.5):
                        await hecho.wait()

    def _avisar(self) -> None:
        hecho, self._hecho = self._hecho, asyncio.Event()
        hecho.set()

    async def _terminar(
        self,
        token: str,
        mensaje_id: int,
        estado: EstadoMensaje,
        motivo: str,
        *,
        conn: BaseDBAsyncClient | None = None,
        **campos: Any,
    ) -> int:
        """Record a message's outcome, only while our claim on it holds; rows changed."""
        filas = Mensaje.filter(id=mensaje_id, reclamo=token)
        if conn is not None:
            filas = filas.using_db(conn)
        cambiados: int = await filas.update(
            estado=estado,
            motivo=motivo[:MAX_REASON],
            reclamo=None,
            reclamado_hasta=None,
            fecha_proceso=datetime.now(UTC),
            **campos,
        )
        return cambiados

    # --- the loop ------------------------------------------------------------------------------

    async def _loop(self) -> None:
        """Process while rows are waiting; then sleep until woken or the next sweep."""
        failing = False
        while not self._stopping:
            self._wakeup.clear()
            try:
                await self.procesar_pendientes()
                failing = False
            except asyncio.CancelledError:
                raise
            except (OperationalError, DBConnectionError) as exc:
                if not failing:  # one line per outage (or an unmigrated database)
                    log.warning(
                        "correo: correo_mensaje no está disponible (¿`soporte migrate`?); "
                        "reintento cada %s s: %s",
                        SWEEP_SECONDS,
                        exc,
                    )
                failing = True
            except Exception:
                log.exception(
                    "correo: el proceso de mensajes falló; reintento en %s s", SWEEP_SECONDS
                )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SWEEP_SECONDS):
                    await self._wakeup.wait()

    async def lifetime(self, app: web.Application) -> AsyncIterator[None]:
        """The ``cleanup_ctx`` of the loop: a sweep at start-up, then on each wake-up."""
        self._stopping = False
        self._task = task = asyncio.create_task(self._loop(), name="soporte-correo")
        try:
            yield
        finally:
            self._stopping = True
            # As the outbox does: a cancellation a driver swallows must not hang shutdown.
            while not task.done():
                task.cancel()
                self._wakeup.set()
                await asyncio.wait({task}, timeout=1)
            for suelta in list(self._sueltas):
                suelta.cancel()
            self._task = None


#: The app's processor in this process.
PROCESADOR: web.AppKey[Procesador] = web.AppKey("soporte_correo_procesador", Procesador)


def procesador(app: web.Application) -> Procesador:
    """The app's processor (made at build time by ``register_background``)."""
    return app[PROCESADOR]


def programar(app: web.Application) -> None:
    """Schedule the processing of a just-stored message in this process."""
    proc = app.get(PROCESADOR)
    if proc is not None:
        proc.despertar()


class NoReprocesable(Exception):
    """The message was processed into a ticket or reply: reprocessing could make it twice."""


async def reprocesar(app: web.Application, mensaje_id: int) -> Mensaje | None:
    """Put a quarantined or ignored message back to ``RECIBIDO`` and schedule it; ``None`` if
    there is no such message, :class:`NoReprocesable` if it is ``PROCESADO``. Idempotent: a
    message already waiting stays as it is."""
    cambiados = await Mensaje.filter(
        id=mensaje_id, estado__in=[EstadoMensaje.CUARENTENA, EstadoMensaje.IGNORADO]
    ).update(
        estado=EstadoMensaje.RECIBIDO, motivo="", reclamo=None, reclamado_hasta=None, intentos=0
    )
    mensaje = await Mensaje.get_or_none(id=mensaje_id)
    if mensaje is None:
        return None
    if mensaje.estado == EstadoMensaje.PROCESADO:
        raise NoReprocesable(mensaje_id)
    if cambiados:
        programar(app)
    return mensaje
