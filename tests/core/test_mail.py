"""``queue_mail``: one outbox row in the caller's transaction, idempotent with a key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from core import keys
from core.events import UnitOfWork, current_connection
from core.mail import Mail, queue_mail
from core.outbox_models import Envio, EstadoEnvio

if TYPE_CHECKING:
    from core.testing import SoporteClient


def correo(**cambios: object) -> Mail:
    valores: dict[str, object] = {"to": ("ana@example.test",), "subject": "Hola", "text": "Texto"}
    valores.update(cambios)
    return Mail(**valores)  # type: ignore[arg-type]


async def test_queue_mail_writes_one_pending_row(api: SoporteClient) -> None:
    message_id = await queue_mail(correo(html="<p>Texto</p>", headers={"Auto-Submitted": "x"}))
    [envio] = await Envio.all()
    # (The app's worker may have logged it already: no SOPORTE_SMTP_URL here.)
    assert envio.canal == "mail" and envio.estado in (EstadoEnvio.PENDIENTE, EstadoEnvio.REGISTRADO)
    assert envio.destino == "ana@example.test"
    assert envio.message_id == message_id
    assert message_id.startswith("<") and message_id.endswith(">") and "@" in message_id
    assert envio.payload["html"] == "<p>Texto</p>"
    assert envio.payload["headers"] == {"Auto-Submitted": "x"}


async def test_a_given_message_id_is_kept(api: SoporteClient) -> None:
    assert await queue_mail(correo(message_id="<uno@example.test>")) == "<uno@example.test>"
    assert (await Envio.get()).message_id == "<uno@example.test>"


async def test_queue_mail_joins_the_unit_of_work(api: SoporteClient) -> None:
    bus = api.app[keys.EVENTS]
    assert current_connection() is None
    with pytest.raises(RuntimeError):
        async with UnitOfWork(bus) as uow:
            assert current_connection() is uow.connection
            await queue_mail(correo())
            raise RuntimeError("rollback")
    assert await Envio.all().count() == 0
    async with UnitOfWork(bus):
        await queue_mail(correo())
    assert await Envio.all().count() == 1


async def test_an_idempotency_key_queues_once(api: SoporteClient) -> None:
    primero = await queue_mail(correo(), key="respuesta:1")
    async with UnitOfWork(api.app[keys.EVENTS]):
        # In a transaction too (PostgreSQL would abort it on a unique violation).
        segundo = await queue_mail(correo(subject="Otra vez"), key="respuesta:1")
        await queue_mail(correo(), key="respuesta:2")
    assert segundo == primero
    assert sorted(await Envio.all().values_list("clave", flat=True)) == [
        "respuesta:1",
        "respuesta:2",
    ]
    assert (await Envio.get(clave="respuesta:1")).payload["subject"] == "Hola"


@pytest.mark.parametrize(
    "cambios",
    [
        {"to": ()},
        {"subject": "Hola\r\nBcc: otro@example.test"},
        {"headers": {"X-A": "b\nc"}},
        {"reply_to": "a@example.test\n"},
    ],
)
async def test_a_mail_that_smtp_cannot_carry_is_refused(
    api: SoporteClient, cambios: dict[str, object]
) -> None:
    with pytest.raises(ValueError):
        await queue_mail(correo(**cambios))
    assert await Envio.all().count() == 0
