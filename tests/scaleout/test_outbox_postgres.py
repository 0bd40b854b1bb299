"""The outbox on PostgreSQL: two apps (two connection pools on one schema) compete for the
same due rows; ``FOR UPDATE SKIP LOCKED`` and the conditional claim give each row to exactly
one of them, and each mail reaches the SMTP server once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core.mail import Mail, queue_mail
from core.outbox_models import Envio, EstadoEnvio

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SmtpSink, SoporteClient


async def test_two_apps_on_postgresql_deliver_each_mail_once(
    start_app: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    opciones = {
        "smtp_url": smtp_sink.url,
        "outbox_batch": 3,
        "outbox_poll_seconds": 0.02,
        "outbox_retry_base_seconds": 0.05,
    }
    uno = await start_app(plugins=[], **opciones)
    await start_app(plugins=[], **opciones)
    assert uno.app  # both started on the test's schema
    ahora = datetime.now(UTC)
    await Envio.bulk_create(
        [
            Envio(
                canal="mail",
                destino=f"ana{n}@example.test",
                payload=Mail(to=(f"ana{n}@example.test",), subject="S", text="T").to_payload(),
                message_id=f"<pg{n}@example.test>",
                proximo_intento=ahora,
            )
            for n in range(90)
        ]
    )
    # And one through queue_mail, in its own transaction, as a plugin would.
    message_id = await queue_mail(Mail(to=("luis@example.test",), subject="S", text="T"))
    await smtp_sink.wait_for(91, espera=30)
    for _ in range(500):
        if await Envio.filter(estado=EstadoEnvio.ENVIADO).count() == 91:
            break
        await asyncio.sleep(0.02)
    recibidos = [str(r.message["Message-ID"]) for r in smtp_sink.received]
    esperados = [f"<pg{n}@example.test>" for n in range(90)] + [message_id]
    assert sorted(recibidos) == sorted(esperados)
    assert set(await Envio.all().values_list("intentos", flat=True)) == {1}
    assert await Envio.filter(estado=EstadoEnvio.ENVIADO).count() == 91
