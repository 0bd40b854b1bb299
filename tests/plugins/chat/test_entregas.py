"""What each chat socket was sent: the filter that sends a reply once, and the gap bookkeeping
that lets the chat replay what a channel-layer gap lost (``plugins.chat.service.Entregas``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

from plugins.chat.service import Entregas, Salas, id_de_mensaje, mensaje_frame
from plugins.tickets.api import Canal, RespuestaVista


def texto_de(respuesta_id: int) -> str:
    """A ``mensaje`` frame exactly as the channel layers serialise it."""
    respuesta = RespuestaVista(
        id=respuesta_id,
        ticket_id=3,
        mensaje="hola ñ",
        canal=Canal.CHAT,
        fecha_creacion=datetime(2026, 11, 26, tzinfo=UTC),
        autor_id=7,
        autor_nombre="Ana",
        autor_rol="AGENTE",
    )
    return json.dumps(mensaje_frame(respuesta), ensure_ascii=False)


def test_the_filter_recognises_mensaje_frames_as_the_layers_write_them() -> None:
    assert id_de_mensaje(texto_de(42)) == 42
    assert id_de_mensaje(json.dumps({"tipo": "typing", "autor": "Ana"})) is None
    assert id_de_mensaje(json.dumps({"tipo": "presencia", "id": 5})) is None
    assert id_de_mensaje('{"tipo": "mensaje", roto') is None


def test_a_reply_passes_the_filter_once_other_frames_always() -> None:
    entregas = Entregas(ticket_id=3)
    assert entregas.aceptar(texto_de(10)) is True
    assert entregas.aceptar(texto_de(10)) is False  # the duplicate is dropped
    assert entregas.registrar(9) is True  # an older one still passes (replayed out of order)
    assert entregas.ultimo == 10
    typing = json.dumps({"tipo": "typing", "escribiendo": True})
    assert entregas.aceptar(typing) and entregas.aceptar(typing)


def test_a_gap_starts_at_the_last_reply_sent_when_it_opened() -> None:
    entregas = Entregas(ticket_id=3, ultimo=5)
    entregas.abrir_hueco()
    entregas.registrar(8)  # delivered locally during the gap
    entregas.abrir_hueco()  # a second loss before the replay keeps the first start
    assert entregas.hueco_desde == 5


def test_rooms_know_which_sockets_have_a_gap() -> None:
    salas = Salas()
    usuario = SimpleNamespace(id=1, nombre_visible="Ana", rol="CLIENTE")
    ws1, ws2, ws3 = object(), object(), object()
    e1 = salas.entrar(1, ws1, usuario)  # type: ignore[arg-type]  # stand-ins
    salas.entrar(1, ws2, usuario)  # type: ignore[arg-type]  # stand-ins
    e3 = salas.entrar(2, ws3, usuario)  # type: ignore[arg-type]  # stand-ins
    assert salas.entrar(1, ws1, usuario) is e1  # type: ignore[arg-type]  # stand-ins
    assert salas.con_hueco() == {}
    e1.ultimo, e3.ultimo = 4, 9
    salas.abrir_hueco()
    huecos = salas.con_hueco()
    assert sorted(huecos) == [1, 2]
    assert [e.hueco_desde for _, e in huecos[1]] == [4, 0]
    assert huecos[2] == [(ws3, e3)]
    salas.salir(2, ws3)  # type: ignore[arg-type]  # stand-ins
    assert sorted(salas.con_hueco()) == [1]
