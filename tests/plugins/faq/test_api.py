"""The FAQ sections of docs/api.md: list, categories, detail, admin create/update/delete, guards."""

from __future__ import annotations

from datetime import datetime

import pytest
import yarl

from core.auth.models import Rol
from tests.plugins.faq.ayudas import GUIA, URL, listar

pytestmark = pytest.mark.plugins("faq")

CAMPOS = {
    "id",
    "pregunta",
    "respuesta",
    "categoria",
    "valoraciones_positivas",
    "valoraciones_negativas",
    "activa",
    "fecha_actualizacion",
}


# --- GET /api/soporte/faqs/ ------------------------------------------------------------------


async def test_guide_call_lists_faqs_without_token(soporte, crear_faq):
    creada = await crear_faq("¿Cómo pago?", "Con tarjeta.", "Pagos")
    # Exactly what obtenerFAQs sends: empty categoria and q, activas=true, no Authorization.
    r = await soporte.get(f"{URL}?categoria=&q=&activas=true", headers=GUIA)
    assert r.status == 200, await r.text()
    data = await r.json()
    assert data["count"] == 1 and data["next"] is None and data["previous"] is None
    (faq,) = data["results"]
    assert set(faq) == CAMPOS
    assert faq == creada
    assert faq["pregunta"] == "¿Cómo pago?" and faq["respuesta"] == "Con tarjeta."
    assert faq["categoria"] == "Pagos" and faq["activa"] is True
    assert faq["valoraciones_positivas"] == 0 and faq["valoraciones_negativas"] == 0
    fecha = datetime.fromisoformat(faq["fecha_actualizacion"])
    assert fecha.utcoffset() is not None and faq["fecha_actualizacion"].endswith("+00:00")


async def test_list_path_without_trailing_slash(soporte, crear_faq):
    await crear_faq()
    r = await soporte.get("/api/soporte/faqs?activas=true", headers=GUIA)
    assert r.status == 200 and (await r.json())["count"] == 1


async def test_list_orders_by_orden_then_id(soporte, crear_faq):
    c = await crear_faq("C", orden=5)
    a = await crear_faq("A", orden=1)
    b = await crear_faq("B", orden=5)
    d = await crear_faq("D", orden=-3)
    data = await listar(soporte)
    assert [f["id"] for f in data["results"]] == [d["id"], a["id"], c["id"], b["id"]]


async def test_list_filters_by_categoria(soporte, crear_faq):
    pago = await crear_faq("¿Aceptan PayPal?", categoria="Pagos")
    await crear_faq("¿Puedo cambiar fechas?", categoria="Reservas")
    data = await listar(soporte, categoria="Pagos", q="", activas="true")
    assert [f["id"] for f in data["results"]] == [pago["id"]] and data["count"] == 1
    assert (await listar(soporte, categoria="Inexistente"))["count"] == 0


async def test_pagination(soporte, crear_faq):
    ids = [(await crear_faq(f"Pregunta {i}", orden=i))["id"] for i in range(25)]
    first = await listar(soporte, activas="true")
    assert first["count"] == 25 and len(first["results"]) == 10  # default size 10
    assert first["previous"] is None
    assert first["next"].startswith("http://") and "page=2" in first["next"]
    page3 = await listar(soporte, page=3, size=10)
    assert [f["id"] for f in page3["results"]] == ids[20:]
    assert page3["next"] is None and "page=2" in page3["previous"]
    # The next link is absolute and works as is.
    r = await soporte.get(yarl.URL(first["next"]).path_qs)
    assert [f["id"] for f in (await r.json())["results"]] == ids[10:20]
    big = await listar(soporte, size=100)
    assert len(big["results"]) == 25 and big["next"] is None
    past = await listar(soporte, page=9)
    assert past["count"] == 25 and past["results"] == []


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "size=0",
        "size=101",
        "page=x",
        "activas=quizas",
        "q=" + "a" * 201,
        "categoria=" + "c" * 101,
        "categoria=a%00b",
    ],
)
async def test_bad_list_query_is_400(soporte, query):
    r = await soporte.get(f"{URL}?{query}", headers=GUIA)
    assert r.status == 400, await r.text()
    body = await r.json()
    assert r.content_type == "application/problem+json" and body["errors"]


async def test_bearer_null_is_401_even_on_public_list(soporte):
    r = await soporte.get(URL, headers={"Authorization": "Bearer null", **GUIA})
    assert r.status == 401 and "Bearer" in r.headers["WWW-Authenticate"]


async def test_cors_preflight_of_the_guide(soporte):
    r = await soporte.options(
        URL,
        headers={
            "Origin": "http://frontend.test",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert r.status == 200
    assert r.headers["Access-Control-Allow-Origin"] == "http://frontend.test"


# --- inactive FAQs ---------------------------------------------------------------------------


async def test_inactive_faqs_are_hidden_from_non_admins(soporte, crear_faq, admin):
    activa = await crear_faq("Visible", categoria="Cuenta")
    oculta = await crear_faq("Oculta", categoria="Cuenta", activa=False)
    cliente = await soporte.usuario("cli", Rol.CLIENTE)
    agente = await soporte.usuario("age", Rol.AGENTE)
    for headers in (GUIA, soporte.auth(cliente), soporte.auth(agente)):
        for params in ({}, {"activas": "true"}, {"activas": "false"}, {"q": "oculta"}):
            data = await listar(soporte, headers=headers, **params)
            assert oculta["id"] not in [f["id"] for f in data["results"]], (headers, params)
        r = await soporte.get(f"{URL}{oculta['id']}/", headers=headers)
        assert r.status == 404
        r = await soporte.get(f"{URL}{activa['id']}/", headers=headers)
        assert r.status == 200
    # An admin sees every FAQ unless activas=true.
    todas = await listar(soporte, headers=soporte.auth(admin))
    assert {f["id"] for f in todas["results"]} == {activa["id"], oculta["id"]}
    solo = await listar(soporte, headers=soporte.auth(admin), activas="true")
    assert [f["id"] for f in solo["results"]] == [activa["id"]]
    encontrada = await listar(soporte, headers=soporte.auth(admin), q="oculta")
    assert [f["id"] for f in encontrada["results"]] == [oculta["id"]]
    r = await soporte.get(f"{URL}{oculta['id']}/", headers=soporte.auth(admin))
    assert r.status == 200 and (await r.json())["activa"] is False


# --- GET /api/soporte/faqs/categorias/ ---------------------------------------------------------


async def test_categorias_counts_active_faqs(soporte, crear_faq):
    await crear_faq("a", categoria="Pagos")
    await crear_faq("b", categoria="Reservas")
    await crear_faq("c", categoria="Pagos")
    await crear_faq("d", categoria="Pagos", activa=False)
    await crear_faq("e", categoria="Oculta", activa=False)
    r = await soporte.get(f"{URL}categorias/", headers=GUIA)
    assert r.status == 200
    assert await r.json() == [
        {"categoria": "Pagos", "total": 2},
        {"categoria": "Reservas", "total": 1},
    ]
    r = await soporte.get("/api/soporte/faqs/categorias", headers=GUIA)
    assert r.status == 200


async def test_categorias_empty(soporte):
    r = await soporte.get(f"{URL}categorias/")
    assert r.status == 200 and await r.json() == []


# --- GET /api/soporte/faqs/{id}/ -------------------------------------------------------------


async def test_detail(soporte, crear_faq):
    creada = await crear_faq("¿Hay wifi?", "Sí, gratis.", "Hotel")
    r = await soporte.get(f"{URL}{creada['id']}/", headers=GUIA)
    assert r.status == 200 and await r.json() == creada
    r = await soporte.get(f"/api/soporte/faqs/{creada['id']}")
    assert r.status == 200


@pytest.mark.parametrize("path", ["999999/", "abc/", "-1/"])
async def test_detail_unknown_is_404(soporte, path):
    r = await soporte.get(f"{URL}{path}")
    assert r.status == 404


# --- POST /api/soporte/faqs/ (ADMIN) ---------------------------------------------------------


async def test_admin_creates_faq(soporte, admin):
    body = {
        "pregunta": "  ¿Puedo llevar mascota?  ",
        "respuesta": "Sí, con suplemento.",
        "categoria": "Check-in",
        "activa": False,
        "orden": 7,
    }
    r = await soporte.post(URL, json=body, headers=soporte.auth(admin))
    assert r.status == 201, await r.text()
    faq = await r.json()
    assert set(faq) == CAMPOS
    assert faq["pregunta"] == "¿Puedo llevar mascota?"  # trimmed
    assert faq["activa"] is False and faq["categoria"] == "Check-in"
    assert r.headers["Location"].endswith(f"/api/soporte/faqs/{faq['id']}/")
    r = await soporte.get(f"{URL}{faq['id']}/", headers=soporte.auth(admin))
    assert await r.json() == faq


async def test_create_defaults(soporte, crear_faq):
    faq = await crear_faq("x", "y", "z")
    assert faq["activa"] is True
    assert faq["valoraciones_positivas"] == faq["valoraciones_negativas"] == 0


@pytest.mark.parametrize(
    ("body", "campos"),
    [
        ({}, {"pregunta", "respuesta", "categoria"}),
        ({"pregunta": "   ", "respuesta": "r", "categoria": "c"}, {"pregunta"}),
        ({"pregunta": "p" * 501, "respuesta": "r", "categoria": "c"}, {"pregunta"}),
        ({"pregunta": "p", "respuesta": "r" * 10_001, "categoria": "c"}, {"respuesta"}),
        ({"pregunta": "p", "respuesta": "", "categoria": "c"}, {"respuesta"}),
        ({"pregunta": "p", "respuesta": "r", "categoria": "c" * 101}, {"categoria"}),
        ({"pregunta": "p", "respuesta": "r", "categoria": " "}, {"categoria"}),
        ({"pregunta": "p\x00", "respuesta": "r", "categoria": "c"}, {"pregunta"}),
        ({"pregunta": "p", "respuesta": "r", "categoria": "c", "orden": "x"}, {"orden"}),
        ({"pregunta": "p", "respuesta": "r", "categoria": "c", "orden": 10**9}, {"orden"}),
        ({"pregunta": "p", "respuesta": "r", "categoria": "c", "activa": "tal vez"}, {"activa"}),
        (
            {"pregunta": 5, "respuesta": ["r"], "categoria": None},
            {"pregunta", "respuesta", "categoria"},
        ),
    ],
)
async def test_create_validation(soporte, admin, body, campos):
    r = await soporte.post(URL, json=body, headers=soporte.auth(admin))
    assert r.status == 400, await r.text()
    assert set((await r.json())["errors"]) == campos


async def test_create_limits_are_inclusive(soporte, crear_faq):
    faq = await crear_faq("p" * 500, "r" * 10_000, "c" * 100)
    assert len(faq["pregunta"]) == 500 and len(faq["respuesta"]) == 10_000


async def test_create_malformed_json_is_400(soporte, admin):
    r = await soporte.post(URL, data="{no es json", headers=soporte.auth(admin))
    assert r.status == 400


# --- PATCH / DELETE /api/soporte/faqs/{id}/ (ADMIN) -------------------------------------------


async def test_patch_is_partial(soporte, crear_faq, admin):
    faq = await crear_faq("Antes", "Respuesta", "Pagos", orden=3)
    r = await soporte.patch(
        f"{URL}{faq['id']}/", json={"pregunta": "Después"}, headers=soporte.auth(admin)
    )
    assert r.status == 200, await r.text()
    nueva = await r.json()
    assert nueva["pregunta"] == "Después"
    assert {k: v for k, v in nueva.items() if k not in ("pregunta", "fecha_actualizacion")} == {
        k: v for k, v in faq.items() if k not in ("pregunta", "fecha_actualizacion")
    }
    assert nueva["fecha_actualizacion"] > faq["fecha_actualizacion"]
    r = await soporte.patch(
        f"{URL}{faq['id']}/",
        json={"activa": False, "categoria": "Reservas", "orden": 9, "respuesta": "Otra"},
        headers=soporte.auth(admin),
    )
    nueva = await r.json()
    assert (nueva["activa"], nueva["categoria"], nueva["respuesta"]) == (False, "Reservas", "Otra")
    r = await soporte.patch(f"/api/soporte/faqs/{faq['id']}", json={}, headers=soporte.auth(admin))
    assert r.status == 200 and (await r.json())["categoria"] == "Reservas"


@pytest.mark.parametrize(
    "body",
    [
        {"pregunta": None},
        {"pregunta": ""},
        {"activa": None},
        {"orden": "x"},
        {"categoria": "c" * 101},
    ],
)
async def test_patch_validation(soporte, crear_faq, admin, body):
    faq = await crear_faq()
    r = await soporte.patch(f"{URL}{faq['id']}/", json=body, headers=soporte.auth(admin))
    assert r.status == 400, await r.text()
    assert set((await r.json())["errors"]) == set(body)


async def test_patch_and_delete_unknown_are_404(soporte, admin):
    r = await soporte.patch(f"{URL}424242/", json={"orden": 1}, headers=soporte.auth(admin))
    assert r.status == 404
    r = await soporte.delete(f"{URL}424242/", headers=soporte.auth(admin))
    assert r.status == 404


async def test_delete(soporte, crear_faq, admin):
    faq = await crear_faq("Borrable")
    otra = await crear_faq("Queda")
    r = await soporte.delete(f"{URL}{faq['id']}/", headers=soporte.auth(admin))
    assert r.status == 204 and await r.read() == b""
    r = await soporte.get(f"{URL}{faq['id']}/", headers=soporte.auth(admin))
    assert r.status == 404
    data = await listar(soporte)
    assert [f["id"] for f in data["results"]] == [otra["id"]]


async def test_admin_calls_need_admin(soporte, crear_faq):
    faq = await crear_faq()
    cliente = await soporte.usuario("cli", Rol.CLIENTE)
    agente = await soporte.usuario("age", Rol.AGENTE)
    body = {"pregunta": "p", "respuesta": "r", "categoria": "c"}
    llamadas = [
        ("POST", URL, body),
        ("PATCH", f"{URL}{faq['id']}/", {"orden": 2}),
        ("DELETE", f"{URL}{faq['id']}/", None),
    ]
    for metodo, url, json in llamadas:
        r = await soporte.request(metodo, url, json=json, headers=GUIA)
        assert r.status == 401, (metodo, r.status)
        for usuario in (cliente, agente):
            r = await soporte.request(metodo, url, json=json, headers=soporte.auth(usuario))
            assert r.status == 403, (metodo, usuario.rol, r.status)
    # Nothing changed.
    r = await soporte.get(f"{URL}{faq['id']}/")
    assert await r.json() == faq
    assert (await listar(soporte))["count"] == 1


async def test_openapi_documents_every_faq_route(soporte):
    spec = await (await soporte.get("/api/openapi.json")).json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/soporte/faqs/"])
    assert {"get", "patch", "delete"} <= set(paths["/api/soporte/faqs/{id}/"])
    assert "post" in paths["/api/soporte/faqs/{id}/valorar/"]
    assert "get" in paths["/api/soporte/faqs/categorias/"]
