"""Internal notes and notifications: a note tells no customer anything (in the page, live, or
by mail), and ``@username`` mentions notify the agents named (type ``mencion``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.auth.models import Rol
from plugins.notificaciones.models import Notificacion
from plugins.notificaciones.reglas import mencionados
from plugins.notificaciones.service import Aviso, Destinatarios, escribir
from tests.plugins.notificaciones.ayudas import (
    BASE,
    SOCKET,
    cambiar,
    con_correo,
    correos,
    crear_ticket,
    responder,
    tipos,
)

pytestmark = pytest.mark.plugins("tickets", "notificaciones")

NOTA = "Cliente conflictivo: no ofrecer reembolso sin aprobar con finanzas"


@pytest.fixture
def make_app(make_app):
    return con_correo(make_app)


async def nota(soporte: Any, usuario: Any, ticket_id: int, texto: str = NOTA) -> None:
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket_id}/responder/",
        json={"mensaje": texto, "interna": True},
        headers=soporte.auth(usuario),
    )
    assert r.status == 201, await r.text()


@pytest.fixture
async def gente(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    dani = await soporte.usuario("dani", Rol.AGENTE)
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    ticket = await crear_ticket(soporte, ana)
    await cambiar(soporte, jefa, ticket["id"], agente_asignado=dani.id)
    return soporte, ana, carla, dani, jefa, ticket


async def test_una_nota_no_avisa_al_cliente_ni_al_agente_asignado(gente):
    soporte, ana, carla, dani, _, ticket = gente
    antes_ana = await tipos(soporte, ana)
    antes_dani = await tipos(soporte, dani)
    correos_ana = len(await correos("ana@example.test"))
    await nota(soporte, carla, ticket["id"])
    assert await tipos(soporte, ana) == antes_ana
    assert await tipos(soporte, dani) == antes_dani
    assert len(await correos("ana@example.test")) == correos_ana
    assert not await Notificacion.filter(mensaje__contains="finanzas").exists()


async def test_ni_el_correo_de_una_respuesta_posterior_cita_la_nota(gente):
    soporte, _ana, carla, _, _, ticket = gente
    await responder(soporte, carla, ticket["id"], "Lo estamos revisando")
    await nota(soporte, carla, ticket["id"])
    await responder(soporte, carla, ticket["id"], "Ya está resuelto")
    enviados = await correos("ana@example.test")
    assert any("Ya está resuelto" in c["text"] for c in enviados)
    for correo in enviados:
        for parte in (correo["subject"], correo["text"], correo["html"] or ""):
            assert "finanzas" not in parte


async def test_el_socket_del_cliente_no_oye_la_nota(gente):
    """Not even the live ``ticket`` frame: the customer's next frame after a note is the one
    of the public reply that follows it."""
    soporte, ana, carla, _, _, ticket = gente
    ws = await soporte.ws(SOCKET, ana)
    await soporte.recibir(ws, "sincronizado")
    await nota(soporte, carla, ticket["id"])
    await responder(soporte, carla, ticket["id"], "Hola Ana")
    primero = await soporte.recibir(ws)
    assert primero["tipo"] == "notificacion"
    assert primero["notificacion"]["tipo"] == "respuesta_agente"
    assert "Hola Ana" in primero["notificacion"]["mensaje"]
    assert (await soporte.recibir(ws))["evento"] == "respuesta_creada"
    await ws.close()


async def test_una_mencion_en_una_nota_avisa_al_agente_en_la_app_en_vivo_y_por_correo(gente):
    soporte, ana, carla, dani, jefa, ticket = gente
    ws = await soporte.ws(SOCKET, dani)
    await soporte.recibir(ws, "sincronizado")
    await nota(soporte, carla, ticket["id"], f"@dani mira esto, y @jefa también. {NOTA}")
    vivo = (await soporte.recibir(ws, "notificacion"))["notificacion"]
    assert vivo["tipo"] == "mencion" and vivo["ticket_id"] == ticket["id"]
    assert vivo["titulo"] == f"Carla Ruiz le mencionó en {ticket['numero']}"
    assert vivo["url"] == f"/agente/tickets/{ticket['id']}/"
    await ws.close()
    for quien in (dani, jefa):
        assert (await tipos(soporte, quien))[-1] == ("mencion", ticket["id"])
    assert ("mencion", ticket["id"]) not in await tipos(soporte, ana)
    assert ("mencion", ticket["id"]) not in await tipos(soporte, carla)  # the author
    [correo] = [c for c in await correos("dani@example.test") if "mencionó" in c["subject"]]
    assert correo["subject"] == f"Carla Ruiz le mencionó en {ticket['numero']}: No puedo pagar"
    assert NOTA in correo["text"] and "nota interna" in correo["text"]
    # About a note: no thread, no Reply-To, no [TK-…] — answering it by mail cannot post a
    # public reply to the customer.
    assert correo["reply_to"] is None and correo["in_reply_to"] is None
    assert not correo["references"]


async def test_las_preferencias_deciden_el_canal_de_la_mencion(gente):
    soporte, _, carla, dani, _, ticket = gente
    r = await soporte.patch(
        f"{BASE}preferencias/",
        json={"preferencias": {"mencion": {"app": False, "email": False}}},
        headers=soporte.auth(dani),
    )
    assert r.status == 200, await r.text()
    await nota(soporte, carla, ticket["id"], "@dani ¿lo ves?")
    assert ("mencion", ticket["id"]) not in await tipos(soporte, dani)
    assert not [c for c in await correos("dani@example.test") if "mencionó" in c["subject"]]


async def test_quien_puede_ser_mencionado(gente):
    """Only active agents and admins, by their exact username, never the author."""
    soporte, _ana, carla, _dani, _, ticket = gente
    eva = await soporte.usuario("eva", Rol.AGENTE)
    eva.activo = False
    await eva.save()
    await nota(soporte, carla, ticket["id"], "@ana @eva @carla @nadie correo: x@dani.com")
    assert not await Notificacion.filter(tipo="mencion").exists()


async def test_menciones_en_respuestas_publicas(gente):
    """An agent's public reply may mention a colleague (the customer is told of the reply as
    usual); a customer's ``@`` mentions nobody."""
    soporte, ana, carla, dani, _, ticket = gente
    await responder(soporte, carla, ticket["id"], "Le paso con @dani, que lo lleva.")
    assert (await tipos(soporte, dani))[-1] == ("mencion", ticket["id"])
    assert (await tipos(soporte, ana))[-1] == ("respuesta_agente", ticket["id"])
    await responder(soporte, ana, ticket["id"], "Gracias @carla")
    assert ("mencion", ticket["id"]) not in await tipos(soporte, carla)


def test_mencionados():
    assert mencionados("@dani y @jefa.") == ("dani", "jefa.", "jefa")
    assert mencionados("escriba a ana@example.com") == ()
    assert mencionados("(@carla) @@x") == ("carla",)
    assert mencionados("sin nadie") == ()


async def test_un_aviso_de_nota_no_llega_a_un_cliente_aunque_lo_nombren(gente):
    """The guard in ``escribir`` itself: an ``Aviso`` about a note never reaches a customer,
    whatever recipients a (buggy or third-party) rule names."""
    _soporte, ana, _, dani, _, ticket = gente
    aviso = Aviso(
        tipo="mencion",
        titulo="t",
        mensaje="texto de la nota",
        url="/",
        ticket_id=ticket["id"],
        propietario_id=ana.id,
        interna=True,
    )
    escritas = await escribir(aviso, Destinatarios(ids=(ana.id, dani.id)), coalescer=timedelta(0))
    assert [e.persona.id for e in escritas] == [dani.id]


async def test_vista_previa_del_correo_de_mencion(gente):
    soporte, _, _, _, jefa, _ = gente
    r = await soporte.get(f"{BASE}plantillas/mencion/vista-previa/", headers=soporte.auth(jefa))
    assert r.status == 200, await r.text()
    vista = await r.json()
    assert vista["asunto"].startswith("Carla Gómez le mencionó en TK-000123")
    assert "nota interna" in vista["texto"] and vista["html"]
    assert "Reply-To" not in vista["cabeceras"] and "In-Reply-To" not in vista["cabeceras"]
