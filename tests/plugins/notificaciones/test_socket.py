"""The notification socket: replay, live frames, ``leidas`` across tabs, ``ticket`` frames,
the end of the session, the caps."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import WSMsgType

from core.auth.models import Rol
from core.sessions import CLOSE_UNAUTHENTICATED
from tests.plugins.notificaciones.ayudas import (
    BASE,
    SOCKET,
    cambiar,
    crear_ticket,
    lista,
    responder,
)

pytestmark = pytest.mark.plugins("tickets", "notificaciones")


async def cerrado(ws, espera: float = 5.0) -> int | None:
    """Wait for the server to close ``ws`` (other frames skipped); its close code."""
    async with asyncio.timeout(espera):
        while True:
            msg = await ws.receive()
            if msg.type == WSMsgType.CLOSE:
                return int(msg.data)
            if msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return None


async def test_replay_de_no_leidas_y_luego_en_vivo(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    t1 = await crear_ticket(soporte, ana)
    await responder(soporte, carla, t1["id"], "Primera")
    await responder(soporte, carla, t1["id"], "Segunda")
    ws = await soporte.ws(SOCKET, ana)
    a = await soporte.recibir(ws)
    b = await soporte.recibir(ws)
    assert [a["tipo"], b["tipo"]] == ["notificacion", "notificacion"]
    assert a["notificacion"]["id"] < b["notificacion"]["id"]  # oldest first
    assert set(a["notificacion"]) == {
        "id", "tipo", "titulo", "mensaje", "url", "ticket_id", "leida", "fecha_creacion"
    }  # fmt: skip
    assert await soporte.recibir(ws) == {"tipo": "sincronizado", "no_leidas": 2}

    await responder(soporte, carla, t1["id"], "Tercera")
    nueva = await soporte.recibir(ws, "notificacion")
    assert nueva["notificacion"]["tipo"] == "respuesta_agente"
    assert "Tercera" in nueva["notificacion"]["mensaje"]
    await ws.close()


async def test_el_replay_tiene_como_mucho_50(soporte):
    from plugins.notificaciones.models import Notificacion
    from plugins.notificaciones.service import ahora

    ana = await soporte.usuario("ana")
    await Notificacion.bulk_create(
        [
            Notificacion(
                usuario_id=ana.id,
                tipo="respuesta_agente",
                titulo=f"n{i}",
                mensaje="m",
                url="/",
                fecha_creacion=ahora(),
            )
            for i in range(60)
        ]
    )
    ws = await soporte.ws(SOCKET, ana)
    titulos = []
    while True:
        frame = await soporte.recibir(ws)
        if frame["tipo"] == "sincronizado":
            break
        titulos.append(frame["notificacion"]["titulo"])
    assert titulos == [f"n{i}" for i in range(10, 60)]
    assert frame["no_leidas"] == 60
    await ws.close()


async def test_leer_en_una_pestana_llega_a_las_otras(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    t = await crear_ticket(soporte, ana)
    await responder(soporte, carla, t["id"], "Uno")
    await responder(soporte, carla, t["id"], "Dos")
    ws = await soporte.ws(SOCKET, ana)
    await soporte.recibir(ws, "sincronizado")
    pagina = await lista(soporte, ana)
    assert pagina["no_leidas"] == 2
    primera = pagina["results"][-1]["id"]
    r = await soporte.post(f"{BASE}{primera}/leer/", headers=soporte.auth(ana))
    assert r.status == 204
    assert await soporte.recibir(ws, "leidas") == {
        "tipo": "leidas", "ids": [primera], "no_leidas": 1
    }  # fmt: skip
    r = await soporte.post(f"{BASE}leer-todas/", headers=soporte.auth(ana))
    assert r.status == 204
    assert await soporte.recibir(ws, "leidas") == {"tipo": "leidas", "ids": "todas", "no_leidas": 0}
    assert (await lista(soporte, ana, no_leidas="true"))["count"] == 0
    await ws.close()


async def test_leer_la_de_otro_es_404(soporte):
    ana = await soporte.usuario("ana")
    beto = await soporte.usuario("beto")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    t = await crear_ticket(soporte, ana)
    await responder(soporte, carla, t["id"], "Uno")
    (nota,) = (await lista(soporte, ana))["results"]
    r = await soporte.post(f"{BASE}{nota['id']}/leer/", headers=soporte.auth(beto))
    assert r.status == 404
    r = await soporte.post(f"{BASE}1999999999/leer/", headers=soporte.auth(beto))
    assert r.status == 404
    assert (await lista(soporte, ana))["no_leidas"] == 1


async def test_frames_de_ticket_para_su_cliente_y_los_agentes(soporte):
    ana = await soporte.usuario("ana")
    beto = await soporte.usuario("beto")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ws_ana = await soporte.ws(SOCKET, ana)
    ws_beto = await soporte.ws(SOCKET, beto)
    ws_carla = await soporte.ws(SOCKET, carla)
    for ws in (ws_ana, ws_beto, ws_carla):
        await soporte.recibir(ws, "sincronizado")
    t = await crear_ticket(soporte, ana)
    creado = {"tipo": "ticket", "evento": "ticket_creado", "ticket_id": t["id"], "cambios": {}}
    assert await soporte.recibir(ws_carla, "ticket") == creado
    assert await soporte.recibir(ws_ana, "ticket") == creado
    await cambiar(soporte, carla, t["id"], prioridad="ALTA")
    cambio = await soporte.recibir(ws_ana, "ticket")
    assert cambio["evento"] == "ticket_actualizado"
    assert cambio["cambios"] == {"prioridad": ["MEDIA", "ALTA"]}
    await responder(soporte, carla, t["id"], "Hola")
    assert (await soporte.recibir(ws_ana, "ticket"))["evento"] == "respuesta_creada"
    # beto heard nothing about ana's ticket: his next frame is the answer to his ping.
    await ws_beto.send_json({"tipo": "ping"})
    assert await soporte.recibir(ws_beto) == {"tipo": "pong"}
    for ws in (ws_ana, ws_beto, ws_carla):
        await ws.close()


async def test_logout_cierra_el_socket_con_4401(soporte):
    ana = await soporte.usuario("ana")
    ws = await soporte.ws(SOCKET, ana)
    await soporte.recibir(ws, "sincronizado")
    r = await soporte.post("/api/auth/logout/", headers=soporte.auth(ana))
    assert r.status in (200, 204)
    assert await cerrado(ws) == CLOSE_UNAUTHENTICATED


async def test_token_malo_4401(soporte):
    ws = await soporte.client.ws_connect(SOCKET, params={"token": "nada"})
    assert await cerrado(ws) == CLOSE_UNAUTHENTICATED


async def test_tope_de_sockets_por_usuario(soporte, monkeypatch):
    from core.keys import SETTINGS

    monkeypatch.setattr(soporte.app[SETTINGS], "max_sockets_per_user", 2)
    ana = await soporte.usuario("ana")
    abiertos = [await soporte.ws(SOCKET, ana) for _ in range(2)]
    for ws in abiertos:
        await soporte.recibir(ws, "sincronizado")
    tercero = await soporte.ws(SOCKET, ana)
    assert await cerrado(tercero) == 4429
    for ws in abiertos:
        await ws.close()
