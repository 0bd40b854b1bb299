"""The e-mail of each notification: queued in the change's transaction, rendered from the
type's templates, threaded per ticket, with a signed Reply-To; coalesced in bursts."""

from __future__ import annotations

import functools

import pytest

from core import hookimpl
from core.auth.models import Rol
from core.mail import MAIL_CHANNEL
from core.outbox_models import Envio
from core.reply_address import parse_reply_address
from core.testing import started_app
from plugins.notificaciones.correo import raiz_hilo
from plugins.notificaciones.models import Notificacion
from tests.plugins.notificaciones.ayudas import BASE, cambiar, correos, crear_ticket, responder

pytestmark = pytest.mark.plugins("tickets", "notificaciones")

PUBLICA = "https://ayuda.example.com"


@pytest.fixture
def make_app(make_app):
    """Every app of this module has a public URL and a sender of its own."""
    return functools.partial(
        make_app, public_url=PUBLICA, mail_from="Soporte <soporte@ayuda.example.com>"
    )


async def test_la_respuesta_de_un_agente_se_envia_al_cliente_enhebrada(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana, asunto="Cobro <doble>")
    await responder(soporte, carla, ticket["id"], "Le devolvemos el importe & pedimos perdón.")
    recibo, respuesta = await correos("ana@example.test")
    numero = ticket["numero"]
    assert recibo["subject"] == f"[{numero}] Hemos recibido su ticket: Cobro <doble>"
    assert respuesta["subject"] == f"[{numero}] Nueva respuesta: Cobro <doble>"
    # The reply's text, as typed in the plain part and escaped in the HTML one.
    assert "Le devolvemos el importe & pedimos perdón." in respuesta["text"]
    assert "Le devolvemos el importe &amp; pedimos perdón." in respuesta["html"]
    assert "Cobro &lt;doble&gt;" in respuesta["html"] and "<doble>" not in respuesta["html"]
    assert f"{PUBLICA}/tickets/{ticket['id']}/" in respuesta["text"]
    # Threading: both reference the ticket's one root, each has its own Message-ID.
    raiz = raiz_hilo(soporte.app, numero)
    assert raiz.startswith(f"<{numero}.") and raiz.endswith("@ayuda.example.com>")
    for correo in (recibo, respuesta):
        assert correo["in_reply_to"] == raiz and correo["references"] == [raiz]
        assert correo["headers"] == {
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": f"<{PUBLICA}/notificaciones/preferencias/>",
        }
        assert correo["reply_to"].startswith(f"soporte+{numero}-")
        assert correo["reply_to"].endswith("@ayuda.example.com")
        assert parse_reply_address(soporte.app, correo["reply_to"]) == numero
    assert recibo["message_id"] != respuesta["message_id"]
    assert recibo["message_id"].startswith("<") and "@" in recibo["message_id"]
    # The agent is mailed about nothing here: a new ticket is in-app only by default.
    assert await correos("carla@example.test") == []


async def test_una_rafaga_envia_un_solo_correo_hasta_que_se_lee(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana)
    for i in range(5):
        await responder(soporte, carla, ticket["id"], f"Mensaje {i}")
    respuestas = [c for c in await correos("ana@example.test") if "Nueva respuesta" in c["subject"]]
    assert len(respuestas) == 1 and "Mensaje 0" in respuestas[0]["text"]
    # Every message is in the bell all the same.
    assert await Notificacion.filter(usuario_id=ana.id, tipo="respuesta_agente").count() == 5
    r = await soporte.post(f"{BASE}leer-todas/", headers=soporte.auth(ana))
    assert r.status == 204
    await responder(soporte, carla, ticket["id"], "Otra más")
    respuestas = [c for c in await correos("ana@example.test") if "Nueva respuesta" in c["subject"]]
    assert len(respuestas) == 2 and "Otra más" in respuestas[1]["text"]


async def test_sin_coalescer_cada_aviso_envia_su_correo(make_app):
    from core.testing import started_app

    app = make_app(
        ["tickets", "notificaciones"],
        plugin_settings={"notificaciones": {"mail_coalesce_minutes": 0}},
    )
    async with started_app(app) as soporte:
        ana = await soporte.usuario("ana")
        carla = await soporte.usuario("carla", Rol.AGENTE)
        ticket = await crear_ticket(soporte, ana)
        for i in range(3):
            await responder(soporte, carla, ticket["id"], f"Mensaje {i}")
        assert len(await correos("ana@example.test")) == 4  # the receipt and three replies


async def test_las_preferencias_deciden_el_canal(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    r = await soporte.patch(
        f"{BASE}preferencias/",
        json={
            "preferencias": {
                "ticket_recibido": {"email": False},
                "respuesta_agente": {"app": False},
            }
        },
        headers=soporte.auth(ana),
    )
    assert r.status == 200, await r.text()
    prefs = (await r.json())["preferencias"]
    assert prefs["ticket_recibido"] == {"app": False, "email": False}
    assert prefs["respuesta_agente"] == {"app": False, "email": True}
    ticket = await crear_ticket(soporte, ana)
    await responder(soporte, carla, ticket["id"], "Hola")
    (unico,) = await correos("ana@example.test")
    assert "Nueva respuesta" in unico["subject"]
    # Not in the bell (app off), though the row that the mail needed exists.
    r = await soporte.get(BASE, headers=soporte.auth(ana))
    assert (await r.json())["count"] == 0
    assert await Notificacion.filter(usuario_id=ana.id, en_app=False).count() == 1


async def test_el_agente_asignado_recibe_la_respuesta_del_cliente_por_correo(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    dani = await soporte.usuario("dani", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana)
    await cambiar(soporte, dani, ticket["id"], agente_asignado=carla.id)
    await responder(soporte, ana, ticket["id"], "Sigo sin poder pagar")
    asignado, respuesta = await correos("carla@example.test")
    assert asignado["subject"].startswith(f"[{ticket['numero']}] Se le asignó")
    assert respuesta["subject"].startswith(f"[{ticket['numero']}] El cliente respondió")
    assert "Sigo sin poder pagar" in respuesta["text"]
    assert await correos("dani@example.test") == []


async def test_sin_direccion_no_hay_correo(soporte):
    ana = await soporte.usuario("ana")
    ana.email = ""
    await ana.save()
    await crear_ticket(soporte, ana)
    assert await correos() == []
    # ticket_recibido is by e-mail only: without an address nothing is written at all.
    assert await Notificacion.filter(usuario_id=ana.id).count() == 0


async def test_un_rollback_no_encola_ningun_correo(soporte):
    from core.events import Listener
    from core.keys import EVENTS
    from plugins.tickets.events import RespuestaCreada

    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana)
    antes = len(await correos())

    def vetar(evento: RespuestaCreada) -> None:
        raise RuntimeError("veto")

    veto = Listener(RespuestaCreada, vetar, "in_transaction")
    soporte.app[EVENTS].subscribe(veto)
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        json={"mensaje": "hola"},
        headers=soporte.auth(carla),
    )
    soporte.app[EVENTS].unsubscribe(veto)
    assert r.status == 500
    assert len(await correos()) == antes


async def test_vista_previa_para_administradores(soporte):
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    carla = await soporte.usuario("carla", Rol.AGENTE)
    r = await soporte.get(
        f"{BASE}plantillas/respuesta_agente/vista-previa/", headers=soporte.auth(jefa)
    )
    assert r.status == 200, await r.text()
    vista = await r.json()
    assert vista["asunto"].startswith("[TK-000123] Nueva respuesta")
    assert "ya hemos liberado el cobro" in vista["texto"]
    assert vista["html"].startswith("<!doctype html>")
    cabeceras = vista["cabeceras"]
    assert cabeceras["Auto-Submitted"] == "auto-generated"
    assert (
        cabeceras["In-Reply-To"] == cabeceras["References"] == raiz_hilo(soporte.app, "TK-000123")
    )
    assert parse_reply_address(soporte.app, cabeceras["Reply-To"]) == "TK-000123"
    for tipo in ("no_existe", "envio_fallido"):
        r = await soporte.get(f"{BASE}plantillas/{tipo}/vista-previa/", headers=soporte.auth(jefa))
        assert r.status == 404
    r = await soporte.get(
        f"{BASE}plantillas/respuesta_agente/vista-previa/", headers=soporte.auth(carla)
    )
    assert r.status == 403


@pytest.mark.parametrize(
    "tipo",
    [
        "ticket_recibido", "respuesta_agente", "estado_cambiado", "ticket_nuevo",
        "respuesta_cliente", "ticket_asignado", "ticket_escalado", "caso_nuevo",
        "caso_actualizado",
    ],
)  # fmt: skip
async def test_cada_tipo_con_correo_tiene_sus_plantillas(soporte, tipo):
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    r = await soporte.get(f"{BASE}plantillas/{tipo}/vista-previa/", headers=soporte.auth(jefa))
    assert r.status == 200, await r.text()
    vista = await r.json()
    assert vista["asunto"].startswith(("[TK-000123] ", "[CS-000042] "))
    assert "Hola, " in vista["texto"] and vista["html"]


async def test_la_respuesta_llega_al_socket_y_al_buzon_del_cliente(soporte):
    """The issue's "done when": an agent's reply reaches the customer's open socket (the bell
    and the ticket page's ``ticket`` frame) and their mail, in the outbox, threaded."""
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana)
    ws = await soporte.ws("/ws/soporte/notificaciones/", ana)
    await soporte.recibir(ws, "sincronizado")
    await responder(soporte, carla, ticket["id"], "Ya está solucionado")
    nota = (await soporte.recibir(ws, "notificacion"))["notificacion"]
    assert nota["tipo"] == "respuesta_agente" and "Ya está solucionado" in nota["mensaje"]
    assert (await soporte.recibir(ws, "ticket"))["evento"] == "respuesta_creada"
    recibo, respuesta = await correos("ana@example.test")
    assert "Ya está solucionado" in respuesta["text"]
    assert (
        respuesta["references"]
        == recibo["references"]
        == [raiz_hilo(soporte.app, ticket["numero"])]
    )
    await ws.close()


async def test_el_correo_se_encola_con_el_asunto_y_se_redacta_al_enviarlo(soporte):
    """The reply's transaction renders the subject only; the row keeps the template's name
    and its context, and the parts are rendered when the outbox sends it."""
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana, asunto="Cobro doble")
    await responder(soporte, carla, ticket["id"], "Ya está devuelto")
    fila = await Envio.filter(canal=MAIL_CHANNEL).order_by("-id").first()
    assert fila is not None
    assert fila.payload["subject"] == f"[{ticket['numero']}] Nueva respuesta: Cobro doble"
    assert fila.payload["text"] == "" and fila.payload["html"] is None
    assert fila.payload["template"] == "notificaciones/correo/respuesta_agente"
    assert fila.payload["context"]["respuesta"] == "Ya está devuelto"
    (enviado,) = [c for c in await correos("ana@example.test") if "Nueva" in c["subject"]]
    assert "Ya está devuelto" in enviado["text"] and "Ya está devuelto" in enviado["html"]


class _Hilos:
    """An ad-hoc plugin that names one inbound Message-ID for every ticket (as ``correo`` does
    for a ticket opened by mail) and counts how often it is asked."""

    name = "hilos_de_prueba"

    def __init__(self) -> None:
        self.preguntas: list[str] = []

    @hookimpl
    async def mail_thread_references(self, numero: str) -> list[str]:
        self.preguntas.append(numero)
        return ["<original@cliente.example>"]


async def test_el_hilo_de_otros_plugins_se_pide_una_vez_por_aviso_y_no_por_destinatario(make_app):
    hilos = _Hilos()
    async with started_app(make_app(plugins=["tickets", "notificaciones"], extra=[hilos])) as s:
        ana = await s.usuario("ana")
        agentes = [await s.usuario(n, Rol.AGENTE) for n in ("carla", "dani")]
        for agente in agentes:  # the agents' notice of a new ticket, by mail too
            r = await s.patch(
                "/api/soporte/notificaciones/preferencias/",
                json={"preferencias": {"ticket_nuevo": {"email": True}}},
                headers=s.auth(agente),
            )
            assert r.status == 200, await r.text()
        ticket = await crear_ticket(s, ana)
        numero = ticket["numero"]
        # Three mails (ana's receipt, the two agents' notice), two notifications' types: the
        # hook was asked once for each type, not once per mail…
        assert hilos.preguntas == [numero, numero]
        for para in ("ana@example.test", "carla@example.test", "dani@example.test"):
            (mail,) = await correos(para)
            # …and every mail answers what it named.
            assert mail["in_reply_to"] == "<original@cliente.example>"
            assert mail["references"] == [raiz_hilo(s.app, numero), "<original@cliente.example>"]
