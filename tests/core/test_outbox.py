"""The outbox's worker and the mail transport, against a real SMTP server (aiosmtpd).

Every app here delivers to the kit's :class:`core.testing.SmtpSink`; retry timings are tiny
so that backoff is observable in a test. Rows are found by their state in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import pytest

from core import keys
from core.events import UnitOfWork
from core.mail import Mail, parse_smtp_url, queue_mail
from core.outbox import EnvioFallido
from core.outbox_models import Envio, EstadoEnvio
from core.settings import Settings
from core.testing import SmtpSink, self_signed_certificate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from core.testing import SoporteClient

Arrancar = "Callable[..., Awaitable[SoporteClient]]"

#: Retries within a test's time: 50 ms, then 100 ms… (±25 %).
RAPIDO: dict[str, Any] = {"outbox_retry_base_seconds": 0.05, "outbox_poll_seconds": 0.02}


def correo(n: int = 0, **cambios: Any) -> Mail:
    valores: dict[str, Any] = {
        "to": (f"ana{n}@example.test",),
        "subject": f"Hola {n}",
        "text": f"Texto {n}",
    }
    valores.update(cambios)
    return Mail(**valores)


async def hasta(condicion: Callable[[], Awaitable[bool]], espera: float = 5.0) -> None:
    """Wait until the database shows ``condicion`` (the worker records after the server
    answered, so the row lags the sink by a statement)."""
    limite = time.monotonic() + espera
    while not await condicion():
        if time.monotonic() > limite:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def estado(envio_id: int | None = None) -> Envio:
    return await (Envio.get(id=envio_id) if envio_id is not None else Envio.get())


async def en_estado(est: EstadoEnvio, n: int = 1) -> None:
    await hasta(lambda: _cuenta(est, n))


async def _cuenta(est: EstadoEnvio, n: int) -> bool:
    return await Envio.filter(estado=est).count() == n


# --- the message -----------------------------------------------------------------------------


async def test_a_queued_mail_reaches_the_smtp_server_with_every_header(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    await arrancar(smtp_url=smtp_sink.url, mail_from="Soporte <soporte@ejemplo.test>")
    antes = datetime.now(UTC).replace(microsecond=0)
    message_id = await queue_mail(
        Mail(
            to=("ana@example.test", "luis@example.test"),
            subject="Tu ticket [TK-000123] tiene respuesta: ¿seguimos?",
            text="Hola Ana,\nya está.",
            html="<p>Hola Ana,<br>ya está.</p>",
            in_reply_to="<previo@ejemplo.test>",
            references=("<primero@ejemplo.test>", "<previo@ejemplo.test>"),
            reply_to="soporte+TK-000123-x@ejemplo.test",
            headers={"Auto-Submitted": "auto-generated", "List-Unsubscribe": "<https://x/p>"},
        )
    )
    [recibido] = await smtp_sink.wait_for(1)
    m = recibido.message
    assert recibido.mail_from == "soporte@ejemplo.test"
    assert recibido.rcpt_tos == ("ana@example.test", "luis@example.test")
    assert m["From"] == "Soporte <soporte@ejemplo.test>"
    assert m["To"] == "ana@example.test, luis@example.test"
    assert m["Message-ID"] == message_id and message_id.endswith("@ejemplo.test>")
    assert m["Subject"] == "Tu ticket [TK-000123] tiene respuesta: ¿seguimos?"
    # Non-ASCII subjects travel as RFC 2047 encoded words.
    crudo = m.as_bytes()
    assert b"=?utf-8?" in crudo.split(b"\r\n\r\n")[0]
    assert parsedate_to_datetime(m["Date"]) >= antes
    assert m["In-Reply-To"] == "<previo@ejemplo.test>"
    assert m["References"] == "<primero@ejemplo.test> <previo@ejemplo.test>"
    assert m["Reply-To"] == "soporte+TK-000123-x@ejemplo.test"
    assert m["Auto-Submitted"] == "auto-generated"
    assert m["List-Unsubscribe"] == "<https://x/p>"
    assert m.get_content_type() == "multipart/alternative"
    texto, html = m.iter_parts()
    assert texto.get_content_type() == "text/plain"
    assert texto.get_content() == "Hola Ana,\nya está.\n"
    assert html.get_content_type() == "text/html" and "ya está" in html.get_content()
    await en_estado(EstadoEnvio.ENVIADO)
    envio = await estado()
    assert envio.intentos == 1 and envio.fecha_envio is not None and envio.ultimo_error == ""
    assert envio.reclamo is None and envio.reclamado_hasta is None


async def test_without_an_smtp_url_mails_are_written_to_the_log(
    arrancar: Callable[..., Awaitable[SoporteClient]],
    smtp_sink: SmtpSink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="soporte.mail")
    await arrancar(smtp_url=None)
    message_id = await queue_mail(correo(text="El texto entero"))
    await en_estado(EstadoEnvio.REGISTRADO)
    envio = await estado()
    assert envio.fecha_envio is not None and envio.intentos == 1
    [info] = [r for r in caplog.records if r.name == "soporte.mail" and r.levelno == logging.INFO]
    linea = info.getMessage()
    assert "ana0@example.test" in linea and "Hola 0" in linea and message_id in linea
    assert "El texto entero" not in linea
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("El texto entero" in d for d in debug)
    assert smtp_sink.received == []


# --- TLS and AUTH ----------------------------------------------------------------------------


async def test_starttls_and_auth(
    arrancar: Callable[..., Awaitable[SoporteClient]], tmp_path: Path
) -> None:
    cert = self_signed_certificate(tmp_path / "tls")
    with SmtpSink(tls="starttls", cert=cert, login=("buzon", "clave:con@raros")) as sink:
        # The password percent-encoded in the URL, as the docs say.
        url = sink.url.replace("clave:con@raros", "clave%3Acon%40raros")
        assert parse_smtp_url(url).password == "clave:con@raros"
        await arrancar(smtp_url=url)
        await queue_mail(correo())
        [recibido] = await sink.wait_for(1)
    assert recibido.tls and recibido.login == "buzon"
    await en_estado(EstadoEnvio.ENVIADO)


async def test_a_wrong_password_is_retried_not_dead_lettered(
    arrancar: Callable[..., Awaitable[SoporteClient]], tmp_path: Path
) -> None:
    """A login refused is the configuration's fault, not the mail's: it stays PENDIENTE."""
    cert = self_signed_certificate(tmp_path / "tls")
    with SmtpSink(tls="starttls", cert=cert, login=("buzon", "buena")) as sink:
        await arrancar(smtp_url=sink.url.replace(":buena@", ":mala@"), **RAPIDO)
        await queue_mail(correo())
        await hasta(lambda: _intentos_al_menos(2))
    envio = await estado()
    assert envio.estado == EstadoEnvio.PENDIENTE and "535" in envio.ultimo_error
    assert sink.received == []


async def _intentos_al_menos(n: int) -> bool:
    envio = await Envio.get()
    return envio.intentos >= n and envio.reclamo is None


async def test_smtps_implicit_tls(
    arrancar: Callable[..., Awaitable[SoporteClient]], tmp_path: Path
) -> None:
    cert = self_signed_certificate(tmp_path / "tls")
    with SmtpSink(tls="implicit", cert=cert) as sink:
        assert sink.url.startswith("smtps://")
        await arrancar(smtp_url=sink.url)
        await queue_mail(correo())
        [recibido] = await sink.wait_for(1)
    assert recibido.tls
    await en_estado(EstadoEnvio.ENVIADO)


async def test_an_untrusted_certificate_is_refused(
    arrancar: Callable[..., Awaitable[SoporteClient]], tmp_path: Path
) -> None:
    """Certificates are verified: without ``cafile=`` the self-signed server is not trusted."""
    cert = self_signed_certificate(tmp_path / "tls")
    with SmtpSink(tls="implicit", cert=cert) as sink:
        await arrancar(smtp_url=sink.url.split("?", 1)[0], **RAPIDO)
        await queue_mail(correo())
        await hasta(lambda: _intentos_al_menos(1))
    envio = await estado()
    assert envio.estado == EstadoEnvio.PENDIENTE and "CERTIFICATE" in envio.ultimo_error.upper()
    assert sink.received == []


@pytest.mark.parametrize(
    ("url", "esperado"),
    [
        ("smtp://mail.example.com", ("mail.example.com", 25, None, None, False, "auto")),
        (
            "smtp://u:p@mail.example.com:587?starttls=required",
            ("mail.example.com", 587, "u", "p", False, "required"),
        ),
        ("smtp://localhost:1025?starttls=off", ("localhost", 1025, None, None, False, "off")),
        (
            "smtps://u%40x:p%2F@smtp.example.com",
            ("smtp.example.com", 465, "u@x", "p/", True, "off"),
        ),
    ],
)
def test_smtp_url_forms(url: str, esperado: tuple[Any, ...]) -> None:
    c = parse_smtp_url(url)
    assert (c.host, c.port, c.username, c.password, c.implicit_tls, c.starttls) == esperado


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.com",
        "smtp://",
        "smtp://h?starttls=maybe",
        "smtp://h?tls=1",
        "smtps://h?starttls=required",
        "smtp://u:secreta@h:99999",
    ],
)
def test_a_bad_smtp_url_stops_the_start_up_without_showing_the_password(url: str) -> None:
    with pytest.raises(ValueError):
        Settings(smtp_url=url)
    with pytest.raises(ValueError) as error:
        parse_smtp_url(url)
    assert "secreta" not in str(error.value)


def test_mail_from_must_be_an_address() -> None:
    assert Settings(mail_from="Soporte <s@example.test>").mail_from == "Soporte <s@example.test>"
    for malo in ("soporte", "a@b.test\r\nBcc: x@y.test"):
        with pytest.raises(ValueError):
            Settings(mail_from=malo)


# --- retries and dead letters ----------------------------------------------------------------


async def test_a_temporary_refusal_is_retried_with_backoff(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    smtp_sink.reply_next("451 4.3.0 Intenta más tarde")
    await arrancar(smtp_url=smtp_sink.url, **RAPIDO)
    message_id = await queue_mail(correo())
    await hasta(lambda: _intentos_al_menos(1))
    fallo = await estado()
    assert fallo.estado == EstadoEnvio.PENDIENTE and fallo.ultimo_error.startswith("451")
    # The next attempt waits the base (50 ms) ± 25 %.
    espera = (fallo.proximo_intento - fallo.fecha_creacion).total_seconds()
    assert 0.0375 <= espera <= 1.0
    [recibido] = await smtp_sink.wait_for(1)
    assert recibido.message["Message-ID"] == message_id
    await en_estado(EstadoEnvio.ENVIADO)
    enviado = await estado()
    assert enviado.intentos == 2 and enviado.ultimo_error == ""


async def test_a_permanent_refusal_dead_letters_at_once_and_emits_envio_fallido(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    smtp_sink.reply_next("550 5.1.1 El buzón no existe")
    api = await arrancar(smtp_url=smtp_sink.url, **RAPIDO)
    await queue_mail(correo())
    await en_estado(EstadoEnvio.FALLIDO)
    envio = await estado()
    assert envio.intentos == 1 and envio.ultimo_error.startswith("550")
    await hasta(lambda: _emitido(api))
    assert [e for e in api.events if isinstance(e, EnvioFallido)] == [
        EnvioFallido(
            envio_id=envio.id,
            canal="mail",
            destino="ana0@example.test",
            error=envio.ultimo_error,
        )
    ]


async def _emitido(api: SoporteClient) -> bool:
    return any(isinstance(e, EnvioFallido) for e in api.events)


async def test_the_last_attempt_dead_letters(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    smtp_sink.reply_next("421 4.7.0 Ocupado", "452 4.3.1 Sin espacio", "451 4.3.0 Luego")
    api = await arrancar(smtp_url=smtp_sink.url, outbox_max_attempts=3, **RAPIDO)
    await queue_mail(correo())
    await en_estado(EstadoEnvio.FALLIDO)
    envio = await estado()
    assert envio.intentos == 3 and envio.ultimo_error.startswith("451")
    await hasta(lambda: _emitido(api))
    assert smtp_sink.received == []


async def test_an_unreachable_server_is_a_temporary_failure(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    from core.testing import free_port

    await arrancar(smtp_url=f"smtp://127.0.0.1:{free_port()}?starttls=off", **RAPIDO)
    await queue_mail(correo())
    await hasta(lambda: _intentos_al_menos(2))
    assert (await estado()).estado == EstadoEnvio.PENDIENTE


# --- transactions, idempotency, latency ------------------------------------------------------


async def test_a_rolled_back_transaction_sends_nothing(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    api = await arrancar(smtp_url=smtp_sink.url)
    with pytest.raises(RuntimeError):
        async with UnitOfWork(api.app[keys.EVENTS]):
            await queue_mail(correo(1))
            raise RuntimeError("rollback")
    async with UnitOfWork(api.app[keys.EVENTS]):
        await queue_mail(correo(2))
    # The committed one goes out; had the first been sent, it would come before it.
    [recibido] = await smtp_sink.wait_for(1)
    assert recibido.rcpt_tos == ("ana2@example.test",)
    await en_estado(EstadoEnvio.ENVIADO)
    assert await Envio.all().count() == 1


async def test_an_idempotency_key_sends_once(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    await arrancar(smtp_url=smtp_sink.url)
    await queue_mail(correo(1), key="k")
    await queue_mail(correo(1), key="k")
    await queue_mail(correo(2))
    await smtp_sink.wait_for(2)
    await en_estado(EstadoEnvio.ENVIADO, 2)
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == [
        "ana1@example.test",
        "ana2@example.test",
    ]


async def test_a_commit_wakes_the_worker_at_once(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    """Polling once a minute, a committed mail still goes out in milliseconds: the commit
    wakes the worker (without that, this test would wait a minute per mail)."""
    api = await arrancar(smtp_url=smtp_sink.url, outbox_poll_seconds=60)
    await asyncio.sleep(0.05)  # let the worker finish its first (empty) look and go idle
    latencias = []
    for n in range(10):
        inicio = time.perf_counter()
        async with UnitOfWork(api.app[keys.EVENTS]):
            await queue_mail(correo(n))
        await smtp_sink.wait_for(n + 1, espera=5)
        latencias.append(time.perf_counter() - inicio)
    # The target is ~100 ms p50 on an idle worker; generous here for a shared CI machine.
    assert statistics.median(latencias) < 0.5, latencias


async def test_a_lease_held_by_a_dead_process_expires_then_the_row_is_retried(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    """A row claimed by a process that died mid-send is left alone until its lease ends,
    then delivered (with the same Message-ID) by whoever claims it next."""
    await arrancar(smtp_url=smtp_sink.url, **RAPIDO)
    ahora = datetime.now(UTC)
    envio = await Envio.create(
        canal="mail",
        destino="ana0@example.test",
        payload=correo().to_payload(),
        message_id="<muerto@example.test>",
        proximo_intento=ahora,
        intentos=1,
        reclamo="otro-proceso",
        reclamado_hasta=ahora + timedelta(seconds=0.5),
    )
    await asyncio.sleep(0.2)  # several polls (every 20 ms) while the lease holds
    assert smtp_sink.received == [] and (await estado(envio.id)).reclamo == "otro-proceso"
    [recibido] = await smtp_sink.wait_for(1)
    assert datetime.now(UTC) >= ahora + timedelta(seconds=0.5)
    assert recibido.message["Message-ID"] == "<muerto@example.test>"
    await en_estado(EstadoEnvio.ENVIADO)
    assert (await estado(envio.id)).intentos == 2


async def test_an_outcome_is_recorded_only_under_the_claim_that_holds(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    """A worker whose lease ran out (and the row was claimed again) cannot overwrite the new
    claimant's record: outcomes are written under the claim's token."""
    api = await arrancar(smtp_url=smtp_sink.url, outbox_poll_seconds=60, outbox_lease_seconds=0.05)
    outbox = api.app[keys.OUTBOX]
    # Written directly (no queue_mail): nothing wakes the worker, which polls once a minute.
    await Envio.create(
        canal="mail", destino="x", payload=correo().to_payload(), proximo_intento=datetime.now(UTC)
    )
    viejo, [primera] = await outbox.claim()
    assert (await outbox.claim())[1] == []  # the lease holds
    await asyncio.sleep(0.06)
    nuevo, [segunda] = await outbox.claim()
    assert segunda.id == primera.id and segunda.intentos == 2
    from core.outbox import Outcome

    await outbox.record(viejo, Outcome(primera))
    assert (await estado()).estado == EstadoEnvio.PENDIENTE  # the stale claim changed nothing
    await outbox.record(nuevo, Outcome(segunda))
    assert (await estado()).estado == EstadoEnvio.ENVIADO


async def test_two_apps_on_one_database_deliver_each_mail_once(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    """Two workers (two apps, two connections to one SQLite file) compete for 60 rows in
    small batches: each row is claimed, and sent, by exactly one of them."""
    url = f"sqlite://{tmp_path / 'compartida.db'}"
    opciones = {"database_url": url, "smtp_url": smtp_sink.url, "outbox_batch": 3, **RAPIDO}
    await arrancar(**opciones)
    await arrancar(**opciones)
    ahora = datetime.now(UTC)
    await Envio.bulk_create(
        [
            Envio(
                canal="mail",
                destino=f"ana{n}@example.test",
                payload=correo(n).to_payload(),
                message_id=f"<m{n}@example.test>",
                proximo_intento=ahora,
            )
            for n in range(60)
        ]
    )
    await smtp_sink.wait_for(60)
    await en_estado(EstadoEnvio.ENVIADO, 60)
    ids = [r.message["Message-ID"] for r in smtp_sink.received]
    assert sorted(ids) == sorted(f"<m{n}@example.test>" for n in range(60))
    assert set(await Envio.all().values_list("intentos", flat=True)) == {1}


async def test_shutdown_ends_a_worker_whose_channel_swallows_the_cancellation(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    """A library under the worker may swallow a cancellation (a batch then keeps going); the
    app still shuts down, in seconds, instead of waiting for the worker forever."""
    from aiohttp import web

    from core import hookimpl
    from core.outbox import OutboxChannel, Outcome
    from tests.core.pruebas import Pruebas

    entregando = asyncio.Event()

    async def terco(app: web.Application, envios: Any) -> AsyncIterator[Outcome]:
        entregando.set()
        with contextlib.suppress(asyncio.CancelledError):  # as a misbehaving driver would
            await asyncio.sleep(3600)
        await asyncio.sleep(3600)
        for envio in envios:
            yield Outcome(envio)

    class Terco:
        name = "terco"

        @hookimpl
        def register_outbox_channels(self, app: web.Application) -> list[OutboxChannel]:
            return [OutboxChannel("terco", terco)]

    api = await arrancar(extra=[Pruebas(), Terco()], outbox_poll_seconds=0.02)
    await Envio.create(canal="terco", destino="x", payload={}, proximo_intento=datetime.now(UTC))
    await asyncio.wait_for(entregando.wait(), 5)
    inicio = time.perf_counter()
    await asyncio.wait_for(api.close(), 15)
    assert time.perf_counter() - inicio < 10


async def test_a_channel_may_defer_a_row_uncounted_or_retry_it_on_its_own_schedule(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    """``Outcome.defer``: back in the queue at the given instant, the attempt given back;
    ``Outcome.retry``: due at the channel's instant, past ``outbox_max_attempts``."""
    from aiohttp import web

    from core import hookimpl
    from core.outbox import OutboxChannel, Outcome
    from tests.core.pruebas import Pruebas

    lejos = datetime.now(UTC) + timedelta(hours=3)

    async def propio(app: web.Application, envios: Any) -> AsyncIterator[Outcome]:
        for envio in envios:
            if envio.payload["modo"] == "aplazar":
                yield Outcome.defer(envio, lejos)
            else:
                yield Outcome.retry(envio, "sigue fallando", lejos)

    class Propio:
        name = "propio"

        @hookimpl
        def register_outbox_channels(self, app: web.Application) -> list[OutboxChannel]:
            return [OutboxChannel("propio", propio)]

    await arrancar(extra=[Pruebas(), Propio()], outbox_poll_seconds=0.02, outbox_max_attempts=1)
    ahora = datetime.now(UTC)
    aplazada = await Envio.create(
        canal="propio", destino="x", payload={"modo": "aplazar"}, proximo_intento=ahora
    )
    reintentada = await Envio.create(
        canal="propio", destino="x", payload={"modo": "reintentar"}, proximo_intento=ahora
    )
    await hasta(lambda: _sin_reclamo(aplazada.id, reintentada.id))
    aplazada = await Envio.get(id=aplazada.id)
    reintentada = await Envio.get(id=reintentada.id)
    assert aplazada.estado == EstadoEnvio.PENDIENTE and aplazada.intentos == 0
    assert abs(aplazada.proximo_intento - lejos) < timedelta(seconds=1)
    # One attempt made, with max_attempts 1: still pending, due when the channel said.
    assert reintentada.estado == EstadoEnvio.PENDIENTE and reintentada.intentos == 1
    assert reintentada.ultimo_error == "sigue fallando"
    assert abs(reintentada.proximo_intento - lejos) < timedelta(seconds=1)


async def _sin_reclamo(*ids: int) -> bool:
    filas = await Envio.filter(id__in=list(ids))
    return all(f.proximo_intento > datetime.now(UTC) and f.reclamo is None for f in filas)


# --- parts rendered at delivery ----------------------------------------------------------------

#: The context of ``core/correo/verificar`` (a template every app has).
VERIFICAR: dict[str, Any] = {
    "nombre": "Ana",
    "email": "ana@example.test",
    "username": "ana",
    "enlace": "https://x/verificar/?t=1",
    "validez": "24 horas",
}


async def test_a_mail_with_a_template_is_stored_unrendered_and_sent_rendered(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    """``Mail.template``: the row holds the template's name and context, not its parts (the
    queuing transaction renders nothing); the worker renders them when it sends."""
    await arrancar(smtp_url=smtp_sink.url)
    await queue_mail(
        Mail(
            to=("ana@example.test",),
            subject="Confirma tu correo",
            text="",
            template="core/correo/verificar",
            context=VERIFICAR,
        )
    )
    guardado = await estado()
    assert guardado.payload["text"] == "" and guardado.payload["html"] is None
    assert guardado.payload["template"] == "core/correo/verificar"
    assert guardado.payload["context"] == VERIFICAR
    [recibido] = await smtp_sink.wait_for(1)
    texto, html = recibido.message.iter_parts()
    assert "https://x/verificar/?t=1" in texto.get_content()
    assert "ana@example.test" in texto.get_content()
    assert "https://x/verificar/?t=1" in html.get_content()
    assert recibido.message["Subject"] == "Confirma tu correo"


async def test_a_template_that_fails_at_delivery_is_a_failed_attempt_retried(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    await arrancar(smtp_url=smtp_sink.url, **RAPIDO)
    await queue_mail(
        Mail(to=("ana@example.test",), subject="S", text="", template="no/existe", context={})
    )
    await hasta(lambda: _intentos_al_menos(2))
    fallo = await estado()
    assert fallo.estado == EstadoEnvio.PENDIENTE and "no/existe" in fallo.ultimo_error
    assert smtp_sink.received == []


async def test_a_process_without_a_worker_queues_and_never_delivers(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    """``outbox_worker=False``: the mail is queued (the row is there, PENDIENTE), no task
    delivers it; a process with a worker (here: one pass of this app's) does."""
    from core.keys import OUTBOX

    api = await arrancar(smtp_url=smtp_sink.url, outbox_worker=False)
    outbox = api.app[OUTBOX]
    assert outbox._task is None
    await queue_mail(correo())
    fila = await estado()
    assert fila.estado == EstadoEnvio.PENDIENTE and fila.intentos == 0
    assert await outbox.run_once() == 1
    [recibido] = await smtp_sink.wait_for(1)
    assert recibido.message["Subject"] == "Hola 0"
