"""The guide's sections 1.1–1.4, call for call, from another origin as a browser would."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.auth.models import Rol
from tests.plugins.tickets.conftest import formulario

pytestmark = pytest.mark.plugins("tickets")

ORIGEN = "http://frontend.test"  # allowed by the test settings


async def test_recorrido_de_la_guia(soporte):
    lucia = await soporte.usuario("lucia", nombre="Lucía")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla")
    token = lucia.token
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Origin": ORIGEN,
    }
    # The browser preflights every call (it sends Content-Type: application/json).
    r = await soporte.options(
        "/api/soporte/tickets/",
        headers={
            "Origin": ORIGEN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == ORIGEN

    # 1.1 crearTicket(nuevoTicket)
    datos = {
        "asunto": "Problema con el pago de mi reserva",
        "categoria": "PAGOS",
        "prioridad": "ALTA",
        "descripcion": "No puedo completar el pago de mi reserva #123",
        "reservaId": 123,
    }
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=headers,
        json={
            "asunto": datos["asunto"],
            "categoria": datos["categoria"],
            "prioridad": datos["prioridad"],
            "descripcion": datos["descripcion"],
            "archivos_adjuntos": datos.get("archivos") or [],
            "reserva_relacionada": datos.get("reservaId") or None,
        },
    )
    assert r.ok and r.headers["Access-Control-Allow-Origin"] == ORIGEN
    ticket = await r.json()

    # 1.2 obtenerMisTickets(filtros) with a state and a date chosen.
    hoy = ticket["fecha_creacion"][:10]
    r = await soporte.get(
        "/api/soporte/mis-tickets/?page=1&size=10&estado=ABIERTO&categoria="
        f"&fecha_desde={hoy}&fecha_hasta={hoy}",
        headers=headers,
    )
    assert r.ok
    data = await r.json()
    [tarjeta] = data["results"]
    assert (
        f"#{tarjeta['numero']} - {tarjeta['asunto']}"
        == f"#TK-{ticket['id']:06d} - " + (datos["asunto"])
    )
    assert tarjeta["estado"].lower() == "abierto"
    assert tarjeta["categoria"] and tarjeta["prioridad"] and tarjeta["descripcion"]
    datetime.fromisoformat(tarjeta["fecha_creacion"])

    # 1.4 responderTicket(ticketId, mensaje, archivos): FormData, only Authorization.
    for autor, mensaje in ((carla, "Estamos revisando el pago"), (lucia, "Adjunto el recibo")):
        archivos = {
            "archivo_0": ("recibo.pdf", b"%PDF recibo", "application/pdf"),
            "archivo_1": ("captura.png", b"\x89PNG", "image/png"),
        }
        r = await soporte.post(
            f"/api/soporte/tickets/{ticket['id']}/responder/",
            headers={"Authorization": f"Bearer {autor.token}", "Origin": ORIGEN},
            data=formulario({"mensaje": mensaje}, archivos),
        )
        assert r.ok, await r.text()

    # 1.3 obtenerDetalleTicket(ticketId) and what DetalleTicket renders.
    r = await soporte.get(f"/api/soporte/tickets/{ticket['id']}/", headers=headers)
    assert r.ok
    t = await r.json()
    assert t["estado"].lower() == "en_progreso" and t["prioridad"].lower() == "alta"
    assert t["categoria"] == "PAGOS"
    datetime.fromisoformat(t["fecha_creacion"])
    datetime.fromisoformat(t["fecha_actualizacion"])
    assert t["reserva_relacionada"]["id"] == 123
    assert t["archivos_adjuntos"] == []
    respuestas = t["respuestas"] or []
    assert [r["autor"]["nombre"] for r in respuestas] == ["Carla", "Lucía"]
    for respuesta in respuestas:
        datetime.fromisoformat(respuesta["fecha_creacion"])
        assert respuesta["mensaje"]
        assert [a["nombre"] for a in respuesta["archivos_adjuntos"]] == [
            "recibo.pdf",
            "captura.png",
        ]
        # <a href={archivo.url} target="_blank">: no Authorization header.
        for archivo in respuesta["archivos_adjuntos"]:
            descarga = await soporte.session.get(archivo["url"])
            assert descarga.status == 200
            assert descarga.headers["Content-Disposition"].startswith("attachment")
