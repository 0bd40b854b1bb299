"""Tags on cases: PATCH ``etiquetas`` (by key, through ``core.tags.fijar`` in the case's own
transaction), the ``?etiqueta=`` filter, the history entry agents see and the customer does not,
a CERRADO case, and a customer who never sees them. The casos plugin alone (no tickets)."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.models import Rol
from tests.plugins.casos.ayudas import crear

pytestmark = pytest.mark.plugins("casos")


async def _json(r: Any, status: int) -> Any:
    assert r.status == status, await r.text()
    return await r.json()


async def test_etiquetas_de_un_caso(soporte):
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    caso = await crear(soporte, lucia, titulo="propio")
    otro = await crear(soporte, lucia, titulo="otro")
    ruta = f"/api/soporte/casos/{caso['id']}/"
    detalle = await _json(
        await soporte.patch(ruta, headers=soporte.auth(ana), json={"etiquetas": ["VIP", "Cobro"]}),
        200,
    )
    assert detalle["etiquetas"] == ["Cobro", "VIP"]
    # The same set by key is no change: no second history entry.
    await _json(
        await soporte.patch(ruta, headers=soporte.auth(ana), json={"etiquetas": ["vip", "cobro"]}),
        200,
    )
    r = await soporte.patch(ruta, headers=soporte.auth(ana), json={"etiquetas": None})
    assert r.status == 400
    r = await soporte.patch(ruta, headers=soporte.auth(ana), json={"etiquetas": [""]})
    assert r.status == 400

    # The agents' list filters by tag (accents and case ignored) and shows them.
    r = await soporte.get(
        "/api/soporte/casos/", headers=soporte.auth(ana), params={"etiqueta": "VÍP"}
    )
    lista = await _json(r, 200)
    assert [(c["id"], c["etiquetas"]) for c in lista["results"]] == [(caso["id"], ["Cobro", "VIP"])]

    # The customer: no tags anywhere, no filter by them, no history entry.
    r = await soporte.get(
        "/api/soporte/casos/", headers=soporte.auth(lucia), params={"etiqueta": "vip"}
    )
    suyos = await _json(r, 200)
    assert {c["id"] for c in suyos["results"]} == {caso["id"], otro["id"]}
    assert all(c["etiquetas"] == [] for c in suyos["results"])
    assert (await _json(await soporte.get(ruta, headers=soporte.auth(lucia)), 200))[
        "etiquetas"
    ] == []
    r = await soporte.patch(ruta, headers=soporte.auth(lucia), json={"etiquetas": ["x"]})
    assert r.status == 403
    agente = await _json(await soporte.get(f"{ruta}historial/", headers=soporte.auth(ana)), 200)
    entradas = [c for c in agente["results"] if c["campo"] == "etiquetas"]
    assert [(c["anterior"], c["nuevo"]) for c in entradas] == [([], ["Cobro", "VIP"])]
    publico = await _json(await soporte.get(f"{ruta}historial/", headers=soporte.auth(lucia)), 200)
    assert "etiquetas" not in {c["campo"] for c in publico["results"]}

    # A CERRADO case admits no change of tags (409), but the same set is no change.
    await _json(
        await soporte.patch(ruta, headers=soporte.auth(ana), json={"estado": "CERRADO"}), 200
    )
    r = await soporte.patch(ruta, headers=soporte.auth(ana), json={"etiquetas": ["Otra"]})
    assert r.status == 409
    r = await soporte.patch(ruta, headers=soporte.auth(ana), json={"etiquetas": ["Cobro", "VIP"]})
    assert r.status == 200
