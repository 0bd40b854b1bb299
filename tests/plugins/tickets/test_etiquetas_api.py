"""``/api/soporte/etiquetas/``, tags on tickets (PATCH, objects, ``?etiqueta=`` filter, history)
and what a customer never sees of them."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.models import Rol
from core.tags_models import Etiqueta
from tests.plugins.tickets.conftest import crear

pytestmark = pytest.mark.plugins("tickets", "casos")

BASE = "/api/soporte/etiquetas/"
CASO = {"tipo_caso": "RECLAMO", "urgencia": "ALTA", "titulo": "Cobro", "descripcion": "Doble"}


async def _json(r: Any, status: int) -> Any:
    assert r.status == status, await r.text()
    return await r.json()


@pytest.fixture
async def gente(soporte):
    return (
        await soporte.usuario("lucia"),
        await soporte.usuario("carla", Rol.AGENTE),
        await soporte.usuario("jefa", Rol.ADMIN),
    )


async def _patch(soporte, usuario, ticket_id, body, status=200):
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket_id}/", headers=soporte.auth(usuario), json=body
    )
    return await _json(r, status)


async def test_admin_crea_renombra_colorea_y_borra(soporte, gente):
    _, carla, jefa = gente
    creada = await _json(
        await soporte.post(
            BASE,
            headers=soporte.auth(jefa),
            json={"nombre": " Factura  duplicada ", "color": "#1A7F37"},
        ),
        201,
    )
    assert {k: creada[k] for k in ("nombre", "color", "tickets", "casos")} == {
        "nombre": "Factura duplicada",
        "color": "#1a7f37",
        "tickets": 0,
        "casos": 0,
    }
    # The same key (case, accents, spaces) is the same tag: 409, in Spanish.
    r = await soporte.post(BASE, headers=soporte.auth(jefa), json={"nombre": "FACTURA DUPLICADA"})
    assert (await _json(r, 409))["detail"] == "Ya existe la etiqueta «Factura duplicada»."
    ruta = f"{BASE}{creada['id']}/"
    cambiada = await _json(
        await soporte.patch(
            ruta, headers=soporte.auth(jefa), json={"nombre": "Facturación", "color": ""}
        ),
        200,
    )
    assert (cambiada["nombre"], cambiada["color"]) == ("Facturación", "")
    assert (await Etiqueta.get(id=creada["id"])).clave == "facturacion"
    # Renaming onto another tag's key is a 409; onto its own key (another spelling) is fine.
    otra = await _json(
        await soporte.post(BASE, headers=soporte.auth(jefa), json={"nombre": "VIP"}), 201
    )
    r = await soporte.patch(ruta, headers=soporte.auth(jefa), json={"nombre": "vip"})
    assert r.status == 409
    r = await soporte.patch(
        f"{BASE}{otra['id']}/", headers=soporte.auth(jefa), json={"nombre": "Vip"}
    )
    assert (await _json(r, 200))["nombre"] == "Vip"
    # Agents read (and may not curate); deleting leaves the list.
    r = await soporte.post(BASE, headers=soporte.auth(carla), json={"nombre": "Otra"})
    assert r.status == 403
    assert (await soporte.delete(ruta, headers=soporte.auth(jefa))).status == 204
    lista = await _json(await soporte.get(BASE, headers=soporte.auth(carla)), 200)
    assert [e["nombre"] for e in lista["results"]] == ["Vip"]
    r = await soporte.delete(ruta, headers=soporte.auth(jefa))
    assert r.status == 404


@pytest.mark.parametrize(
    ("body", "campo"),
    [
        ({"nombre": "x", "color": "rojo"}, "color"),
        ({"nombre": "x", "color": "#12345"}, "color"),
        ({"nombre": "   "}, "nombre"),
        ({"nombre": "x" * 51}, "nombre"),
    ],
)
async def test_validacion(soporte, gente, body, campo):
    *_, jefa = gente
    problema = await _json(await soporte.post(BASE, headers=soporte.auth(jefa), json=body), 400)
    assert campo in problema["errors"]


async def test_cuentas_de_uso_y_autocompletado(soporte, gente):
    lucia, carla, jefa = gente
    t1 = await crear(soporte, lucia)
    t2 = await crear(soporte, lucia)
    await _patch(soporte, carla, t1["id"], {"etiquetas": ["Pagos", "VIP"]})
    await _patch(soporte, carla, t2["id"], {"etiquetas": ["pagos"]})
    caso = await _json(
        await soporte.post("/api/soporte/casos/", headers=soporte.auth(carla), json=CASO), 201
    )
    r = await soporte.patch(
        f"/api/soporte/casos/{caso['id']}/",
        headers=soporte.auth(carla),
        json={"etiquetas": ["Págos"]},
    )
    assert (await _json(r, 200))["etiquetas"] == ["Pagos"]
    lista = await _json(await soporte.get(BASE, headers=soporte.auth(carla)), 200)
    assert [(e["nombre"], e["tickets"], e["casos"]) for e in lista["results"]] == [
        ("Pagos", 2, 1),
        ("VIP", 1, 0),
    ]
    # ?q= is a prefix of the key: accents and case ignored.
    r = await soporte.get(BASE, headers=soporte.auth(carla), params={"q": "PÁ"})
    assert [e["nombre"] for e in (await _json(r, 200))["results"]] == ["Pagos"]
    r = await soporte.get(BASE, headers=soporte.auth(lucia))
    assert r.status == 403  # customers never read the vocabulary
    # Deleting a tag unlinks it from tickets and cases.
    pagos = await Etiqueta.get(clave="pagos")
    assert (await soporte.delete(f"{BASE}{pagos.id}/", headers=soporte.auth(jefa))).status == 204
    detalle = await _json(
        await soporte.get(f"/api/soporte/tickets/{t1['id']}/", headers=soporte.auth(carla)), 200
    )
    assert detalle["etiquetas"] == ["VIP"]
    r = await soporte.get(f"/api/soporte/casos/{caso['id']}/", headers=soporte.auth(carla))
    assert (await _json(r, 200))["etiquetas"] == []


async def test_patch_filtro_y_lo_que_ve_el_cliente(soporte, gente):
    lucia, carla, _ = gente
    t1 = await crear(soporte, lucia)
    t2 = await crear(soporte, lucia)
    detalle = await _patch(soporte, carla, t1["id"], {"etiquetas": ["VIP", "Facturación"]})
    assert detalle["etiquetas"] == ["Facturación", "VIP"]  # sorted by key
    # The customer may not tag (403), and never sees tags: detail, own list, recent.
    r = await soporte.patch(
        f"/api/soporte/tickets/{t1['id']}/", headers=soporte.auth(lucia), json={"etiquetas": ["x"]}
    )
    assert r.status == 403
    for ruta in ("/api/soporte/mis-tickets/", "/api/soporte/tickets/recientes/"):
        cuerpo = await _json(await soporte.get(ruta, headers=soporte.auth(lucia)), 200)
        tickets = cuerpo["results"] if isinstance(cuerpo, dict) else cuerpo
        assert {t["id"] for t in tickets} == {t1["id"], t2["id"]}
        assert all(t["etiquetas"] == [] for t in tickets)
    r = await soporte.get(f"/api/soporte/tickets/{t1['id']}/", headers=soporte.auth(lucia))
    assert (await _json(r, 200))["etiquetas"] == []
    # The agents' list shows them and filters by one (by key).
    r = await soporte.get(
        "/api/soporte/tickets/", headers=soporte.auth(carla), params={"etiqueta": "facturacion"}
    )
    cuerpo = await _json(r, 200)
    assert cuerpo["count"] == 1
    assert [(t["id"], t["etiquetas"]) for t in cuerpo["results"]] == [
        (t1["id"], ["Facturación", "VIP"])
    ]
    r = await soporte.get(
        "/api/soporte/tickets/", headers=soporte.auth(carla), params={"etiqueta": "nadie"}
    )
    assert (await _json(r, 200))["count"] == 0
    # A filter by state and tag: the fast count from the totals must not be used.
    r = await soporte.get(
        "/api/soporte/tickets/",
        headers=soporte.auth(carla),
        params={"etiqueta": "VIP", "estado": "ABIERTO"},
    )
    assert (await _json(r, 200))["count"] == 1


async def test_historial_de_etiquetas_solo_para_agentes(soporte, gente):
    lucia, carla, _ = gente
    ticket = await crear(soporte, lucia)
    await _patch(soporte, carla, ticket["id"], {"etiquetas": ["VIP"], "prioridad": "BAJA"})
    ruta = f"/api/soporte/tickets/{ticket['id']}/historial/"
    agente = await _json(await soporte.get(ruta, headers=soporte.auth(carla)), 200)
    entrada = next(c for c in agente["results"] if c["campo"] == "etiquetas")
    assert (entrada["anterior"], entrada["nuevo"]) == ([], ["VIP"])
    cliente = await _json(await soporte.get(ruta, headers=soporte.auth(lucia)), 200)
    campos = [c["campo"] for c in cliente["results"]]
    assert "prioridad" in campos
    assert "etiquetas" not in campos


async def test_fusionar_mueve_los_enlaces_y_borra_el_origen(soporte, gente):
    lucia, carla, jefa = gente
    t1 = await crear(soporte, lucia)
    t2 = await crear(soporte, lucia)
    await _patch(soporte, carla, t1["id"], {"etiquetas": ["Factura", "Facturas"]})
    await _patch(soporte, carla, t2["id"], {"etiquetas": ["Facturas"]})
    caso = await _json(
        await soporte.post("/api/soporte/casos/", headers=soporte.auth(carla), json=CASO), 201
    )
    r = await soporte.patch(
        f"/api/soporte/casos/{caso['id']}/",
        headers=soporte.auth(carla),
        json={"etiquetas": ["Facturas"]},
    )
    assert r.status == 200
    factura = await Etiqueta.get(clave="factura")
    facturas = await Etiqueta.get(clave="facturas")
    ruta = f"{BASE}{facturas.id}/fusionar/"
    r = await soporte.post(ruta, headers=soporte.auth(carla), json={"en": factura.id})
    assert r.status == 403
    r = await soporte.post(ruta, headers=soporte.auth(jefa), json={"en": facturas.id})
    assert "en" in (await _json(r, 400))["errors"]
    r = await soporte.post(ruta, headers=soporte.auth(jefa), json={"en": 1_999_999})
    assert (await _json(r, 400))["errors"]["en"] == ["No existe la etiqueta 1999999."]
    destino = await _json(
        await soporte.post(ruta, headers=soporte.auth(jefa), json={"en": factura.id}), 200
    )
    assert (destino["nombre"], destino["tickets"], destino["casos"]) == ("Factura", 2, 1)
    assert not await Etiqueta.exists(id=facturas.id)
    for t in (t1, t2):
        r = await soporte.get(f"/api/soporte/tickets/{t['id']}/", headers=soporte.auth(carla))
        assert (await _json(r, 200))["etiquetas"] == ["Factura"]  # once, on the ticket with both
    r = await soporte.get(f"/api/soporte/casos/{caso['id']}/", headers=soporte.auth(carla))
    assert (await _json(r, 200))["etiquetas"] == ["Factura"]
    r = await soporte.post(ruta, headers=soporte.auth(jefa), json={"en": factura.id})
    assert r.status == 404  # the origin is gone
