"""The stale-reply 409 of ``/responder/``: ``ultima_respuesta_id`` and ``forzar`` (issue 17)."""

from __future__ import annotations

import asyncio

import pytest

from core.auth.models import Rol
from plugins.tickets.models import Respuesta
from tests.plugins.tickets.conftest import bearer, crear, formulario

pytestmark = pytest.mark.plugins("tickets")


@pytest.fixture
async def gente(soporte):
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    pedro = await soporte.usuario("pedro", Rol.AGENTE, nombre="Pedro Gil")
    ticket = await crear(soporte, lucia)
    return soporte, lucia, carla, pedro, ticket["id"]


async def _responder(soporte, usuario, ticket_id, mensaje, **campos):
    return await soporte.post(
        f"/api/soporte/tickets/{ticket_id}/responder/",
        headers=soporte.auth(usuario),
        json={"mensaje": mensaje, **campos},
    )


async def _id(r) -> int:
    assert r.status == 201, await r.text()
    return (await r.json())["id"]


async def test_una_respuesta_publica_mas_nueva_de_otro_es_409(gente):
    soporte, lucia, carla, pedro, ticket_id = gente
    vista = await _id(await _responder(soporte, lucia, ticket_id, "¿Hay novedades?"))
    nueva = await _id(await _responder(soporte, pedro, ticket_id, "Ya está resuelto"))
    r = await _responder(soporte, carla, ticket_id, "Lo miro", ultima_respuesta_id=vista)
    assert r.status == 409
    assert r.content_type == "application/problem+json"
    problema = await r.json()
    assert problema["ultima_respuesta_id"] == nueva
    assert problema["detail"].startswith("Hay una respuesta más reciente")
    # Refused means nothing was stored.
    assert await Respuesta.filter(ticket_id=ticket_id, autor_id=carla.id).count() == 0


async def test_el_409_nombra_la_mas_nueva_de_varias(gente):
    soporte, lucia, carla, pedro, ticket_id = gente
    await _id(await _responder(soporte, pedro, ticket_id, "primera"))
    ultima = await _id(await _responder(soporte, lucia, ticket_id, "segunda"))
    r = await _responder(soporte, carla, ticket_id, "Lo miro", ultima_respuesta_id=0)
    assert r.status == 409
    assert (await r.json())["ultima_respuesta_id"] == ultima


async def test_forzar_envia_de_todos_modos(gente):
    soporte, lucia, carla, pedro, ticket_id = gente
    vista = await _id(await _responder(soporte, lucia, ticket_id, "¿Hay novedades?"))
    await _id(await _responder(soporte, pedro, ticket_id, "Ya está resuelto"))
    r = await _responder(
        soporte, carla, ticket_id, "Lo miro", ultima_respuesta_id=vista, forzar=True
    )
    assert r.status == 201, await r.text()


async def test_al_dia_se_acepta(gente):
    soporte, lucia, carla, _, ticket_id = gente
    vista = await _id(await _responder(soporte, lucia, ticket_id, "¿Hay novedades?"))
    r = await _responder(soporte, carla, ticket_id, "Lo miro", ultima_respuesta_id=vista)
    assert r.status == 201, await r.text()


async def test_sin_ultima_respuesta_id_no_se_comprueba(gente):
    """The guide never sends the field: its replies are never refused."""
    soporte, _, carla, pedro, ticket_id = gente
    await _id(await _responder(soporte, pedro, ticket_id, "Ya está resuelto"))
    assert (await _responder(soporte, carla, ticket_id, "Lo miro")).status == 201
    assert (
        await _responder(soporte, carla, ticket_id, "otra", ultima_respuesta_id=None)
    ).status == 201


async def test_las_propias_no_cuentan(gente):
    soporte, lucia, carla, _, ticket_id = gente
    vista = await _id(await _responder(soporte, lucia, ticket_id, "¿Hay novedades?"))
    await _id(await _responder(soporte, carla, ticket_id, "Lo miro"))
    r = await _responder(soporte, carla, ticket_id, "Y otra cosa", ultima_respuesta_id=vista)
    assert r.status == 201, await r.text()


async def test_las_notas_internas_no_cuentan(gente):
    """A note tells the customer nothing: answering past one is not answering stale."""
    soporte, lucia, carla, pedro, ticket_id = gente
    vista = await _id(await _responder(soporte, lucia, ticket_id, "¿Hay novedades?"))
    await Respuesta.create(ticket_id=ticket_id, autor=pedro, mensaje="nota", interna=True)
    r = await _responder(soporte, carla, ticket_id, "Lo miro", ultima_respuesta_id=vista)
    assert r.status == 201, await r.text()


async def test_el_cliente_tambien_recibe_el_409(gente):
    soporte, lucia, carla, _, ticket_id = gente
    nueva = await _id(await _responder(soporte, carla, ticket_id, "Ya está resuelto"))
    r = await _responder(soporte, lucia, ticket_id, "Sigue igual", ultima_respuesta_id=0)
    assert r.status == 409
    assert (await r.json())["ultima_respuesta_id"] == nueva


async def test_formulario_multipart(gente):
    """The console may send the fields as form data: ``forzar=true``, an empty id is absent."""
    soporte, lucia, carla, pedro, ticket_id = gente
    vista = await _id(await _responder(soporte, lucia, ticket_id, "¿Hay novedades?"))
    nueva = await _id(await _responder(soporte, pedro, ticket_id, "Ya está resuelto"))
    url = f"/api/soporte/tickets/{ticket_id}/responder/"
    campos = {"mensaje": "Lo miro", "ultima_respuesta_id": str(vista)}
    r = await soporte.post(url, headers=bearer(carla), data=formulario(campos, {}))
    assert r.status == 409
    assert (await r.json())["ultima_respuesta_id"] == nueva
    r = await soporte.post(
        url, headers=bearer(carla), data=formulario({**campos, "forzar": "true"}, {})
    )
    assert r.status == 201, await r.text()
    vacio = {"mensaje": "Otra", "ultima_respuesta_id": ""}
    r = await soporte.post(url, headers=bearer(carla), data=formulario(vacio, {}))
    assert r.status == 201, await r.text()


async def test_ids_invalidos_son_400(gente):
    soporte, _, carla, _, ticket_id = gente
    for valor in (-1, "x", 2**31):
        r = await _responder(soporte, carla, ticket_id, "Lo miro", ultima_respuesta_id=valor)
        assert r.status == 400, valor
        assert "ultima_respuesta_id" in (await r.json())["errors"]


async def test_dos_agentes_a_la_vez_solo_uno_pasa(gente):
    """Both loaded the same page and answer at once: the ticket's lock lets exactly one in."""
    soporte, lucia, carla, pedro, ticket_id = gente
    vista = await _id(await _responder(soporte, lucia, ticket_id, "¿Hay novedades?"))
    a, b = await asyncio.gather(
        _responder(soporte, carla, ticket_id, "Carla", ultima_respuesta_id=vista),
        _responder(soporte, pedro, ticket_id, "Pedro", ultima_respuesta_id=vista),
    )
    assert sorted([a.status, b.status]) == [201, 409]


async def test_una_nota_no_se_comprueba(gente):
    """A note tells the customer nothing: sending one past a newer reply is never refused."""
    soporte, lucia, carla, _, ticket_id = gente
    await _id(await _responder(soporte, lucia, ticket_id, "¿Hay novedades?"))
    r = await _responder(soporte, carla, ticket_id, "nota", ultima_respuesta_id=0, interna=True)
    assert r.status == 201, await r.text()
