"""The pipeline end to end through ``recibir``: a mail becomes a ticket with its attachment and
a threaded acknowledgement; replies by address, References or subject tag; the safety rules."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.models import Rol, Usuario
from core.auth.passwords import UNUSABLE_PREFIX
from core.outbox_models import Envio
from core.reply_address import parse_reply_address, reply_address, thread_root
from core.testing import SoporteClient
from plugins.correo.api import procesar_pendientes, recibir
from plugins.correo.models import EstadoMensaje, Mensaje, Origen
from plugins.correo.procesamiento import procesador
from plugins.tickets.models import Adjunto, Canal, Estado, Respuesta, Ticket
from tests.plugins.correo.ayudas import PNG, SOPORTE, arrancar, correo, entregar, message_id_de

pytestmark = pytest.mark.plugins("tickets", "notificaciones", "correo")


async def nuevo_ticket(soporte: SoporteClient, **kwargs: Any) -> tuple[Mensaje, Ticket]:
    """A mail that opens a ticket: its processed row and the ticket."""
    fila = await entregar(soporte, correo(**kwargs))
    assert fila.estado == EstadoMensaje.PROCESADO, fila.motivo
    assert fila.ticket_id is not None
    return fila, await Ticket.get(id=fila.ticket_id)


# --- a new ticket -------------------------------------------------------------------------------


async def test_a_mail_opens_a_ticket_with_its_attachment_and_a_threaded_receipt(
    start_app, smtp_sink
) -> None:
    soporte = await arrancar(start_app, smtp_sink)
    crudo = correo(adjuntos=[("captura.png", "image/png", PNG)])
    fila = await entregar(soporte, crudo, sobre_destinatarios=[SOPORTE])
    assert fila.estado == EstadoMensaje.PROCESADO, fila.motivo
    assert (fila.remitente, fila.asunto) == ("ana@cliente.test", "No puedo pagar mi reserva")
    ticket = await Ticket.get(id=fila.ticket_id)
    assert ticket.asunto == "No puedo pagar mi reserva"
    assert "el pago de la reserva 123 falla" in ticket.descripcion
    assert (ticket.categoria, ticket.prioridad, ticket.estado) == ("GENERAL", "MEDIA", "ABIERTO")
    # The sender became a customer without a usable password, named by the display name.
    ana = await Usuario.get(id=ticket.cliente_id)
    assert (ana.rol, ana.email, ana.nombre) == (Rol.CLIENTE, "ana@cliente.test", "Ana Pérez")
    assert ana.password_hash.startswith(UNUSABLE_PREFIX)
    [adjunto] = await Adjunto.filter(ticket_id=ticket.id)
    assert (adjunto.nombre, adjunto.tipo, adjunto.tamano) == ("captura.png", "image/png", len(PNG))
    from core.keys import STORAGE

    assert soporte.app[STORAGE].path(adjunto.clave).read_bytes() == PNG

    [recibo] = await smtp_sink.wait_for(1)
    assert recibo.rcpt_tos == ("ana@cliente.test",)
    assert ticket.numero in recibo.message["Subject"]
    original = message_id_de(crudo)
    # Threaded with the customer's own mail: a reply to it, under the ticket's root.
    assert recibo.message["In-Reply-To"] == original
    assert recibo.message["References"].split() == [
        thread_root(soporte.app, ticket.numero),
        original,
    ]
    assert parse_reply_address(soporte.app, recibo.message["Reply-To"]) == ticket.numero


async def test_settings_choose_category_and_priority_and_the_subject_defaults(start_app) -> None:
    soporte = await arrancar(
        start_app, plugin_settings={"correo": {"categoria": "PAGOS", "prioridad": "ALTA"}}
    )
    _, ticket = await nuevo_ticket(soporte, asunto="", cuerpo="")
    assert (ticket.categoria, ticket.prioridad) == ("PAGOS", "ALTA")
    assert (ticket.asunto, ticket.descripcion) == ("(sin asunto)", "(mensaje vacío)")
    _, largo = await nuevo_ticket(soporte, asunto="x" * 300, cuerpo="y" * 20_000)
    assert len(largo.asunto) == 200 and len(largo.descripcion) <= 10_000
    assert largo.descripcion.endswith("el texto completo está en el correo original.]")


async def test_a_known_address_is_that_user_agents_first(start_app) -> None:
    soporte = await arrancar(start_app)
    luis = await soporte.usuario("luis")
    await Usuario.filter(id=luis.id).update(email="Luis@Cliente.TEST")
    _, ticket = await nuevo_ticket(soporte, de="luis@cliente.test")
    assert ticket.cliente_id == luis.id
    assert await Usuario.filter(email__iexact="luis@cliente.test").count() == 1


async def test_an_address_of_deactivated_users_only_makes_nothing(start_app) -> None:
    soporte = await arrancar(start_app)
    luis = await soporte.usuario("luis")
    await Usuario.filter(id=luis.id).update(activo=False)
    fila = await entregar(soporte, correo(de="luis@example.test"))
    assert (fila.estado, fila.motivo) == (EstadoMensaje.IGNORADO, "remitente desactivado")
    assert await Ticket.all().count() == 0


async def test_unknown_senders_rechazar(start_app) -> None:
    soporte = await arrancar(start_app, plugin_settings={"correo": {"unknown_senders": "rechazar"}})
    fila = await entregar(soporte, correo())
    assert (fila.estado, fila.motivo) == (EstadoMensaje.IGNORADO, "remitente desconocido")
    assert await Ticket.all().count() == 0
    assert await Usuario.filter(email="ana@cliente.test").count() == 0
    luis = await soporte.usuario("luis")
    _, ticket = await nuevo_ticket(soporte, de="luis@example.test")
    assert ticket.cliente_id == luis.id


async def test_usernames_of_new_senders_are_unique_and_never_staff_like(start_app) -> None:
    soporte = await arrancar(start_app)
    await soporte.usuario("ana@cliente.test")  # someone already took the address as username
    _, ticket = await nuevo_ticket(soporte)
    nueva = await Usuario.get(id=ticket.cliente_id)
    assert nueva.username == "ana@cliente.test-2"
    # A staff marker in the address (and in the display name) is refused by core's name rules.
    _, otro = await nuevo_ticket(soporte, de="Equipo de Soporte <soporte@cliente.test>")
    falso = await Usuario.get(id=otro.cliente_id)
    assert falso.rol == Rol.CLIENTE and falso.username.startswith("correo-")
    assert falso.nombre == ""


# --- replies ------------------------------------------------------------------------------------


async def test_replying_to_the_receipt_adds_a_reply_without_the_quote(start_app, smtp_sink) -> None:
    soporte = await arrancar(start_app, smtp_sink)
    _, ticket = await nuevo_ticket(soporte)
    [recibo] = await smtp_sink.wait_for(1)
    m = recibo.message
    cuerpo = (
        "Gracias, ya funciona.\n\n"
        f"El lun, 1 dic 2026 a las 10:00, Soporte <{SOPORTE}> escribió:\n"
        "> Hemos recibido su ticket.\n> Le responderemos pronto.\n"
    )
    respuesta = correo(
        asunto="Re: " + m["Subject"],
        cuerpo=cuerpo,
        para=m["Reply-To"],
        in_reply_to=m["Message-ID"],
        references=[*m["References"].split(), m["Message-ID"]],
    )
    fila = await entregar(soporte, respuesta, sobre_destinatarios=[m["Reply-To"]])
    assert (fila.estado, fila.ticket_id) == (EstadoMensaje.PROCESADO, ticket.id), fila.motivo
    r = await Respuesta.get(id=fila.respuesta_id)
    assert (r.ticket_id, r.autor_id, r.canal) == (ticket.id, ticket.cliente_id, Canal.CORREO)
    assert r.mensaje == "Gracias, ya funciona."
    assert await Ticket.all().count() == 1


async def test_a_reply_by_references_only_finds_its_ticket(start_app) -> None:
    soporte = await arrancar(start_app)
    _, ticket = await nuevo_ticket(soporte)
    raiz = thread_root(soporte.app, ticket.numero)
    fila = await entregar(soporte, correo(asunto="otra cosa", references=[raiz]))
    assert fila.ticket_id == ticket.id and fila.respuesta_id is not None
    # The Message-ID of a stored message of the ticket works as well.
    primero = await Mensaje.get(ticket_id=ticket.id, respuesta_id=None)
    fila = await entregar(soporte, correo(asunto="y otra", in_reply_to=primero.message_id))
    assert fila.ticket_id == ticket.id and fila.respuesta_id is not None


async def test_subject_tag_from_the_customer_replies_from_a_stranger_opens_a_ticket(
    start_app,
) -> None:
    soporte = await arrancar(start_app)
    _, ticket = await nuevo_ticket(soporte)
    fila = await entregar(soporte, correo(asunto=f"Re: [{ticket.numero}] No puedo pagar"))
    assert fila.ticket_id == ticket.id and fila.respuesta_id is not None
    extrano = await entregar(
        soporte, correo(de="Eva <eva@otra.test>", asunto=f"[{ticket.numero}] me meto")
    )
    assert extrano.estado == EstadoMensaje.PROCESADO and extrano.respuesta_id is None
    assert extrano.ticket_id != ticket.id
    propio = await Ticket.get(id=extrano.ticket_id)
    assert propio.cliente_id != ticket.cliente_id
    assert await Respuesta.filter(ticket_id=ticket.id).count() == 1


async def test_a_stranger_with_the_signed_reply_address_gets_a_ticket_of_their_own(
    start_app,
) -> None:
    soporte = await arrancar(start_app)
    _, ticket = await nuevo_ticket(soporte)
    direccion = reply_address(soporte.app, ticket.numero)
    fila = await entregar(soporte, correo(de="eva@otra.test", para=direccion))
    assert fila.ticket_id != ticket.id and fila.respuesta_id is None
    assert await Respuesta.filter(ticket_id=ticket.id).count() == 0


async def test_an_agent_replying_by_mail_makes_an_agent_reply(start_app) -> None:
    soporte = await arrancar(start_app)
    carla = await soporte.usuario("carla", Rol.AGENTE)
    _, ticket = await nuevo_ticket(soporte)
    direccion = reply_address(soporte.app, ticket.numero)
    fila = await entregar(
        soporte, correo(de="Carla <carla@example.test>", para=direccion, cuerpo="Lo miro ya.")
    )
    r = await Respuesta.get(id=fila.respuesta_id)
    assert (r.autor_id, r.canal, r.mensaje) == (carla.id, Canal.CORREO, "Lo miro ya.")
    # The state machine did the rest, as for a portal reply.
    assert (await Ticket.get(id=ticket.id)).estado == Estado.EN_PROGRESO


async def test_a_reply_to_a_closed_ticket_opens_a_new_one_naming_the_old(start_app) -> None:
    soporte = await arrancar(start_app)
    _, ticket = await nuevo_ticket(soporte)
    await Ticket.filter(id=ticket.id).update(estado=Estado.CERRADO)
    direccion = reply_address(soporte.app, ticket.numero)
    fila = await entregar(soporte, correo(para=direccion, cuerpo="Vuelve a fallar."))
    assert fila.estado == EstadoMensaje.PROCESADO and fila.respuesta_id is None
    nuevo = await Ticket.get(id=fila.ticket_id)
    assert nuevo.id != ticket.id and nuevo.cliente_id == ticket.cliente_id
    assert ticket.numero in nuevo.descripcion and "Vuelve a fallar." in nuevo.descripcion


# --- safety -------------------------------------------------------------------------------------


async def test_the_same_message_twice_makes_one_ticket(start_app) -> None:
    soporte = await arrancar(start_app)
    crudo = correo()
    primero = await recibir(soporte.app, crudo, origen=Origen.SMTP)
    segundo = await recibir(soporte.app, crudo, origen=Origen.IMAP)
    assert segundo.duplicado and segundo.id == primero.id
    await procesador(soporte.app).esperar([primero.id])
    await procesar_pendientes(soporte.app)
    assert await Ticket.all().count() == 1


@pytest.mark.parametrize(
    "cabeceras",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
    ],
)
async def test_an_auto_reply_makes_nothing_and_mails_nobody(start_app, cabeceras) -> None:
    soporte = await arrancar(start_app)
    fila = await entregar(soporte, correo(asunto="Fuera de la oficina", cabeceras=cabeceras))
    assert fila.estado == EstadoMensaje.IGNORADO and fila.motivo.startswith("automático")
    assert await Ticket.all().count() == 0
    assert await Usuario.all().count() == 0
    assert await Envio.all().count() == 0  # no acknowledgement queued


async def test_our_own_mails_coming_back_are_a_loop(start_app) -> None:
    soporte = await arrancar(start_app)
    from core.mail import new_message_id

    propio = await entregar(soporte, correo(message_id=new_message_id("ayuda.example.com")))
    assert propio.estado == EstadoMensaje.IGNORADO and propio.motivo.startswith("bucle")
    raiz = await entregar(soporte, correo(message_id=thread_root(soporte.app, "TK-000001")))
    assert raiz.estado == EstadoMensaje.IGNORADO
    desde = await entregar(soporte, correo(de=f"Soporte <{SOPORTE}>"))
    assert desde.estado == EstadoMensaje.IGNORADO and desde.motivo.startswith("bucle")
    assert await Ticket.all().count() == 0


async def test_a_broken_message_is_quarantined_and_the_next_still_processed(start_app) -> None:
    soporte = await arrancar(start_app)
    malo = await recibir(soporte.app, b"esto no es un correo", origen=Origen.API)
    sin_de = await recibir(soporte.app, b"Subject: hola\r\n\r\nsin From\r\n", origen=Origen.API)
    bueno = await recibir(soporte.app, correo(), origen=Origen.API)
    await procesador(soporte.app).esperar([malo.id, sin_de.id, bueno.id])
    estados = dict(await Mensaje.all().values_list("id", "estado"))
    assert estados == {
        malo.id: EstadoMensaje.CUARENTENA,
        sin_de.id: EstadoMensaje.CUARENTENA,
        bueno.id: EstadoMensaje.PROCESADO,
    }
    assert (await Mensaje.get(id=sin_de.id)).motivo == "sin remitente (From)"
    assert await Ticket.all().count() == 1


async def test_the_per_sender_rate_limit_ignores_the_excess(start_app) -> None:
    soporte = await arrancar(start_app, plugin_settings={"correo": {"sender_rate": "2/hour"}})
    filas = [await entregar(soporte, correo(asunto=f"n{n}")) for n in range(3)]
    assert [f.estado for f in filas] == [EstadoMensaje.PROCESADO] * 2 + [EstadoMensaje.IGNORADO]
    assert filas[2].motivo == "límite de mensajes por remitente (máximo 2 por hora)"
    otro = await entregar(soporte, correo(de="luis@otra.test"))
    assert otro.estado == EstadoMensaje.PROCESADO


async def test_require_authentication(start_app) -> None:
    soporte = await arrancar(
        start_app, plugin_settings={"correo": {"require_authentication": True}}
    )
    falla = "mx.ayuda.example.com; spf=fail smtp.mailfrom=cliente.test; dkim=none"
    ninguno = "mx.ayuda.example.com; spf=none; dkim=none"
    bien = (
        "mx.ayuda.example.com; spf=pass smtp.mailfrom=cliente.test; dkim=pass header.d=cliente.test"
    )
    filas = [
        await entregar(soporte, correo(asunto=n, cabeceras={"Authentication-Results": v}))
        for n, v in (("a", falla), ("b", ninguno), ("c", bien))
    ]
    sin = await entregar(soporte, correo(asunto="d"))
    assert [f.estado for f in [*filas, sin]] == [
        EstadoMensaje.CUARENTENA,
        EstadoMensaje.CUARENTENA,
        EstadoMensaje.PROCESADO,
        EstadoMensaje.CUARENTENA,
    ]
    assert filas[0].motivo == "autenticación: spf=fail"
    assert filas[1].motivo.startswith("autenticación: ningún resultado pass")


async def test_without_require_authentication_results_are_not_checked(start_app) -> None:
    soporte = await arrancar(start_app)
    falla = "mx.ayuda.example.com; spf=fail smtp.mailfrom=cliente.test"
    fila = await entregar(soporte, correo(cabeceras={"Authentication-Results": falla}))
    assert fila.estado == EstadoMensaje.PROCESADO


async def test_later_mails_answer_the_first_and_the_last_inbound_message(
    start_app, smtp_sink
) -> None:
    """Hook ``mail_thread_references``: an agent's reply (in the portal) is mailed as an answer
    to the customer's last mail, referencing the root, their first and their last."""
    soporte = await arrancar(start_app, smtp_sink)
    carla = await soporte.usuario("carla", Rol.AGENTE)
    primero = correo()
    fila = await entregar(soporte, primero)
    ticket = await Ticket.get(id=fila.ticket_id)
    [recibo] = await smtp_sink.wait_for(1)
    segundo = correo(cuerpo="Otro dato: uso Firefox.", para=recibo.message["Reply-To"])
    assert (await entregar(soporte, segundo)).respuesta_id is not None
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket.id}/responder/",
        headers=soporte.auth(carla),
        json={"mensaje": "Ya está arreglado."},
    )
    assert r.status == 201
    recibidos = await smtp_sink.wait_for(2)
    [respuesta] = [m for m in recibidos if "Nueva respuesta" in m.message["Subject"]]
    ids = [message_id_de(primero), message_id_de(segundo)]
    assert respuesta.message["In-Reply-To"] == ids[1]
    raiz = thread_root(soporte.app, ticket.numero)
    assert respuesta.message["References"].split() == [raiz, *ids]


async def test_a_large_message_is_parsed_off_the_event_loop(start_app, monkeypatch) -> None:
    import threading

    from plugins.correo import pipeline

    soporte = await arrancar(start_app)
    hilos_vistos: list[bool] = []
    original = pipeline.analizar

    def espia(crudo: bytes):  # type: ignore[no-untyped-def]
        hilos_vistos.append(threading.current_thread() is threading.main_thread())
        return original(crudo)

    monkeypatch.setattr(pipeline, "analizar", espia)
    pequeno = await entregar(soporte, correo(asunto="corto"))
    grande = await entregar(soporte, correo(asunto="largo", cuerpo="línea de texto\n" * 10_000))
    assert (pequeno.estado, grande.estado) == (EstadoMensaje.PROCESADO, EstadoMensaje.PROCESADO)
    # The small one on the loop's thread, the large one (> 64 KiB) in a worker thread.
    assert hilos_vistos == [True, False]
