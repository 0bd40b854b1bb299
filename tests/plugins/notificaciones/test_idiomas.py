"""Notifications in the reader's language: the list, the socket's replay and live frames, and
the mails that quote their texts — whatever the language of whoever caused them."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.models import Rol, Usuario
from plugins.notificaciones.difusion import TEXTOS
from plugins.notificaciones.models import Notificacion
from plugins.notificaciones.service import ahora
from tests.plugins.notificaciones.ayudas import (
    BASE,
    SOCKET,
    cambiar,
    con_correo,
    correos,
    crear_caso,
    crear_ticket,
    lista,
    responder,
)

pytestmark = pytest.mark.plugins("tickets", "notificaciones", "casos")

EN = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def make_app(make_app):
    return con_correo(make_app)


async def idioma(soporte: Any, usuario: Usuario, valor: str | None) -> None:
    """``usuario`` chooses ``valor`` in their profile (``None``: follow the browser)."""
    r = await soporte.patch("/api/auth/yo/", headers=soporte.auth(usuario), json={"idioma": valor})
    assert r.status == 200, await r.text()


async def test_la_lista_sale_en_el_idioma_de_quien_la_lee(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    await idioma(soporte, ana, "en")
    t = await crear_ticket(soporte, ana, asunto="Pago doble", prioridad="ALTA")
    await responder(soporte, carla, t["id"], "Ya lo revisamos")
    await cambiar(soporte, carla, t["id"], estado="RESUELTO")

    ingles = {n["tipo"]: n for n in (await lista(soporte, ana))["results"]}
    numero = t["numero"]
    assert ingles["respuesta_agente"]["titulo"] == f"New reply on {numero}"
    assert ingles["respuesta_agente"]["mensaje"] == "Carla: Ya lo revisamos"  # user data as is
    assert ingles["estado_cambiado"]["titulo"] == f"{numero}: resolved"
    assert ingles["estado_cambiado"]["mensaje"] == (
        "Your ticket “Pago doble” is resolved. Rate the support you received."
    )
    # The agent who wrote them reads Spanish: the new ticket as the rule wrote it for agents.
    nuevo = (await lista(soporte, carla))["results"][0]
    assert nuevo["titulo"] == f"Nuevo ticket {numero}"
    assert nuevo["mensaje"] == "Ana: «Pago doble» (prioridad Alta)."

    # A change of language is a change of what the same rows read.
    await idioma(soporte, ana, "es")
    espanol = {n["tipo"]: n for n in (await lista(soporte, ana))["results"]}
    assert espanol["respuesta_agente"]["titulo"] == f"Nueva respuesta en {numero}"
    assert espanol["estado_cambiado"]["mensaje"] == (
        "Su ticket «Pago doble» está resuelto. Valore la atención recibida."
    )
    assert {n["id"] for n in espanol.values()} == {n["id"] for n in ingles.values()}


async def test_sin_idioma_en_el_perfil_manda_el_navegador(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    t = await crear_ticket(soporte, ana, prioridad="BAJA")
    for cabeceras, titulo, mensaje in (
        (EN, f"New ticket {t['numero']}", "Ana: “No puedo pagar” (priority Low)."),
        (
            {"Accept-Language": "es"},
            f"Nuevo ticket {t['numero']}",
            "Ana: «No puedo pagar» (prioridad Baja).",
        ),
    ):
        r = await soporte.get(BASE, headers={**soporte.auth(carla), **cabeceras})
        assert r.status == 200
        [n] = (await r.json())["results"]
        assert (n["titulo"], n["mensaje"]) == (titulo, mensaje)


async def test_una_fila_sin_textos_se_muestra_como_se_guardo(soporte):
    ana = await soporte.usuario("ana")
    await idioma(soporte, ana, "en")
    await Notificacion.create(
        usuario_id=ana.id,
        tipo="respuesta_agente",
        titulo="Aviso antiguo",
        mensaje="Escrito antes de los textos",
        url="/",
        fecha_creacion=ahora(),
    )
    [n] = (await lista(soporte, ana))["results"]
    assert (n["titulo"], n["mensaje"]) == ("Aviso antiguo", "Escrito antes de los textos")


async def test_la_fila_guarda_el_texto_en_espanol_y_sus_ids(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    await idioma(soporte, carla, "en")
    t = await crear_ticket(soporte, ana)
    # An English actor: the stored strings stay Spanish (what SQL reports read).
    r = await soporte.post(
        f"/api/soporte/tickets/{t['id']}/responder/",
        json={"mensaje": "Hi"},
        headers={**soporte.auth(carla), **EN},
    )
    assert r.status == 201
    fila = await Notificacion.get(usuario_id=ana.id, tipo="respuesta_agente")
    assert fila.titulo == f"Nueva respuesta en {t['numero']}"
    assert fila.textos["titulo"] == {
        "id": "Nueva respuesta en {numero}",
        "v": {"numero": t["numero"]},
    }


async def test_el_socket_repite_y_envia_en_el_idioma_del_perfil(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    await idioma(soporte, ana, "en")
    t = await crear_ticket(soporte, ana)
    await responder(soporte, carla, t["id"], "Primera")
    ws = await soporte.ws(SOCKET, ana)
    repetida = await soporte.recibir(ws, "notificacion")
    assert repetida["notificacion"]["titulo"] == f"New reply on {t['numero']}"
    await soporte.recibir(ws, "sincronizado")

    await cambiar(soporte, carla, t["id"], estado="RESUELTO")
    en_vivo = await soporte.recibir(ws, "notificacion")
    assert en_vivo["notificacion"]["titulo"] == f"{t['numero']}: resolved"
    assert TEXTOS not in en_vivo  # the texts' ids ride the channel layer, never the socket
    assert set(en_vivo) == {"tipo", "notificacion"}
    await ws.close()


async def test_cada_socket_en_su_idioma(soporte):
    """Two tabs of a user who follows the browser: each reads the live frame in its own
    upgrade request's language, the agent who caused it in theirs."""
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    t = await crear_ticket(soporte, ana)
    ingles = await soporte.client.ws_connect(SOCKET, params={"token": ana.token}, headers=EN)
    espanol = await soporte.client.ws_connect(
        SOCKET, params={"token": ana.token}, headers={"Accept-Language": "es"}
    )
    await soporte.recibir(ingles, "sincronizado")
    await soporte.recibir(espanol, "sincronizado")
    r = await soporte.post(
        f"/api/soporte/tickets/{t['id']}/responder/",
        json={"mensaje": "Hola"},
        headers={**soporte.auth(carla), **EN},
    )
    assert r.status == 201
    a = await soporte.recibir(ingles, "notificacion")
    b = await soporte.recibir(espanol, "notificacion")
    assert a["notificacion"]["id"] == b["notificacion"]["id"]
    assert a["notificacion"]["titulo"] == f"New reply on {t['numero']}"
    assert b["notificacion"]["titulo"] == f"Nueva respuesta en {t['numero']}"
    await ingles.close()
    await espanol.close()


async def test_el_error_del_socket_en_su_idioma(soporte):
    ana = await soporte.usuario("ana")
    ws = await soporte.client.ws_connect(SOCKET, params={"token": ana.token}, headers=EN)
    await soporte.recibir(ws, "sincronizado")
    await ws.send_str('{"tipo": "otro"}')
    error = await soporte.recibir(ws, "error")
    assert error["detalle"] == "This socket only accepts ping frames."
    await ws.close()


async def test_caso_nuevo_en_ingles_con_etiquetas(soporte):
    carla = await soporte.usuario("carla", Rol.AGENTE)
    pedro = await soporte.usuario("pedro", Rol.AGENTE)
    await idioma(soporte, pedro, "en")
    caso = await crear_caso(soporte, carla, tipo_caso="INCIDENTE", impacto_estimado="MASIVO")
    numero = caso["numero"]
    [n] = (await lista(soporte, pedro))["results"]
    assert n["titulo"] == f"New case {numero}"
    assert n["mensaje"] == "Incident, urgency high, impact widespread."


async def test_el_correo_cita_los_textos_en_el_idioma_de_quien_lo_recibe(soporte):
    """A mail that quotes the notification's texts (a case's change, where a mention was made)
    quotes them in its recipient's language, not the actor's."""
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    dani = await soporte.usuario("dani", Rol.AGENTE)
    await idioma(soporte, ana, "en")
    await idioma(soporte, dani, "en")
    t = await crear_ticket(soporte, ana)
    r = await soporte.post(
        f"/api/soporte/tickets/{t['id']}/responder/",
        json={"mensaje": "@dani mira esto", "interna": True},
        headers={**soporte.auth(carla), "Accept-Language": "es"},
    )
    assert r.status == 201, await r.text()
    [mencion] = await correos("dani@example.test")
    assert (
        f"Carla Ruiz mentioned you in an internal note of ticket {t['numero']}" in (mencion["text"])
    )

    caso = await crear_caso(soporte, ana)
    r = await soporte.patch(
        f"/api/soporte/casos/{caso['id']}/",
        json={"estado": "EN_INVESTIGACION"},
        headers=soporte.auth(carla),
    )
    assert r.status == 200, await r.text()
    [cambio] = [c for c in await correos("ana@example.test") if caso["numero"] in c["text"]]
    assert (
        f"Your case {caso['numero']} changed. Now: status under investigation." in (cambio["text"])
    )


def test_los_textos_de_un_aviso_se_guardan_una_vez_por_evento(monkeypatch):
    """An event told to many people is one :class:`Aviso` with an :class:`Escrita` each: the
    stored form of its texts is made once for them all (it was once per recipient), and each
    recipient's frame carries the same texts."""
    from datetime import UTC, datetime

    from core.i18n import N_
    from plugins.notificaciones import service
    from plugins.notificaciones.textos import Texto

    hechas: list[int] = []
    original = service.guardar

    def contando(titulo, mensaje):  # type: ignore[no-untyped-def]
        hechas.append(1)
        return original(titulo, mensaje)

    monkeypatch.setattr(service, "guardar", contando)
    aviso = service.Aviso(
        tipo="ticket_nuevo",
        titulo=Texto(N_("Nuevo ticket {numero}"), {"numero": "TK-000001"}),
        mensaje="Ana: «Factura»",
        url="/agente/tickets/1/",
    )
    escritas = [
        service.Escrita(
            i,
            service.Persona(i, f"Agente {i}", f"a{i}@example.test", True),
            aviso,
            True,
            False,
            datetime.now(UTC),
        )
        for i in range(5)
    ]
    textos = [e.textos for e in escritas]
    assert textos[0] is not None and textos[0]["titulo"]
    assert all(t == textos[0] for t in textos)
    assert len(hechas) == 1
