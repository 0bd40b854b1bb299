"""Full-text search: accents, case, plurals, prefixes, ranking, no false hits, index in step.

Backend-neutral: the same assertions hold for SQLite FTS5 and PostgreSQL full-text search.
"""

from __future__ import annotations

import pytest

from plugins.faq import service
from plugins.faq.busqueda import terminos
from plugins.faq.models import FAQ
from tests.plugins.faq.ayudas import GUIA, URL, buscar_ids, listar

pytestmark = pytest.mark.plugins("faq")


@pytest.fixture
async def faqs(crear_faq):
    """A small, realistic set: ids by a short name."""
    datos = {
        "tarjeta": (
            "¿Puedo pagar con tarjeta de crédito?",
            "Aceptamos Visa y Mastercard de crédito y débito.",
            "Pagos",
        ),
        "reembolso": (
            "¿Cuándo recibiré el reembolso?",
            "En 5 días hábiles desde la cancelación.",
            "Pagos",
        ),
        "cancelar": (
            "¿Cómo cancelo una reserva?",
            "Desde Mis viajes, con el botón Cancelar.",
            "Cancelaciones",
        ),
        "equipaje": (
            "¿Cuánto equipaje de mano puedo llevar?",
            "Un bolso bajo el asiento en la tarifa básica.",
            "Check-in",
        ),
        "bizum": ("¿Aceptan Bizum?", "Sí, además de la tarjeta.", "Pagos"),
        "hotel": ("Horario del hotel", "Entrada desde las 14:00 en todos los HOTELES.", "Check-in"),
    }
    return {nombre: (await crear_faq(p, r, c))["id"] for nombre, (p, r, c) in datos.items()}


async def test_accent_and_case_insensitive(soporte, faqs):
    for q in ("credito", "CRÉDITO", "Crédito", "crEdIto"):
        assert faqs["tarjeta"] in await buscar_ids(soporte, q), q
    # The other way round: an accent typed by the user that the text does not carry.
    assert await buscar_ids(soporte, "hotél") == [faqs["hotel"]]
    assert faqs["reembolso"] in await buscar_ids(soporte, "cancelacion")
    assert faqs["cancelar"] in await buscar_ids(soporte, "CÓMO CANCELO")


async def test_plurals_and_prefixes(soporte, faqs):
    assert await buscar_ids(soporte, "reembolsos") == [faqs["reembolso"]]
    assert await buscar_ids(soporte, "reembolso") == [faqs["reembolso"]]
    assert await buscar_ids(soporte, "hoteles") == [faqs["hotel"]]
    assert await buscar_ids(soporte, "reservas") == [faqs["cancelar"]]
    # Typing: the start of a word already finds it.
    assert await buscar_ids(soporte, "equipa") == [faqs["equipaje"]]
    assert await buscar_ids(soporte, "bizu") == [faqs["bizum"]]


async def test_every_word_must_match(soporte, faqs):
    assert await buscar_ids(soporte, "equipaje mano") == [faqs["equipaje"]]
    assert await buscar_ids(soporte, "equipaje tarjeta") == []
    # Function words of a natural question do not have to appear in the FAQ.
    assert await buscar_ids(soporte, "¿Cómo cancelo mi reserva?") == [faqs["cancelar"]]


async def test_no_false_hits(soporte, faqs):
    for q in ("mascota", "wifi", "xyzzy", "reembolsar tarjeta", "1234"):
        page = await listar(soporte, q=q, activas="true")
        assert page == {"count": 0, "next": None, "previous": None, "results": []}, q
    # Only the FAQ that says "pagar"; the category "Pagos" is not searched text.
    assert await buscar_ids(soporte, "pagar") == [faqs["tarjeta"]]


async def test_ranked_by_relevance_question_first(soporte, crear_faq):
    # Created first and placed first by ``orden``, but mentions the word only in its answer.
    en_respuesta = await crear_faq(
        "¿Qué pasa si pierdo el vuelo?",
        "Contacte con la aerolínea; el reembolso depende de la tarifa.",
        "Reservas",
        orden=0,
    )
    en_pregunta = await crear_faq(
        "Plazos del reembolso", "Se tramita en cinco días.", "Pagos", orden=50
    )
    sin_relacion = await crear_faq("¿Hay parking?", "Sí, de pago.", "Hotel", orden=-5)
    assert await buscar_ids(soporte, "reembolso") == [en_pregunta["id"], en_respuesta["id"]]
    # Without a search the display order applies.
    todos = await listar(soporte, activas="true")
    assert [f["id"] for f in todos["results"]] == [
        sin_relacion["id"],
        en_respuesta["id"],
        en_pregunta["id"],
    ]


async def test_more_occurrences_rank_higher(soporte, crear_faq):
    # Same lengths; the second one also names the word in its answer.
    una_vez = await crear_faq(
        "Equipaje facturado", "Hasta 23 kg por cada pieza de bodega.", "Check-in", orden=0
    )
    dos_veces = await crear_faq(
        "Equipaje cabina", "El equipaje no puede pasar de 10 kg.", "Check-in", orden=9
    )
    for tema in ("Horario del hotel", "Parking", "Wifi gratis", "Desayuno incluido"):
        await crear_faq(tema, "Consulte la ficha del alojamiento.", "Hotel", orden=-1)
    assert await buscar_ids(soporte, "equipaje") == [dos_veces["id"], una_vez["id"]]


async def test_search_with_categoria_and_pagination(soporte, crear_faq):
    for i in range(12):
        await crear_faq(f"Reembolso caso {i}", "Texto.", "Pagos" if i % 2 else "Reservas")
    await crear_faq("Otra cosa", "Sin relación.", "Pagos")
    page = await listar(soporte, q="reembolso", categoria="Pagos", activas="true", size=4)
    assert page["count"] == 6 and len(page["results"]) == 4 and "page=2" in page["next"]
    assert all(f["categoria"] == "Pagos" for f in page["results"])
    resto = await listar(soporte, q="reembolso", categoria="Pagos", page=2, size=4)
    assert len(resto["results"]) == 2 and resto["next"] is None
    ids = [f["id"] for f in page["results"] + resto["results"]]
    assert len(set(ids)) == 6
    vacia = await listar(soporte, q="reembolso", categoria="Pagos", page=5, size=4)
    assert vacia["count"] == 6 and vacia["results"] == []


@pytest.mark.parametrize(
    ("q", "encuentra"),
    [
        ('"reembolso', True),
        ("reembolso*", True),
        ("reembolso) AND (", False),  # "and" is a word to find, not an operator
        ("NEAR(reembolso", False),
        ("pregunta:reembolso", False),  # no column filters
        ("reembolso & ! |", True),
        ("'reembolso':*", True),
        ("reembolso -- ;DROP TABLE faq_faq", False),
        ("^reembolso", True),
    ],
)
async def test_query_syntax_is_never_interpreted(soporte, faqs, q, encuentra):
    r = await soporte.get(URL, params={"q": q, "activas": "true"}, headers=GUIA)
    assert r.status == 200, await r.text()
    ids = [f["id"] for f in (await r.json())["results"]]
    assert ids == ([faqs["reembolso"]] if encuentra else []), q
    assert await FAQ.all().count() == len(faqs)


async def test_a_nul_in_the_query_is_400(soporte, faqs):
    # The core refuses NUL in every query value and body field (PostgreSQL cannot store or
    # compare it), as Django REST Framework does; see tests/reliability/test_abuso_entrada.py.
    r = await soporte.get(URL, params={"q": "reembolso\x00", "activas": "true"}, headers=GUIA)
    assert r.status == 400
    assert "q" in (await r.json())["errors"]


async def test_blank_or_punctuation_query_is_no_filter(soporte, faqs):
    for q in ("", "   ", "¿?", "--"):
        page = await listar(soporte, q=q, activas="true")
        assert page["count"] == len(faqs), repr(q)


async def test_index_follows_create_update_delete(soporte, crear_faq, admin):
    faq = await crear_faq("Aparcamiento", "Hay plazas de garaje.", "Hotel")
    assert await buscar_ids(soporte, "garaje") == [faq["id"]]
    r = await soporte.patch(
        f"{URL}{faq['id']}/",
        json={"respuesta": "Hay parking cubierto."},
        headers=soporte.auth(admin),
    )
    assert r.status == 200
    assert await buscar_ids(soporte, "garaje") == []
    assert await buscar_ids(soporte, "parking") == [faq["id"]]
    assert await buscar_ids(soporte, "aparcamiento") == [faq["id"]]
    r = await soporte.patch(
        f"{URL}{faq['id']}/", json={"pregunta": "Estacionamiento"}, headers=soporte.auth(admin)
    )
    assert await buscar_ids(soporte, "aparcamiento") == []
    assert await buscar_ids(soporte, "estacionamiento") == [faq["id"]]
    # A change that does not touch the text keeps the index entry.
    await soporte.patch(f"{URL}{faq['id']}/", json={"orden": 4}, headers=soporte.auth(admin))
    assert await buscar_ids(soporte, "estacionamiento") == [faq["id"]]
    r = await soporte.delete(f"{URL}{faq['id']}/", headers=soporte.auth(admin))
    assert r.status == 204
    assert await buscar_ids(soporte, "parking") == []
    page = await listar(soporte, headers=soporte.auth(admin), q="parking")
    assert page["count"] == 0


async def test_index_is_repaired_at_start_up(soporte):
    # Rows written behind the service's back (an old process, a bulk import)…
    await FAQ.create(pregunta="¿Admiten mascotas?", respuesta="Perros pequeños.", categoria="Hotel")
    # …are indexed by the idempotent start-up step.
    await service.preparar_busqueda()
    await service.preparar_busqueda()
    assert len(await buscar_ids(soporte, "mascotas")) == 1
    await service.reconstruir_indice()
    assert len(await buscar_ids(soporte, "perros")) == 1


def test_terminos():
    assert terminos(None) == [] and terminos("  ¿? ") == []
    assert terminos("¿Cómo cancelo MI reserva?") == ["cancelo", "reserva"]
    assert terminos("Crédito") == ["credito"]
    assert terminos("reembolsos cancelaciones hoteles ciudades") == [
        "reembolso",
        "cancelacion",
        "hotel",
        "ciudad",
    ]
    assert terminos("de la") == ["de", "la"]  # only function words: keep them
    assert terminos('"a*" OR b:c') == ["or", "b", "c"]
    assert terminos("tres gas país") == ["tres", "gas", "pais"]
    assert len(terminos(" ".join(f"palabra{i}" for i in range(50)))) == 12


async def test_search_follows_categoria_and_activa_changes(soporte, crear_faq, admin):
    largo = "Categoría ñandú " + "é" * 84  # 100 characters, 186 UTF-8 bytes
    faq = await crear_faq("Traslado al aeropuerto", "Reserve el traslado.", "Transporte")
    await crear_faq("Traslado en tren", "Billetes combinados.", largo)
    assert await buscar_ids(soporte, "traslado", categoria="Transporte") == [faq["id"]]
    assert len(await buscar_ids(soporte, "traslado", categoria=largo)) == 1
    r = await soporte.patch(
        f"{URL}{faq['id']}/", json={"categoria": largo}, headers=soporte.auth(admin)
    )
    assert r.status == 200
    assert await buscar_ids(soporte, "traslado", categoria="Transporte") == []
    assert len(await buscar_ids(soporte, "traslado", categoria=largo)) == 2
    await soporte.patch(f"{URL}{faq['id']}/", json={"activa": False}, headers=soporte.auth(admin))
    assert faq["id"] not in await buscar_ids(soporte, "aeropuerto traslado")
    como_admin = await listar(soporte, headers=soporte.auth(admin), q="aeropuerto")
    assert [f["id"] for f in como_admin["results"]] == [faq["id"]]
    solo_activas = await listar(
        soporte, headers=soporte.auth(admin), q="aeropuerto", activas="true"
    )
    assert solo_activas["count"] == 0
    await soporte.patch(f"{URL}{faq['id']}/", json={"activa": True}, headers=soporte.auth(admin))
    assert await buscar_ids(soporte, "aeropuerto", categoria=largo) == [faq["id"]]
