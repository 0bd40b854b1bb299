"""Demo cases: loaded through the ``load_demo_data`` hook, realistic, idempotent."""

from __future__ import annotations

import pytest

from core import keys
from core.auth.models import Rol
from plugins.casos.demo import CASOS_DEMO
from plugins.casos.models import Caso, EstadoCaso, Urgencia

pytestmark = pytest.mark.plugins("casos")


async def test_demo_idempotente_y_util_para_el_tablero(soporte):
    usuarios = {
        "cliente": await soporte.usuario("cliente"),
        "cliente2": await soporte.usuario("cliente2"),
        "agente": await soporte.usuario("agente", Rol.AGENTE),
        "admin": await soporte.usuario("admin", Rol.ADMIN),
    }
    host = soporte.app[keys.PLUGINS]
    await host.load_demo_data(usuarios)
    assert await Caso.all().count() == len(CASOS_DEMO) >= 6
    await host.load_demo_data(usuarios)
    assert await Caso.all().count() == len(CASOS_DEMO)
    # The demo's urgent list and critical count are not empty, and each customer has cases.
    agente = usuarios["agente"]
    r = await soporte.get("/api/soporte/casos/urgentes/", headers=soporte.auth(agente))
    urgentes = await r.json()
    assert [c["urgencia"] for c in urgentes] == ["CRITICA", "CRITICA", "ALTA"]
    r = await soporte.get("/api/soporte/dashboard/stats/", headers=soporte.auth(agente))
    assert (await r.json())["casos_criticos"] == 2
    for cliente in ("cliente", "cliente2"):
        r = await soporte.get("/api/soporte/casos/", headers=soporte.auth(usuarios[cliente]))
        assert (await r.json())["count"] >= 2
    assert {c.estado for c in await Caso.all()} == set(EstadoCaso)
    assert await Caso.filter(urgencia=Urgencia.CRITICA).count() == 2
    # Nothing stays ABIERTO with an update date before its creation.
    for caso in await Caso.all():
        assert caso.fecha_actualizacion >= caso.fecha_creacion
        assert caso.numero == f"CS-{caso.id:06d}"
