"""End to end over real SMTP: an agent's reply reaches the customer's open socket and their
mailbox (the outbox worker delivering to the kit's aiosmtpd sink), threaded with the receipt."""

from __future__ import annotations

import pytest

from core.auth.models import Rol
from core.reply_address import parse_reply_address
from plugins.notificaciones.correo import raiz_hilo
from tests.plugins.notificaciones.ayudas import SOCKET, crear_ticket, responder

pytestmark = pytest.mark.plugins("tickets", "notificaciones")


async def test_la_respuesta_de_un_agente_llega_al_socket_y_al_buzon(start_app, smtp_sink):
    soporte = await start_app(
        ["tickets", "notificaciones"],
        smtp_url=smtp_sink.url,
        mail_from="Soporte <soporte@ayuda.example.com>",
        public_url="https://ayuda.example.com",
        outbox_poll_seconds=0.05,
    )
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ws = await soporte.ws(SOCKET, ana)
    await soporte.recibir(ws, "sincronizado")
    ticket = await crear_ticket(soporte, ana)
    await responder(soporte, carla, ticket["id"], "Ya está solucionado, Ana.")
    nota = (await soporte.recibir(ws, "notificacion"))["notificacion"]
    assert nota["tipo"] == "respuesta_agente" and nota["ticket_id"] == ticket["id"]

    recibidos = await smtp_sink.wait_for(2)
    por_asunto = {r.message["Subject"]: r for r in recibidos}
    numero = ticket["numero"]
    recibo = por_asunto[f"[{numero}] Hemos recibido su ticket: {ticket['asunto']}"]
    respuesta = por_asunto[f"[{numero}] Nueva respuesta: {ticket['asunto']}"]
    assert respuesta.rcpt_tos == ("ana@example.test",)
    mensaje = respuesta.message
    texto = mensaje.get_body(("plain",)).get_content()
    html = mensaje.get_body(("html",)).get_content()
    assert "Ya está solucionado, Ana." in texto and "Ya está solucionado, Ana." in html
    raiz = raiz_hilo(soporte.app, numero)
    for m in (recibo.message, mensaje):
        assert m["In-Reply-To"] == raiz and m["References"] == raiz
        assert m["Auto-Submitted"] == "auto-generated"
        assert m["List-Unsubscribe"] == "<https://ayuda.example.com/notificaciones/preferencias/>"
        assert parse_reply_address(soporte.app, m["Reply-To"]) == numero
    assert recibo.message["Message-ID"] != mensaje["Message-ID"]
    await ws.close()
