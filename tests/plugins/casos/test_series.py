"""The cases' contribution to GET /api/soporte/dashboard/series/: cases created per day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.auth.models import Rol
from tests.plugins.casos.ayudas import crear, fechar

URL = "/api/soporte/dashboard/series/"


@pytest.mark.plugins("casos")
async def test_casos_por_dia(soporte):
    ana = await soporte.usuario("ana", Rol.AGENTE)
    lucia = await soporte.usuario("lucia")
    for _ in range(2):
        await crear(soporte, lucia)
    viejo = await crear(soporte, lucia)
    await fechar(viejo["id"], datetime.now(UTC) - timedelta(days=3))
    fuera = await crear(soporte, lucia)
    await fechar(fuera["id"], datetime.now(UTC) - timedelta(days=30))  # outside the 7 days
    r = await soporte.get(URL, headers=soporte.auth(ana), params={"periodo": "7d"})
    assert r.status == 200, await r.text()
    serie = (await r.json())["series"]["casos_abiertos"]
    assert serie["valores"] == [0, 0, 0, 1, 0, 0, 2]
    assert serie["definicion"] and serie["grafico"] == "casos"
