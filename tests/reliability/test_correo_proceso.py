"""Processing received mail is claimed through the database and done in one transaction: two
processes never make two tickets of one message; a crash (a claim left behind) is retried after
its lease; a failure mid-way leaves nothing behind (ticket, user, outbox rows, files) and
quarantines the message without stopping the others."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core import hookimpl
from core.auth.models import Usuario
from core.events import Listener
from core.keys import STORAGE
from core.outbox_models import Envio
from plugins.correo.api import Origen, procesar_pendientes, recibir
from plugins.correo.models import EstadoMensaje, Mensaje
from plugins.correo.procesamiento import MAX_ATTEMPTS, procesador
from plugins.tickets.events import TicketCreado
from plugins.tickets.models import Adjunto, Ticket
from tests.plugins.correo.ayudas import PLUGINS, PNG, correo

pytestmark = pytest.mark.plugins(*PLUGINS)


async def test_two_processes_never_make_two_tickets_of_one_message(start_app) -> None:
    """Two apps on one database (two processes' workers and sweeps), racing on 30 messages:
    30 tickets, each message processed once (one attempt, one ticket)."""
    uno = await start_app(PLUGINS)
    dos = await start_app(PLUGINS)
    ids = []
    for n in range(30):
        destino = uno if n % 2 else dos
        crudo = correo(de=f"cliente{n}@cliente.test", asunto=f"Asunto {n}")
        ids.append((await recibir(destino.app, crudo, origen=Origen.SMTP)).id)
    async with asyncio.timeout(30):
        await asyncio.gather(*(procesar_pendientes(a.app) for a in (uno, dos, uno, dos)))
    await procesador(uno.app).esperar(ids)
    filas = await Mensaje.filter(id__in=ids)
    assert {f.estado for f in filas} == {EstadoMensaje.PROCESADO}
    assert {f.intentos for f in filas} == {1}
    assert await Ticket.all().count() == 30
    assert len({f.ticket_id for f in filas}) == 30


async def test_a_claim_left_by_a_dead_process_is_retried_after_its_lease(start_app) -> None:
    soporte = await start_app(PLUGINS)
    pasado = datetime.now(UTC) - timedelta(seconds=1)
    futuro = datetime.now(UTC) + timedelta(minutes=5)
    caducado = await Mensaje.create(
        message_id="<caducado@cliente.test>",
        origen=Origen.SMTP,
        crudo=correo(asunto="caducado"),
        reclamo="a" * 32,
        reclamado_hasta=pasado,
        intentos=1,
    )
    vigente = await Mensaje.create(
        message_id="<vigente@cliente.test>",
        origen=Origen.SMTP,
        crudo=correo(asunto="vigente"),
        reclamo="b" * 32,
        reclamado_hasta=futuro,
        intentos=1,
    )
    await procesar_pendientes(soporte.app)
    await procesador(soporte.app).esperar([caducado.id])
    caducado = await Mensaje.get(id=caducado.id)
    assert (caducado.estado, caducado.intentos) == (EstadoMensaje.PROCESADO, 2)
    # Another process still holds this one: left alone.
    assert (await Mensaje.get(id=vigente.id)).estado == EstadoMensaje.RECIBIDO
    assert await Ticket.all().count() == 1


async def test_a_message_that_never_finishes_is_quarantined_after_its_attempts(start_app) -> None:
    soporte = await start_app(PLUGINS)
    fila = await Mensaje.create(
        message_id="<mata-procesos@cliente.test>",
        origen=Origen.SMTP,
        crudo=correo(),
        reclamado_hasta=datetime.now(UTC) - timedelta(seconds=1),
        reclamo="c" * 32,
        intentos=MAX_ATTEMPTS,
    )
    await procesar_pendientes(soporte.app)
    await procesador(soporte.app).esperar([fila.id])
    fila = await Mensaje.get(id=fila.id)
    assert fila.estado == EstadoMensaje.CUARENTENA and "demasiados intentos" in fila.motivo
    assert await Ticket.all().count() == 0


class Veto:
    """A plugin whose in-transaction listener of TicketCreado fails while ``activo``."""

    name = "veto"

    def __init__(self) -> None:
        self.activo = True

    @hookimpl
    def register_listeners(self) -> list[Listener]:
        """The failing listener."""

        async def fallar(evento: Any) -> None:
            if self.activo:
                raise RuntimeError("fallo a mitad del proceso")

        return [Listener(TicketCreado, fallar, "in_transaction")]


async def test_a_failure_mid_way_leaves_nothing_and_quarantines_the_message(start_app) -> None:
    veto = Veto()
    soporte = await start_app(PLUGINS, extra=[veto], mail_from="soporte@ayuda.example.com")
    media = soporte.app[STORAGE].media_dir
    crudo = correo(adjuntos=[("captura.png", "image/png", PNG)])
    fila = await recibir(soporte.app, crudo, origen=Origen.SMTP)
    await procesador(soporte.app).esperar([fila.id])
    mensaje = await Mensaje.get(id=fila.id)
    assert mensaje.estado == EstadoMensaje.CUARENTENA
    assert mensaje.motivo == "RuntimeError: fallo a mitad del proceso"
    # The ticket, the new customer, the attachment (row and file), the receipt: all rolled back.
    assert await Ticket.all().count() == 0
    assert await Usuario.all().count() == 0
    assert await Adjunto.all().count() == 0
    assert await Envio.all().count() == 0
    assert not [p for p in media.rglob("*") if p.is_file()]
    # The next message is processed; and the quarantined one, once reprocessed, once.
    veto.activo = False
    otro = await recibir(soporte.app, correo(de="luis@cliente.test"), origen=Origen.SMTP)
    await procesador(soporte.app).esperar([otro.id])
    assert (await Mensaje.get(id=otro.id)).estado == EstadoMensaje.PROCESADO
    from plugins.correo.procesamiento import reprocesar

    await reprocesar(soporte.app, fila.id)
    await procesador(soporte.app).esperar([fila.id])
    assert (await Mensaje.get(id=fila.id)).estado == EstadoMensaje.PROCESADO
    assert await Ticket.all().count() == 2
    assert await Adjunto.all().count() == 1
