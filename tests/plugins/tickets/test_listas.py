"""mis-tickets, the agents' list and recientes: visibility, every filter, ordering, pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.auth.models import Rol
from plugins.tickets.service import Ticket
from tests.plugins.tickets.conftest import crear

pytestmark = pytest.mark.plugins("tickets")

MIS = "/api/soporte/mis-tickets/"
TODOS = "/api/soporte/tickets/"


def ids(pagina: dict) -> list[int]:
    return [t["id"] for t in pagina["results"]]


async def listar(soporte, usuario, url, **params) -> dict:
    r = await soporte.get(url, headers=soporte.auth(usuario), params=params)
    assert r.status == 200, await r.text()
    return await r.json()


async def fechar(ticket: dict, cuando: datetime) -> None:
    await Ticket.filter(id=ticket["id"]).update(fecha_creacion=cuando)


@pytest.fixture
async def escenario(soporte):
    """Two customers, an agent, and tickets spread over categories, priorities and days."""
    lucia = await soporte.usuario("lucia")
    martin = await soporte.usuario("martin")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    t = {}
    t["pago"] = await crear(
        soporte, lucia, asunto="Pago rechazado", categoria="PAGOS", prioridad="ALTA"
    )
    t["fechas"] = await crear(
        soporte,
        lucia,
        asunto="Cambio de fechas",
        categoria="RESERVAS",
        prioridad="MEDIA",
        descripcion="Quiero mover la estancia en el Hotel Mirador",
    )
    t["app"] = await crear(
        soporte, lucia, asunto="La app se cierra", categoria="TECNICO", prioridad="BAJA"
    )
    t["ajeno"] = await crear(
        soporte, martin, asunto="Pago duplicado", categoria="PAGOS", prioridad="ALTA"
    )
    await fechar(t["pago"], datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    await fechar(t["fechas"], datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    await fechar(t["app"], datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    await fechar(t["ajeno"], datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    return soporte, lucia, martin, carla, t


async def test_mis_tickets_como_la_guia(escenario):
    soporte, lucia, martin, _, t = escenario
    # URLSearchParams of obtenerMisTickets() with no filter chosen: empty values.
    r = await soporte.get(
        f"{MIS}?page=1&size=10&estado=&categoria=&fecha_desde=&fecha_hasta=",
        headers=soporte.auth(lucia),
    )
    assert r.status == 200
    pagina = await r.json()
    assert set(pagina) == {"count", "count_exacto", "next", "previous", "results"}
    assert pagina["count"] == 3 and pagina["next"] is None and pagina["previous"] is None
    assert pagina["count_exacto"] is True  # always present on the ticket lists
    # Only her own, newest first.
    assert ids(pagina) == [t["app"]["id"], t["fechas"]["id"], t["pago"]["id"]]
    assert ids(await listar(soporte, martin, MIS)) == [t["ajeno"]["id"]]


async def test_un_agente_en_mis_tickets_solo_ve_los_suyos(escenario):
    soporte, _, _, carla, _ = escenario
    assert (await listar(soporte, carla, MIS))["count"] == 0


async def test_paginas(soporte):
    ana = await soporte.usuario("ana")
    for i in range(12):
        await crear(soporte, ana, asunto=f"Ticket {i}")
    primera = await listar(soporte, ana, MIS, size=5)
    assert primera["count"] == 12 and len(primera["results"]) == 5
    assert primera["previous"] is None
    assert primera["next"].startswith("http://") and "page=2" in primera["next"]
    ultima = await listar(soporte, ana, MIS, size=5, page=3)
    assert len(ultima["results"]) == 2 and ultima["next"] is None and "page=2" in ultima["previous"]
    todas = ids(primera) + ids(await listar(soporte, ana, MIS, size=5, page=2)) + ids(ultima)
    assert len(set(todas)) == 12
    pasada = await listar(soporte, ana, MIS, size=5, page=9)
    assert pasada["results"] == [] and pasada["count"] == 12


@pytest.mark.parametrize("url", [MIS, TODOS])
@pytest.mark.parametrize(
    ("filtro", "esperados"),
    [
        ({"categoria": "PAGOS"}, ["pago"]),
        ({"categoria": "RESERVAS"}, ["fechas"]),
        ({"prioridad": "BAJA"}, ["app"]),
        ({"prioridad": "ALTA", "categoria": "TECNICO"}, []),
        ({"estado": "EN_PROGRESO"}, ["fechas"]),
        ({"estado": "ABIERTO"}, ["app", "pago"]),
        ({"fecha_desde": "2026-03-02"}, ["app", "fechas"]),
        ({"fecha_hasta": "2026-03-02"}, ["fechas", "pago"]),  # the whole day, inclusive
        ({"fecha_desde": "2026-03-02", "fecha_hasta": "2026-03-02"}, ["fechas"]),
        ({"fecha_desde": "2026-03-02T23:30:00+00:00"}, ["app", "fechas"]),
        ({"fecha_desde": "2026-03-02T23:30:00.000001Z"}, ["app"]),
        ({"fecha_hasta": "2026-03-01T10:00:00Z"}, ["pago"]),
        ({"fecha_hasta": "2026-03-01T09:59:59"}, []),
        ({"fecha_desde": "2026-03-03T09:00:00+02:00"}, ["app"]),  # 07:00 UTC
        ({"q": "mirador"}, ["fechas"]),  # in the description, any case
        ({"q": "APP"}, ["app"]),
        ({"q": "nada de esto"}, []),
        # Punctuation is no search term (no engine syntax gets through): no text filter.
        ({"q": "% * \"'"}, ["app", "fechas", "pago"]),
    ],
)
async def test_filtros(escenario, url, filtro, esperados):
    soporte, lucia, _, carla, t = escenario
    await soporte.patch(
        f"/api/soporte/tickets/{t['fechas']['id']}/",
        headers=soporte.auth(carla),
        json={"estado": "EN_PROGRESO"},
    )
    usuario = lucia if url == MIS else carla
    pagina = await listar(soporte, usuario, url, **filtro)
    resultado = ids(pagina)
    if url == TODOS:  # the agents' list also holds the other customer's ticket
        resultado = [i for i in resultado if i != t["ajeno"]["id"]]
    assert resultado == [t[k]["id"] for k in esperados]


async def test_filtro_q_por_numero(escenario):
    soporte, lucia, _, _, t = escenario
    pagina = await listar(soporte, lucia, MIS, q=t["fechas"]["numero"])
    assert ids(pagina) == [t["fechas"]["id"]]


@pytest.mark.parametrize("url", [MIS, TODOS])
@pytest.mark.parametrize(
    ("params", "campo"),
    [
        ({"estado": "abierto"}, "estado"),
        ({"estado": "PENDIENTE"}, "estado"),
        ({"categoria": "OTRA"}, "categoria"),
        ({"prioridad": "URGENTE"}, "prioridad"),
        ({"fecha_desde": "2026-13-01"}, "fecha_desde"),
        ({"fecha_hasta": "ayer"}, "fecha_hasta"),
        ({"fecha_desde": "01/03/2026"}, "fecha_desde"),
        ({"page": "0"}, "page"),
        ({"page": "uno"}, "page"),
        ({"size": "101"}, "size"),
    ],
)
async def test_filtros_invalidos_son_400(escenario, url, params, campo):
    soporte, _, _, carla, _ = escenario
    r = await soporte.get(url, headers=soporte.auth(carla), params=params)
    assert r.status == 400
    assert campo in (await r.json())["errors"]


async def test_lista_de_agentes_prohibida_a_clientes(escenario):
    soporte, lucia, _, _, _ = escenario
    r = await soporte.get(TODOS, headers=soporte.auth(lucia))
    assert r.status == 403
    r = await soporte.get(TODOS)
    assert r.status == 401


async def test_lista_de_agentes_filtros_propios(escenario):
    soporte, lucia, martin, carla, t = escenario
    ana = await soporte.usuario("ana", Rol.ADMIN)
    todos = await listar(soporte, carla, TODOS)
    assert todos["count"] == 4
    assert ids(await listar(soporte, ana, TODOS)) == ids(todos)  # admins are agents too
    assert ids(await listar(soporte, carla, TODOS, cliente=martin.id)) == [t["ajeno"]["id"]]
    assert len(ids(await listar(soporte, carla, TODOS, cliente=lucia.id))) == 3
    await soporte.patch(
        f"/api/soporte/tickets/{t['app']['id']}/",
        headers=soporte.auth(carla),
        json={"agente_asignado": carla.id},
    )
    assert ids(await listar(soporte, carla, TODOS, agente_asignado=carla.id)) == [t["app"]["id"]]
    await Ticket.filter(id=t["pago"]["id"]).update(nivel_escalamiento=2)
    assert ids(await listar(soporte, carla, TODOS, nivel_escalamiento=2)) == [t["pago"]["id"]]
    assert len(ids(await listar(soporte, carla, TODOS, nivel_escalamiento=0))) == 3
    for malo in (
        {"cliente": "x"},
        {"cliente": str(2**31)},
        {"agente_asignado": "0"},
        {"nivel_escalamiento": "-1"},
    ):
        r = await soporte.get(TODOS, headers=soporte.auth(carla), params=malo)
        assert r.status == 400 and set(malo) <= set((await r.json())["errors"])


@pytest.mark.parametrize(
    ("ordering", "esperados"),
    [
        (None, ["app", "fechas", "ajeno", "pago"]),
        ("-fecha_creacion", ["app", "fechas", "ajeno", "pago"]),
        ("fecha_creacion", ["pago", "ajeno", "fechas", "app"]),
        ("numero", ["pago", "fechas", "app", "ajeno"]),
        ("-numero", ["ajeno", "app", "fechas", "pago"]),
        ("id", ["pago", "fechas", "app", "ajeno"]),
        # Priority from low to high (ties: id), so ``-prioridad`` puts ALTA first.
        ("prioridad", ["app", "fechas", "pago", "ajeno"]),
        ("-prioridad", ["ajeno", "pago", "fechas", "app"]),
        ("-prioridad,fecha_creacion", ["pago", "ajeno", "fechas", "app"]),
        ("categoria,-fecha_creacion", ["ajeno", "pago", "fechas", "app"]),
        # States in lifecycle order: ABIERTO, EN_PROGRESO, RESUELTO, CERRADO.
        ("estado,fecha_creacion", ["pago", "ajeno", "app", "fechas"]),
        ("-estado,fecha_creacion", ["fechas", "pago", "ajeno", "app"]),
        ("-fecha_actualizacion", ["fechas", "ajeno", "app", "pago"]),
        ("nivel_escalamiento,id", ["pago", "fechas", "app", "ajeno"]),
    ],
)
async def test_ordering(escenario, ordering, esperados):
    soporte, _, _, carla, t = escenario
    # fechas → EN_PROGRESO (updated last); ajeno → updated before app, after pago.
    for clave, cuando in (("pago", 1), ("app", 3), ("ajeno", 4)):
        await Ticket.filter(id=t[clave]["id"]).update(
            fecha_actualizacion=datetime(2026, 4, cuando, tzinfo=UTC)
        )
    await soporte.patch(
        f"/api/soporte/tickets/{t['fechas']['id']}/",
        headers=soporte.auth(carla),
        json={"estado": "EN_PROGRESO"},
    )
    params = {"ordering": ordering} if ordering else {}
    assert ids(await listar(soporte, carla, TODOS, **params)) == [t[k]["id"] for k in esperados]


@pytest.mark.parametrize("ordering", ["asunto", "-password", "prioridad,cliente__username", "?"])
async def test_ordering_desconocido_es_400(escenario, ordering):
    soporte, _, _, carla, _ = escenario
    r = await soporte.get(TODOS, headers=soporte.auth(carla), params={"ordering": ordering})
    assert r.status == 400
    assert "ordering" in (await r.json())["errors"]


async def test_recientes(soporte):
    lucia = await soporte.usuario("lucia")
    martin = await soporte.usuario("martin")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    suyos = [await crear(soporte, lucia, asunto=f"L{i}") for i in range(12)]
    ajeno = await crear(soporte, martin, asunto="M")
    r = await soporte.get("/api/soporte/tickets/recientes/", headers=soporte.auth(lucia))
    assert r.status == 200
    recientes = await r.json()
    assert isinstance(recientes, list)  # an array, not a page
    assert [x["id"] for x in recientes] == [x["id"] for x in reversed(suyos)][:10]
    assert {"numero", "asunto", "estado"} <= set(recientes[0])  # what the dashboard reads
    r = await soporte.get("/api/soporte/tickets/recientes", headers=soporte.auth(carla))
    todos = await r.json()
    assert len(todos) == 10 and todos[0]["id"] == ajeno["id"]
    r = await soporte.get("/api/soporte/tickets/recientes/", headers=soporte.auth(martin))
    assert [x["id"] for x in await r.json()] == [ajeno["id"]]
    nadie = await soporte.usuario("nadie")
    r = await soporte.get("/api/soporte/tickets/recientes/", headers=soporte.auth(nadie))
    assert await r.json() == []
    r = await soporte.get("/api/soporte/tickets/recientes/")
    assert r.status == 401
