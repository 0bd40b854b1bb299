"""``POST /api/soporte/faqs/{id}/valorar/``: one vote per user and FAQ, also under concurrency."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.exceptions import IntegrityError

from core.auth.models import Rol
from plugins.faq import service
from plugins.faq.models import FAQ, VotoFAQ
from tests.plugins.faq.ayudas import GUIA, URL

pytestmark = pytest.mark.plugins("faq")


async def _valorar(soporte, usuario, faq_id, es_util):
    return await soporte.post(
        f"{URL}{faq_id}/valorar/", json={"es_util": es_util}, headers=soporte.auth(usuario)
    )


async def _cuenta(faq_id):
    faq = await FAQ.get(id=faq_id)
    return faq.valoraciones_positivas, faq.valoraciones_negativas


async def test_guide_call_votes_and_returns_fresh_counts(soporte, crear_faq):
    faq = await crear_faq("¿Útil?")
    cliente = await soporte.usuario("lucia", Rol.CLIENTE)
    # As valorarFAQ sends it: the guide's headers and JSON.stringify({es_util}).
    r = await soporte.post(
        f"/api/soporte/faqs/{faq['id']}/valorar/",
        data='{"es_util":true}',
        headers=soporte.auth(cliente),
    )
    assert r.status == 200, await r.text()
    data = await r.json()
    assert data["id"] == faq["id"] and data["pregunta"] == "¿Útil?"
    assert (data["valoraciones_positivas"], data["valoraciones_negativas"]) == (1, 0)
    r = await soporte.get(f"{URL}{faq['id']}/", headers=GUIA)
    assert (await r.json())["valoraciones_positivas"] == 1


async def test_repeat_and_change_of_vote(soporte, crear_faq):
    faq = await crear_faq()
    ana = await soporte.usuario("ana", Rol.CLIENTE)
    pasos = [(True, (1, 0)), (True, (1, 0)), (False, (0, 1)), (False, (0, 1)), (True, (1, 0))]
    for es_util, esperado in pasos:
        r = await _valorar(soporte, ana, faq["id"], es_util)
        assert r.status == 200
        data = await r.json()
        assert (data["valoraciones_positivas"], data["valoraciones_negativas"]) == esperado
    assert await VotoFAQ.filter(faq_id=faq["id"]).count() == 1
    assert await service.voto_de(faq["id"], ana.id) is True
    voto = await VotoFAQ.get(faq_id=faq["id"], usuario_id=ana.id)
    assert voto.fecha.tzinfo is not None


async def test_votes_of_different_users_add_up(soporte, crear_faq):
    faq = await crear_faq()
    otra = await crear_faq("Otra")
    usuarios = [await soporte.usuario(f"u{i}", rol) for i, rol in enumerate(Rol)]
    for usuario, es_util in zip(usuarios, (True, True, False), strict=True):
        assert (await _valorar(soporte, usuario, faq["id"], es_util)).status == 200
    assert await _cuenta(faq["id"]) == (2, 1)
    assert await _cuenta(otra["id"]) == (0, 0)


async def test_voting_needs_a_token(soporte, crear_faq):
    faq = await crear_faq()
    url = f"{URL}{faq['id']}/valorar/"
    r = await soporte.post(url, json={"es_util": True}, headers=GUIA)
    assert r.status == 401
    r = await soporte.post(
        url, json={"es_util": True}, headers={"Authorization": "Bearer null", **GUIA}
    )
    assert r.status == 401
    assert await _cuenta(faq["id"]) == (0, 0)


@pytest.mark.parametrize(
    "data", ["{}", '{"es_util": null}', '{"es_util": "quizás"}', '{"es_util": [1]}', "{roto", "[]"]
)
async def test_bad_vote_body_is_400(soporte, crear_faq, data):
    faq = await crear_faq()
    ana = await soporte.usuario("ana")
    r = await soporte.post(f"{URL}{faq['id']}/valorar/", data=data, headers=soporte.auth(ana))
    assert r.status == 400, await r.text()
    assert await _cuenta(faq["id"]) == (0, 0)


async def test_vote_on_unknown_or_inactive_faq(soporte, crear_faq, admin):
    oculta = await crear_faq("Oculta", activa=False)
    ana = await soporte.usuario("ana", Rol.CLIENTE)
    agente = await soporte.usuario("age", Rol.AGENTE)
    assert (await _valorar(soporte, ana, 987654, True)).status == 404
    assert (await _valorar(soporte, ana, oculta["id"], True)).status == 404
    assert (await _valorar(soporte, agente, oculta["id"], True)).status == 404
    assert await _cuenta(oculta["id"]) == (0, 0)
    r = await _valorar(soporte, admin, oculta["id"], False)
    assert r.status == 200 and (await r.json())["valoraciones_negativas"] == 1


async def test_one_vote_per_user_is_a_database_constraint(soporte, crear_faq):
    faq = await crear_faq()
    ana = await soporte.usuario("ana")
    await VotoFAQ.create(faq_id=faq["id"], usuario_id=ana.id, es_util=True)
    with pytest.raises(IntegrityError):
        await VotoFAQ.create(faq_id=faq["id"], usuario_id=ana.id, es_util=False)


async def test_concurrent_votes_of_one_user_count_once(soporte, crear_faq):
    faq = await crear_faq()
    ana = await soporte.usuario("ana")
    respuestas = await asyncio.gather(
        *(_valorar(soporte, ana, faq["id"], i % 3 != 0) for i in range(20))
    )
    assert all(r.status == 200 for r in respuestas)
    votos = await VotoFAQ.filter(faq_id=faq["id"])
    assert len(votos) == 1
    positivas, negativas = await _cuenta(faq["id"])
    assert positivas + negativas == 1
    assert positivas == (1 if votos[0].es_util else 0)
    # The same vote sent 20 times at once.
    otra = await crear_faq("Otra")
    await asyncio.gather(*(_valorar(soporte, ana, otra["id"], False) for _ in range(20)))
    assert await _cuenta(otra["id"]) == (0, 1)


async def test_concurrent_votes_of_many_users_all_count(soporte, crear_faq):
    faq = await crear_faq()
    usuarios = [await soporte.usuario(f"cliente{i}") for i in range(20)]
    respuestas = await asyncio.gather(
        *(_valorar(soporte, u, faq["id"], i < 15) for i, u in enumerate(usuarios))
    )
    assert all(r.status == 200 for r in respuestas)
    assert await _cuenta(faq["id"]) == (15, 5)
    assert await VotoFAQ.filter(faq_id=faq["id"]).count() == 20
    # Everyone changes their mind at once: the counts move, never double.
    await asyncio.gather(
        *(_valorar(soporte, u, faq["id"], i >= 15) for i, u in enumerate(usuarios))
    )
    assert await _cuenta(faq["id"]) == (5, 15)


async def test_admin_edit_keeps_counts_and_delete_removes_votes(soporte, crear_faq, admin):
    faq = await crear_faq()
    ana = await soporte.usuario("ana")
    await _valorar(soporte, ana, faq["id"], True)
    r = await soporte.patch(
        f"{URL}{faq['id']}/", json={"pregunta": "Nueva"}, headers=soporte.auth(admin)
    )
    assert (await r.json())["valoraciones_positivas"] == 1
    await soporte.delete(f"{URL}{faq['id']}/", headers=soporte.auth(admin))
    assert await VotoFAQ.filter(faq_id=faq["id"]).count() == 0
