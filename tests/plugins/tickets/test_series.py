"""``GET /api/soporte/dashboard/series/``: the tickets' and escalation's figures on a small
known data set, the period's validation, visibility, and the per-hour/per-day totals
(:mod:`plugins.tickets.agregados_periodo`) kept in step by every write and rebuilt at start-up."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.connection import connections

from core.auth.models import Equipo, Rol
from plugins.tickets import agregados_periodo as ap
from plugins.tickets.models import Ticket, Valoracion
from tests.plugins.tickets.conftest import crear, responder

pytestmark = pytest.mark.plugins("tickets", "escalamiento")

URL = "/api/soporte/dashboard/series/"


async def series(soporte: Any, usuario: Any, **params: str) -> dict[str, Any]:
    r = await soporte.get(URL, headers=soporte.auth(usuario), params=params)
    assert r.status == 200, await r.text()
    return await r.json()


async def tablas(soporte: Any, usuario: Any, **params: str) -> dict[str, Any]:
    """The tables' answer (``GET …/series/tablas/``)."""
    r = await soporte.get(URL + "tablas/", headers=soporte.auth(usuario), params=params)
    assert r.status == 200, await r.text()
    return (await r.json())["tablas"]


def valores(datos: dict[str, Any], nombre: str) -> list[Any]:
    return datos["series"][nombre]["valores"]


async def test_cifras_de_un_conjunto_conocido(soporte):
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    a, b, c = [await crear(soporte, lucia, asunto=f"T{i}") for i in range(3)]
    hace_dos = datetime.now(UTC) - timedelta(days=2)
    await Ticket.filter(id__in=[a["id"], b["id"]]).update(fecha_creacion=hace_dos)
    await Ticket.filter(id=a["id"]).update(segundos_primera_respuesta=3600)
    await Ticket.filter(id=b["id"]).update(segundos_primera_respuesta=7200)
    await Ticket.filter(id=b["id"]).update(estado="RESUELTO", agente_asignado_id=carla.id)
    await Ticket.filter(id=c["id"]).update(nivel_escalamiento=1, estado="EN_PROGRESO")
    await Valoracion.create(ticket_id=b["id"], puntuacion=5)
    await Valoracion.create(ticket_id=a["id"], puntuacion=2)

    datos = await series(soporte, carla, periodo="7d")
    assert len(datos["dias"]) == 7 and datos["zona"] == "UTC"
    assert datos["dias"][-1] == datetime.now(UTC).date().isoformat()
    assert valores(datos, "tickets_creados") == [0, 0, 0, 0, 2, 0, 1]
    assert valores(datos, "tickets_resueltos") == [0, 0, 0, 0, 0, 0, 1]
    assert valores(datos, "primera_respuesta") == [None] * 4 + [1.5, None, None]
    assert valores(datos, "tiempo_resolucion")[-1] == 48.0  # created two days before
    assert valores(datos, "csat")[-1] == 50.0  # one of two ratings is 4 or 5
    assert valores(datos, "backlog_abierto")[-1] == 1  # a
    assert valores(datos, "backlog_en_progreso")[-1] == 1  # c
    assert valores(datos, "sla_incumplido") == [0] * 6 + [1]
    assert valores(datos, "sla_cumplido") == [0, 0, 0, 0, 2, 0, 0]
    de_la_semana = await tablas(soporte, carla, periodo="7d")
    por_agente = {f["nombre"]: f for f in de_la_semana["agentes"]["filas"]}
    assert por_agente[carla.nombre_visible] == {
        "id": carla.id,
        "nombre": carla.nombre_visible,
        "asignados": 1,
        "resueltos": 1,
        "primera_respuesta": 2.0,
        "csat": 100.0,
    }
    assert por_agente["Sin asignar"]["asignados"] == 2
    # Every figure says what it is.
    assert all(s["definicion"] for s in datos["series"].values())
    assert all(c["definicion"] for t in de_la_semana.values() for c in t["columnas"])

    hoy = await series(soporte, carla, periodo="hoy")
    assert valores(hoy, "tickets_creados") == [1]
    a_medida = await series(
        soporte,
        carla,
        desde=(hace_dos.date()).isoformat(),
        hasta=(hace_dos.date() + timedelta(days=1)).isoformat(),
    )
    assert valores(a_medida, "tickets_creados") == [2, 0]


async def test_dias_de_la_zona_del_negocio(start_app):
    """Days are the business timezone's: 20:00 UTC is already the next day in Tokyo."""
    from zoneinfo import ZoneInfo

    soporte = await start_app(["tickets"], dashboard_timezone="Asia/Tokyo")  # UTC+9, no DST
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    t = await crear(soporte, lucia)
    momento = (datetime.now(UTC) - timedelta(days=3)).replace(hour=20, minute=0)
    await Ticket.filter(id=t["id"]).update(fecha_creacion=momento)
    datos = await series(soporte, carla, periodo="7d")
    tokio = ZoneInfo("Asia/Tokyo")
    assert datos["zona"] == "Asia/Tokyo"
    assert datos["dias"][-1] == datetime.now(tokio).date().isoformat()
    dia = momento.astimezone(tokio).date().isoformat()
    assert dia != momento.date().isoformat()
    creados = valores(datos, "tickets_creados")
    assert creados[datos["dias"].index(dia)] == 1 and sum(creados) == 1


@pytest.mark.parametrize(
    ("params", "mensaje"),
    [
        ({"desde": "2026-01-10", "hasta": "2026-01-01"}, "anterior"),
        ({"desde": "2026-01-10"}, "necesita"),
        ({"periodo": "7d", "desde": "2026-01-01", "hasta": "2026-01-02"}, "no ambos"),
        ({"desde": "2020-01-01", "hasta": "2026-01-01"}, "366"),
        ({"desde": "2999-01-01", "hasta": "2999-01-02"}, "futuro"),
    ],
)
async def test_periodo_invalido(soporte, params, mensaje):
    carla = await soporte.usuario("carla", Rol.AGENTE)
    r = await soporte.get(URL, headers=soporte.auth(carla), params=params)
    assert r.status == 400
    cuerpo = await r.json()
    assert mensaje in cuerpo.get("detail", "") + cuerpo["title"]


async def test_periodo_desconocido(soporte):
    carla = await soporte.usuario("carla", Rol.AGENTE)
    r = await soporte.get(URL, headers=soporte.auth(carla), params={"periodo": "365d"})
    assert r.status == 400


async def test_un_cliente_no(soporte):
    lucia = await soporte.usuario("lucia")
    assert (await soporte.get(URL, headers=soporte.auth(lucia))).status == 403


async def test_visibilidad_por_equipos(start_app):
    soporte = await start_app(["tickets"], team_visibility=True)
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    tecnico = await Equipo.create(nombre="Técnico", categorias=["TECNICO"])
    await pagos.miembros.add(ana)
    await crear(soporte, lucia, categoria="PAGOS")
    await crear(soporte, lucia, categoria="TECNICO")
    await crear(soporte, lucia, categoria="TECNICO")
    await crear(soporte, lucia, categoria="RESERVAS")  # no team
    assert await Ticket.filter(equipo_id=tecnico.id).count() == 2
    suyas = await series(soporte, ana, periodo="hoy")
    todas = await series(soporte, jefa, periodo="hoy")
    assert valores(todas, "tickets_creados") == [4]
    assert valores(suyas, "tickets_creados") == [2]  # Pagos and the one without a team
    equipos = {f["nombre"] for f in (await tablas(soporte, ana, periodo="hoy"))["equipos"]["filas"]}
    assert equipos == {"Pagos", "Sin equipo"}


# --- the totals ------------------------------------------------------------------------------


async def _tabla() -> dict[tuple[str, int, int], dict[str, int]]:
    conn = connections.get("default")
    filas = await conn.execute_query_dict(f"SELECT * FROM {ap.TABLA}")
    return {
        (f["periodo"], f["equipo_id"], f["agente_id"]): {c: int(f[c]) for c in ap.COLUMNAS}
        for f in filas
    }


async def _comprobar_en_paso() -> None:
    """The day rows against the tickets themselves: what is counted by creation per (day,
    team, agent), the ratings, and the states reached by summing every move."""
    tabla = await _tabla()
    esperado: Counter[tuple[str, int, int, str]] = Counter()
    estados: Counter[tuple[int, int, str]] = Counter()
    for t in await Ticket.all():
        clave = ("d" + t.fecha_creacion.astimezone(UTC).date().isoformat(),
                 t.equipo_id or 0, t.agente_asignado_id or 0)  # fmt: skip
        esperado[(*clave, "creados")] += 1
        if t.segundos_primera_respuesta is not None:
            esperado[(*clave, "respondidos")] += 1
            esperado[(*clave, "seg_respuesta")] += t.segundos_primera_respuesta
        esperado[(*clave, "escalados")] += t.nivel_escalamiento > 0
        estados[(t.equipo_id or 0, t.agente_asignado_id or 0, t.estado.value.lower())] += 1
    for columna in ("creados", "respondidos", "seg_respuesta", "escalados"):
        real = {k: v[columna] for k, v in tabla.items() if k[0][0] == "d" and v[columna]}
        assert real == {k[:3]: n for k, n in esperado.items() if k[3] == columna and n}, columna
    netos: Counter[tuple[int, int, str]] = Counter()
    for (periodo, equipo, agente), v in tabla.items():
        if periodo[0] == "d":
            for e in ("abierto", "en_progreso", "resuelto", "cerrado"):
                netos[(equipo, agente, e)] += v[f"neto_{e}"]
    assert {k: n for k, n in netos.items() if n} == dict(estados)
    horas = [v for k, v in tabla.items() if k[0][0] == "h"]
    assert sum(v["creados"] for v in horas) == await Ticket.all().count()
    assert sum(v["valorados"] for v in horas) == await Valoracion.all().count()
    _comprobar_rollups(tabla)


def _rollups_esperados(
    tabla: dict[tuple[str, int, int], dict[str, int]],
) -> dict[tuple[str, int, int], dict[str, int]]:
    """The roll-ups the hour and day rows imply: every ticket's UTC days (``a``) from the hours,
    and the thirds of month (``e``) and months (``m``) per team and agent from the days."""
    esperado: dict[tuple[str, int, int], Counter[str]] = {}
    for (periodo, equipo, agente), v in tabla.items():
        dia = periodo[1:11]
        if periodo[0] == "h":
            claves = [("a" + dia, equipo, agente)]
        elif periodo[0] == "d":
            tercio = "1" if dia[8:] <= "10" else "2" if dia[8:] <= "20" else "3"
            claves = [(f"e{dia[:8]}{tercio}", equipo, agente), ("m" + dia[:7], equipo, agente)]
        else:
            continue
        for clave in claves:
            esperado.setdefault(clave, Counter()).update(v)
    return {k: {c: v[c] for c in ap.COLUMNAS} for k, v in esperado.items() if any(v.values())}


def _comprobar_rollups(tabla: dict[tuple[str, int, int], dict[str, int]]) -> None:
    """Every roll-up row equals the sum of the rows it rolls up (zero rows aside)."""
    reales = {k: v for k, v in tabla.items() if k[0][0] in "aem" and any(v.values())}
    assert reales == _rollups_esperados(tabla)


async def test_cada_escritura_mantiene_los_totales(soporte):
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    pepe = await soporte.usuario("pepe", Rol.AGENTE)
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    ticket = await crear(soporte, lucia)  # creation
    await _comprobar_en_paso()
    r = await responder(soporte, carla, ticket["id"], "Lo miro")  # a reply: first answer
    assert r.status == 201
    await _comprobar_en_paso()
    url = f"/api/soporte/tickets/{ticket['id']}/"
    r = await soporte.patch(url, headers=soporte.auth(jefa), json={"agente_asignado": carla.id})
    assert r.status == 200, await r.text()  # an assignment
    await _comprobar_en_paso()
    r = await soporte.patch(url, headers=soporte.auth(jefa), json={"agente_asignado": pepe.id})
    assert r.status == 200, await r.text()  # a reassignment
    await _comprobar_en_paso()
    r = await soporte.patch(url, headers=soporte.auth(pepe), json={"estado": "RESUELTO"})
    assert r.status == 200, await r.text()  # a state change
    await _comprobar_en_paso()
    datos = await series(soporte, jefa, periodo="hoy")
    assert valores(datos, "tickets_resueltos") == [1]
    r = await soporte.post(
        f"{url}valorar/", headers=soporte.auth(lucia), json={"puntuacion": 4}
    )  # a rating
    assert r.status in (200, 201), await r.text()
    await _comprobar_en_paso()
    assert valores(await series(soporte, jefa, periodo="hoy"), "csat") == [100.0]
    await Valoracion.filter(ticket_id=ticket["id"]).update(puntuacion=2)  # a rating changed
    await _comprobar_en_paso()
    assert valores(await series(soporte, jefa, periodo="hoy"), "csat") == [0.0]
    await Ticket.filter(id=ticket["id"]).delete()  # a deletion
    await _comprobar_en_paso()


async def test_reconstruidos_al_arrancar(soporte):
    """A database from before the totals: its rows are rebuilt at start-up, equal to what
    the triggers keep for everything counted by creation and for ratings."""
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    for i in range(3):
        t = await crear(soporte, lucia, asunto=f"T{i}")
        await responder(soporte, carla, t["id"], "Hola")
    await Valoracion.create(ticket_id=t["id"], puntuacion=5)
    mantenidos = await _tabla()
    conn = connections.get("default")
    await conn.execute_query(f"DELETE FROM {ap.TABLA}")  # as before this change
    await ap.preparar()
    reconstruidos = await _tabla()
    assert reconstruidos.keys() >= {k for k, v in mantenidos.items() if v["creados"]}
    for clave, v in mantenidos.items():
        for columna in ("creados", "respondidos", "seg_respuesta", "valorados", "satisfechos"):
            assert reconstruidos.get(clave, {}).get(columna, 0) == v[columna], (clave, columna)
    await _comprobar_en_paso()
    await ap.preparar()  # in step: nothing rebuilt
    assert await _tabla() == reconstruidos


def test_tramos_cubren_cada_dia_una_vez():
    """The table's keys: whole months, whole thirds of month, then days — each day of the
    period in exactly one of them, and a 90-day period in about twenty keys."""
    from datetime import date

    def dias(clave: str) -> set[date]:
        if clave[0] == "d":
            return {date.fromisoformat(clave[1:])}
        anio, mes = int(clave[1:5]), int(clave[6:8])
        primero = date(anio, mes, 1)
        siguiente = (primero + timedelta(days=32)).replace(day=1)
        todos = {primero + timedelta(days=i) for i in range((siguiente - primero).days)}
        if clave[0] == "m":
            return todos
        tercio = int(clave[9])
        return {d for d in todos if min((d.day - 1) // 10 + 1, 3) == tercio}

    assert ap.tramos(date(2026, 2, 1), date(2026, 2, 28)) == ["m2026-02"]
    assert ap.tramos(date(2026, 1, 9), date(2026, 1, 21)) == [
        "d2026-01-09", "d2026-01-10", "e2026-01-2", "d2026-01-21",
    ]  # fmt: skip
    for primero, n in ((date(2026, 9, 5), 90), (date(2024, 2, 20), 90), (date(2025, 12, 30), 3)):
        ultimo = primero + timedelta(days=n - 1)
        claves = ap.tramos(primero, ultimo)
        cubiertos = [d for c in claves for d in dias(c)]
        assert sorted(cubiertos) == [primero + timedelta(days=i) for i in range(n)]
        assert len(claves) <= 24


async def test_tabla_de_90_dias_por_meses_y_tercios(soporte):
    """A 90-day table sums month and third-of-month roll-ups with the edge days: tickets spread
    over the period count once each, and one created before it not at all."""
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    ahora = datetime.now(UTC)
    hace = [3, 17, 40, 61, 88, 95]  # days ago: the last one is outside the 90 days
    for i, dias in enumerate(hace):
        t = await crear(soporte, lucia, asunto=f"T{i}")
        await Ticket.filter(id=t["id"]).update(
            fecha_creacion=ahora - timedelta(days=dias), agente_asignado_id=carla.id
        )
    await _comprobar_en_paso()
    datos = await series(soporte, jefa, periodo="90d")
    filas = (await tablas(soporte, jefa, periodo="90d"))["agentes"]["filas"]
    por_agente = {f["nombre"]: f for f in filas}
    assert por_agente[carla.nombre_visible]["asignados"] == 5
    assert sum(valores(datos, "tickets_creados")) == 5
    dias_creados = [
        d for d, n in zip(datos["dias"], valores(datos, "tickets_creados"), strict=True) if n
    ]
    assert dias_creados == sorted((ahora - timedelta(days=d)).date().isoformat() for d in hace[:5])


async def test_rollups_que_faltan_reconstruidos_al_arrancar(soporte):
    """A database with the hour and day rows but none of the roll-ups (from before them): the
    start-up check sees the day and month sums disagree and rebuilds them."""
    lucia = await soporte.usuario("lucia")
    for i in range(3):
        await crear(soporte, lucia, asunto=f"T{i}")
    mantenidos = await _tabla()
    conn = connections.get("default")
    await conn.execute_query(
        f"DELETE FROM {ap.TABLA} WHERE substr(periodo, 1, 1) IN ('a', 'e', 'm')"
    )
    await ap.preparar()
    reconstruidos = await _tabla()
    for clave, v in mantenidos.items():
        if clave[0][0] in "aem":
            assert reconstruidos[clave] == v, clave
    _comprobar_rollups(reconstruidos)


async def test_dos_arranques_a_la_vez_reconstruyen_una_vez(soporte):
    """Two processes starting at once (gunicorn's workers) prepare the totals side by side: on
    PostgreSQL each ``preparar`` runs on its own pooled connection, so without one lock they
    fail on the trigger functions ("tuple concurrently updated") or both rebuild, and every
    row counts twice. Under :func:`core.db.exclusive` the second finds the work done."""
    import asyncio

    from plugins.tickets import agregados

    lucia = await soporte.usuario("lucia")
    for i in range(3):
        await crear(soporte, lucia, asunto=f"T{i}")
    mantenidos = await _tabla()
    conn = connections.get("default")
    await conn.execute_query("DELETE FROM tickets_agregado")
    await conn.execute_query(f"DELETE FROM {ap.TABLA}")

    async def arranque() -> None:
        await agregados.preparar()
        await ap.preparar()

    await asyncio.gather(arranque(), arranque(), arranque())
    totales = await conn.execute_query_dict(
        "SELECT COALESCE(SUM(n), 0) AS n FROM tickets_agregado WHERE clave LIKE 't|%'"
    )
    assert totales[0]["n"] == 3
    reconstruidos = await _tabla()
    for clave, v in mantenidos.items():
        assert reconstruidos.get(clave, {}).get("creados", 0) == v["creados"], clave
    await _comprobar_en_paso()


async def test_tabla_con_las_filas_de_mas_tickets_y_el_resto_sumado(soporte):
    """``filas=N``: the N agents with the most tickets, then one row «Otros» whose figures are
    those of the rest taken together (sums, and averages over the summed parts); ``filas=0``
    answers every agent."""
    lucia = await soporte.usuario("lucia")
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    agentes = [await soporte.usuario(f"agente{i}", Rol.AGENTE) for i in range(4)]
    # agente0: 4 tickets, agente1: 3, agente2: 2, agente3: 1 — first answers of 1 h and 3 h
    # for agente2's two tickets, none for agente3's.
    for i, agente in enumerate(agentes):
        for j in range(4 - i):
            t = await crear(soporte, lucia, asunto=f"A{i}-{j}")
            segundos = 3600 * (1 + 2 * j) if i == 2 else None
            await Ticket.filter(id=t["id"]).update(
                agente_asignado_id=agente.id, segundos_primera_respuesta=segundos
            )
            if i == 3:
                await Valoracion.create(ticket_id=t["id"], puntuacion=5)
    todas = (await tablas(soporte, jefa, periodo="hoy", filas="0"))["agentes"]
    assert [f["asignados"] for f in todas["filas"]] == [4, 3, 2, 1] and todas["otras_filas"] == 0

    dos = (await tablas(soporte, jefa, periodo="hoy", filas="2"))["agentes"]
    assert [f["nombre"] for f in dos["filas"]] == [
        agentes[0].nombre_visible,
        agentes[1].nombre_visible,
        "Otros (2)",
    ]
    assert dos["otras_filas"] == 2
    assert dos["filas"][-1] == {
        "id": None,
        "nombre": "Otros (2)",
        "asignados": 3,
        "resueltos": 0,
        "primera_respuesta": 2.0,  # (1 h + 3 h) / 2 answered tickets
        "csat": 100.0,  # agente3's one rating
    }
    # One row more than asked is shown as itself, not as «Otros (1)».
    tres = (await tablas(soporte, jefa, periodo="hoy", filas="3"))["agentes"]
    assert len(tres["filas"]) == 4 and tres["otras_filas"] == 0
    assert (await tablas(soporte, jefa, periodo="hoy"))["agentes"]["otras_filas"] == 0
