"""Who is viewing and who is typing, on one process (issue 17, collision): ``viendo`` frames to
staff sockets only, and typing of an internal note told to the staff group only."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from core.auth.models import Rol
from tests.plugins.chat.test_chat import conectar, crear_ticket

pytestmark = pytest.mark.plugins("tickets", "chat")


def ids(frame: dict[str, Any]) -> list[int]:
    return sorted(u["id"] for u in frame["usuarios"])


async def frames(ws: Any, espera: float = 0.3) -> list[dict[str, Any]]:
    """Every frame that arrives within ``espera`` seconds."""
    recibidos: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(espera):
            while True:
                msg = await ws.receive()
                if msg.type.name != "TEXT":
                    break
                recibidos.append(json.loads(msg.data))
    except TimeoutError:
        pass
    return recibidos


@pytest.fixture
async def gente(soporte):
    lucia = await soporte.usuario("lucia", nombre="Lucía")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla")
    pedro = await soporte.usuario("pedro", Rol.ADMIN, nombre="Pedro")
    ticket = await crear_ticket(soporte, lucia)
    return soporte, lucia, carla, pedro, ticket["id"]


async def test_un_agente_recibe_quien_esta_viendo_al_entrar(gente):
    soporte, lucia, carla, _, ticket_id = gente
    await conectar(soporte, ticket_id, lucia, viendo="true")
    ws = await conectar(soporte, ticket_id, carla, viendo="true")
    viendo = await soporte.recibir(ws, "viendo")
    assert viendo["ticket_id"] == ticket_id
    assert ids(viendo) == sorted([lucia.id, carla.id])  # the customer, and the caller
    assert {"id": lucia.id, "nombre": "Lucía", "rol": "CLIENTE"} in viendo["usuarios"]


async def test_entradas_y_salidas_actualizan_la_lista(gente):
    soporte, lucia, carla, pedro, ticket_id = gente
    ws_carla = await conectar(soporte, ticket_id, carla, viendo="true")
    assert ids(await soporte.recibir(ws_carla, "viendo")) == [carla.id]
    ws_pedro = await conectar(soporte, ticket_id, pedro, viendo="true")
    assert ids(await soporte.recibir(ws_carla, "viendo")) == sorted([carla.id, pedro.id])
    assert ids(await soporte.recibir(ws_pedro, "viendo")) == sorted([carla.id, pedro.id])
    ws_lucia = await conectar(soporte, ticket_id, lucia, viendo="true")
    assert lucia.id in ids(await soporte.recibir(ws_carla, "viendo"))
    await ws_lucia.close()
    assert ids(await soporte.recibir(ws_carla, "viendo")) == sorted([carla.id, pedro.id])
    await ws_pedro.close()
    assert ids(await soporte.recibir(ws_carla, "viendo")) == [carla.id]


async def test_dos_pestanas_del_mismo_usuario_cuentan_una_vez(gente):
    soporte, _, carla, pedro, ticket_id = gente
    ws_carla = await conectar(soporte, ticket_id, carla, viendo="true")
    await soporte.recibir(ws_carla, "viendo")
    una = await conectar(soporte, ticket_id, pedro, viendo="true")
    assert ids(await soporte.recibir(ws_carla, "viendo")) == sorted([carla.id, pedro.id])
    otra = await conectar(soporte, ticket_id, pedro, viendo="true")
    assert ids(await soporte.recibir(ws_carla, "viendo")) == sorted([carla.id, pedro.id])
    await una.close()  # Pedro still has a tab open: still viewing
    assert ids(await soporte.recibir(ws_carla, "viendo")) == sorted([carla.id, pedro.id])
    await otra.close()
    assert ids(await soporte.recibir(ws_carla, "viendo")) == [carla.id]


async def test_otro_ticket_no_se_entera(gente):
    soporte, lucia, carla, pedro, ticket_id = gente
    otro = (await crear_ticket(soporte, lucia, "Otro"))["id"]
    ws_carla = await conectar(soporte, ticket_id, carla, viendo="true")
    await soporte.recibir(ws_carla, "viendo")
    await conectar(soporte, otro, pedro, viendo="true")
    assert [f for f in await frames(ws_carla) if f["tipo"] == "viendo"] == []


async def test_el_cliente_nunca_recibe_viendo(gente):
    """What customers see of viewers is unchanged: presencia, never ``viendo``."""
    soporte, lucia, carla, pedro, ticket_id = gente
    ws_lucia = await conectar(soporte, ticket_id, lucia, viendo="true")
    ws_carla = await conectar(soporte, ticket_id, carla, viendo="true")
    ws_pedro = await conectar(soporte, ticket_id, pedro, viendo="true")
    await ws_carla.close()
    await soporte.recibir(ws_pedro, "viendo")
    recibidos = await frames(ws_lucia)
    assert "presencia" in {f["tipo"] for f in recibidos}
    assert "viendo" not in {f["tipo"] for f in recibidos}


async def test_escribir_una_respuesta_publica_lo_ve_tambien_el_cliente(gente):
    soporte, lucia, carla, pedro, ticket_id = gente
    ws_lucia = await conectar(soporte, ticket_id, lucia, viendo="true")
    ws_carla = await conectar(soporte, ticket_id, carla, viendo="true")
    ws_pedro = await conectar(soporte, ticket_id, pedro, viendo="true")
    await ws_carla.send_json({"tipo": "typing", "escribiendo": True})
    esperado = {
        "tipo": "typing",
        "autor": "Carla",
        "autor_id": carla.id,
        "escribiendo": True,
        "interna": False,
    }
    assert await soporte.recibir(ws_pedro, "typing") == esperado
    assert await soporte.recibir(ws_lucia, "typing") == esperado


async def test_escribir_una_nota_solo_lo_ve_el_personal(gente):
    soporte, lucia, carla, pedro, ticket_id = gente
    ws_lucia = await conectar(soporte, ticket_id, lucia, viendo="true")
    ws_carla = await conectar(soporte, ticket_id, carla, viendo="true")
    ws_pedro = await conectar(soporte, ticket_id, pedro, viendo="true")
    await ws_carla.send_json({"tipo": "typing", "escribiendo": True, "interna": True})
    frame = await soporte.recibir(ws_pedro, "typing")
    assert frame["interna"] is True and frame["autor_id"] == carla.id
    await ws_carla.send_json({"tipo": "typing", "escribiendo": False, "interna": True})
    assert (await soporte.recibir(ws_pedro, "typing"))["escribiendo"] is False
    assert "typing" not in {f["tipo"] for f in await frames(ws_lucia)}
    # Not echoed to the typist either.
    assert "typing" not in {f["tipo"] for f in await frames(ws_carla, 0.1)}


async def test_un_cliente_no_puede_escribir_notas(gente):
    soporte, lucia, carla, _, ticket_id = gente
    ws_lucia = await conectar(soporte, ticket_id, lucia, viendo="true")
    ws_carla = await conectar(soporte, ticket_id, carla, viendo="true")
    await ws_lucia.send_json({"tipo": "typing", "escribiendo": True, "interna": True})
    error = await soporte.recibir(ws_lucia, "error")
    assert error["codigo"] == "prohibido"
    assert "typing" not in {f["tipo"] for f in await frames(ws_carla)}
    await ws_lucia.send_json({"tipo": "typing", "escribiendo": True, "interna": "quizá"})
    assert (await soporte.recibir(ws_lucia, "error"))["codigo"] == "typing_invalido"


async def test_sin_pedirlo_no_llega_viendo(gente):
    """The guide's sockets (no ``?viendo=true``) get no new frame — they still count as viewers."""
    soporte, _, carla, pedro, ticket_id = gente
    ws_guia = await conectar(soporte, ticket_id, carla)
    ws_consola = await conectar(soporte, ticket_id, pedro, viendo="true")
    assert ids(await soporte.recibir(ws_consola, "viendo")) == sorted([carla.id, pedro.id])
    await ws_consola.close()
    assert "viendo" not in {f["tipo"] for f in await frames(ws_guia)}
