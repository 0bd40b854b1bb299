"""Internal notes across processes: two applications on one database and one Redis. A note
written in one process reaches the staff sockets of the other (``grupo_personal``) and never
its customer's socket."""

from __future__ import annotations

from typing import Any

from core.auth.models import Rol
from tests.scaleout.test_chat_redis import arrancar, conectar, crear_ticket, ningun_mensaje

__all__ = ["arrancar"]  # the fixture, imported for this module's tests

NOTA = "Nota para el equipo: no prometer fecha"


async def nota(api: Any, usuario: Any, ticket_id: int) -> int:
    r = await api.post(
        f"/api/soporte/tickets/{ticket_id}/responder/",
        headers=api.auth(usuario),
        json={"mensaje": NOTA, "interna": True},
    )
    assert r.status == 201, await r.text()
    return int((await r.json())["id"])


async def test_a_note_reaches_the_other_process_agents_never_its_customer(arrancar):
    uno, dos = await arrancar(), await arrancar()
    cliente = await uno.usuario("lucia")
    carla = await uno.usuario("carla", Rol.AGENTE)
    dani = await uno.usuario("dani", Rol.AGENTE)
    ticket = await crear_ticket(uno, cliente)
    ws_cliente = await conectar(dos, ticket, cliente, historial=0)
    ws_dani = await conectar(dos, ticket, dani, historial=0)
    ws_carla = await conectar(uno, ticket, carla, historial=0)

    por_rest = await nota(uno, carla, ticket)
    await ws_carla.send_json({"tipo": "mensaje", "mensaje": NOTA, "interna": True})
    for api, ws in ((dos, ws_dani), (uno, ws_carla)):
        frames = [await api.recibir(ws, "mensaje", 10.0) for _ in range(2)]
        assert [f["interna"] for f in frames] == [True, True]
        assert frames[0]["id"] == por_rest and frames[1]["canal"] == "CHAT"

    # A public reply after the notes, from process 1, is the customer's first message frame
    # in process 2: the notes never reached it (Redis keeps the order of one publisher).
    r = await uno.post(
        f"/api/soporte/tickets/{ticket}/responder/",
        headers=uno.auth(carla),
        json={"mensaje": "Hola Lucía"},
    )
    publica = int((await r.json())["id"])
    frame = await dos.recibir(ws_cliente, "mensaje", 10.0)
    assert (frame["id"], frame["interna"]) == (publica, False)
    assert (await dos.recibir(ws_dani, "mensaje", 10.0))["id"] == publica
    await ningun_mensaje(ws_cliente)
    for ws in (ws_cliente, ws_dani, ws_carla):
        await ws.close()
