"""``GET /api/soporte/casos/{id}/historial/`` serves what the cases' service records with
``core.history.record`` (``entidad`` ``caso``): agents everything, the customer the case is
about the public timeline, anyone else a 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from core.auth.models import Rol
from core.history import Canal, record
from tests.plugins.casos.ayudas import crear

if TYPE_CHECKING:
    from core.testing import SoporteClient

pytestmark = pytest.mark.plugins("casos")


async def test_a_recorded_case_change_is_served_by_the_endpoint(soporte: SoporteClient) -> None:
    lucia = await soporte.usuario("lucia")
    martin = await soporte.usuario("martin")
    ana = await soporte.usuario("ana", Rol.AGENTE, nombre="Ana Pérez")
    caso = await crear(soporte, lucia, titulo="propio")
    await record(
        None,
        entidad="caso",
        entidad_id=caso["id"],
        cambios={"estado": ["ABIERTO", "EN_INVESTIGACION"], "equipo": [None, 3]},
        autor_id=ana.id,
        canal=Canal.API,
    )
    # A ticket with the same id has a history of its own: not mixed in.
    await record(None, entidad="ticket", entidad_id=caso["id"], cambios={"estado": ["A", "B"]},
                 autor_id=None, canal=Canal.SISTEMA)  # fmt: skip
    url = f"/api/soporte/casos/{caso['id']}/historial/"

    r = await soporte.get(url, headers=soporte.auth(ana))
    assert r.status == 200, await r.text()
    todo = (await r.json())["results"]
    # The case's creation is recorded by the cases' service itself; then the change above.
    assert [(c["campo"], c["anterior"], c["nuevo"], c["canal"]) for c in todo] == [
        ("creado", None, "ABIERTO", "API"),
        ("estado", "ABIERTO", "EN_INVESTIGACION", "API"),
        ("equipo", None, 3, "API"),
    ]
    assert todo[1]["autor"] == {"id": ana.id, "nombre": "Ana Pérez"}

    r = await soporte.get(url, headers=soporte.auth(lucia))
    assert r.status == 200
    assert [c["campo"] for c in (await r.json())["results"]] == ["creado", "estado"]

    r = await soporte.get(url, headers=soporte.auth(martin))
    assert r.status == 404
    r = await soporte.get(
        f"/api/soporte/casos/{caso['id'] + 99}/historial/", headers=soporte.auth(ana)
    )
    assert r.status == 404
