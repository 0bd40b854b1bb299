"""``GET /api/soporte/casos/exportar/``: the cases list as a streamed CSV for agents — columns
and values, the list's filters and visibility, ``;``, keyset batches and the signed link."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.connection import connections

from core import tags
from core.auth.models import Equipo, Rol
from core.testing import SoporteClient
from plugins.casos.exportar import ENLACE_ETIQUETAS
from plugins.casos.models import Caso
from tests.plugins.casos.ayudas import crear, fechar, poner_estado

URL = "/api/soporte/casos/exportar/"
CABECERA = [
    "numero",
    "titulo",
    "descripcion",
    "tipo_caso",
    "urgencia",
    "estado",
    "impacto_estimado",
    "cliente_afectado",
    "cliente_afectado_email",
    "creado_por",
    "agente_asignado",
    "equipo",
    "etiquetas",
    "reservas_relacionadas",
    "tickets_relacionados",
    "fecha_creacion",
    "fecha_actualizacion",
]


def leer(cuerpo: bytes, separador: str = ",") -> list[dict[str, str]]:
    """The rows of an export (BOM checked and dropped), as dicts by header."""
    assert cuerpo.startswith("\ufeff".encode())
    filas = list(csv.reader(io.StringIO(cuerpo.decode()[1:], newline=""), delimiter=separador))
    assert filas[0] == CABECERA
    return [dict(zip(filas[0], f, strict=True)) for f in filas[1:]]


async def exportar(soporte: SoporteClient, usuario: Any, **params: Any) -> list[dict[str, str]]:
    r = await soporte.get(URL, headers=soporte.auth(usuario), params=params)
    assert r.status == 200, await r.text()
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="casos-')
    return leer(await r.read(), params.get("separador", ","))


async def test_columns_values_and_filters(soporte: SoporteClient) -> None:
    lucia = await soporte.usuario("lucia")
    agente = await soporte.usuario("agente", Rol.AGENTE)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    await pagos.miembros.add(agente)
    viejo = await crear(soporte, lucia, titulo="=Cobro duplicado", urgencia="ALTA")
    await fechar(viejo["id"], datetime.now(UTC) - timedelta(days=1))
    nuevo = await crear(soporte, lucia, tipo="CONSULTA", urgencia="BAJA", titulo="Pregunta")
    r = await soporte.patch(
        f"/api/soporte/casos/{viejo['id']}/",
        headers=soporte.auth(agente),
        json={
            "equipo": pagos.id,
            "agente_asignado": agente.id,
            "reservas_relacionadas": [7, 9],
            "estado": "EN_INVESTIGACION",
        },
    )
    assert r.status == 200, await r.text()
    r = await soporte.post(
        f"/api/soporte/casos/{viejo['id']}/responder/",
        headers=soporte.auth(agente),
        json={"mensaje": "NOTA-SECRETA", "interna": True},
    )
    assert r.status == 201
    await tags.fijar(connections.get("default"), ENLACE_ETIQUETAS, viejo["id"], poner=["Fraude"])
    caso = await Caso.get(id=viejo["id"])

    filas = await exportar(soporte, agente)
    assert [f["numero"] for f in filas] == [nuevo["numero"], viejo["numero"]]  # newest first
    assert filas[1] == {
        "numero": viejo["numero"],
        "titulo": "'=Cobro duplicado",  # the CSV-injection guard
        "descripcion": "El enlace del correo da error.",
        "tipo_caso": "CONSULTA",
        "urgencia": "ALTA",
        "estado": "EN_INVESTIGACION",
        "impacto_estimado": "INDIVIDUAL",
        "cliente_afectado": lucia.nombre_visible,
        "cliente_afectado_email": lucia.email,
        "creado_por": lucia.nombre_visible,
        "agente_asignado": agente.nombre_visible,
        "equipo": "Pagos",
        "etiquetas": "Fraude",
        "reservas_relacionadas": "7, 9",
        "tickets_relacionados": "",
        "fecha_creacion": caso.fecha_creacion.astimezone(UTC).isoformat(),
        "fecha_actualizacion": caso.fecha_actualizacion.astimezone(UTC).isoformat(),
    }
    r = await soporte.get(URL, headers=soporte.auth(agente))
    assert b"NOTA-SECRETA" not in await r.read()
    assert [f["numero"] for f in await exportar(soporte, agente, urgencia="BAJA")] == [
        nuevo["numero"]
    ]
    assert [f["numero"] for f in await exportar(soporte, agente, estado="EN_INVESTIGACION")] == [
        viejo["numero"]
    ]
    # The list's tag filter too (by key: case and accents do not matter).
    assert [f["numero"] for f in await exportar(soporte, agente, etiqueta="fraude")] == [
        viejo["numero"]
    ]
    filas = await exportar(soporte, agente, separador=";")
    assert len(filas) == 2


async def test_only_agents_export(soporte: SoporteClient) -> None:
    lucia = await soporte.usuario("lucia")
    await crear(soporte, lucia)
    assert (await soporte.get(URL)).status == 401
    assert (await soporte.get(URL, headers=soporte.auth(lucia))).status == 403
    assert (await soporte.post(URL + "enlace/", headers=soporte.auth(lucia))).status == 403


async def test_team_visibility(start_app: Any) -> None:
    soporte = await start_app(["casos"], team_visibility=True)
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    tecnico = await Equipo.create(nombre="Técnico", categorias=["TECNICO"])
    await pagos.miembros.add(ana)
    propio = await crear(soporte, lucia)
    ajeno = await crear(soporte, lucia)
    libre = await crear(soporte, lucia)
    await Caso.filter(id=propio["id"]).update(equipo_id=pagos.id)
    await Caso.filter(id=ajeno["id"]).update(equipo_id=tecnico.id)
    numeros = {f["numero"] for f in await exportar(soporte, ana)}
    assert numeros == {propio["numero"], libre["numero"]}


async def test_batches_and_signed_link(start_app: Any) -> None:
    soporte = await start_app(["casos"], export_batch_size=4)
    lucia = await soporte.usuario("lucia")
    agente = await soporte.usuario("agente", Rol.AGENTE)
    creados = [await crear(soporte, lucia, titulo=f"Caso {i}") for i in range(10)]
    ahora = datetime.now(UTC)
    for i, c in enumerate(creados[:6]):
        await fechar(c["id"], ahora - timedelta(hours=1))  # ties on the date: the id decides
        if i % 2:
            await poner_estado(c["id"], "CERRADO")
    r = await soporte.get("/api/soporte/casos/", headers=soporte.auth(agente), params={"size": 50})
    esperados = [c["numero"] for c in (await r.json())["results"]]
    assert [f["numero"] for f in await exportar(soporte, agente)] == esperados

    r = await soporte.post(
        URL + "enlace/", headers=soporte.auth(agente), params={"estado": "CERRADO"}
    )
    assert r.status == 200, await r.text()
    url = (await r.json())["url"]
    r = await soporte.get("/" + url.split("//", 1)[1].split("/", 1)[1])  # no token
    assert r.status == 200
    assert len(leer(await r.read())) == 3
    token = url.rstrip("/").rsplit("/", 1)[1]
    r = await soporte.get(f"/api/soporte/tickets/exportar/enlace/{token}/")
    assert r.status in (403, 404)  # another export's link (tickets is not even enabled here)
