"""Ticket search (``q=``): the full-text index written with every write, qualifiers, ranking,
snippets, visibility and counts — on SQLite, and on PostgreSQL with SOPORTE_TEST_DATABASE_URL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tortoise.connection import connections
from tortoise.transactions import in_transaction

from core import keys
from core.auth.models import Equipo, Rol
from plugins.tickets import api, busqueda
from plugins.tickets.models import Estado, Ticket
from plugins.tickets.service import Filtros
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


async def nota(soporte, agente, ticket_id: int, mensaje: str, interna: bool = True) -> None:
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket_id}/responder/",
        headers=soporte.auth(agente),
        json={"mensaje": mensaje, "interna": interna},
    )
    assert r.status == 201, await r.text()


@pytest.fixture
async def escenario(soporte):
    """Two customers, an agent, and tickets whose words are in different places."""
    lucia = await soporte.usuario("lucia")
    martin = await soporte.usuario("martin")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    t = {
        "factura": await crear(
            soporte,
            lucia,
            asunto="No puedo descargar la factura",
            descripcion="Desde la web sale un error",
            categoria="PAGOS",
            prioridad="ALTA",
        ),
        "transaccion": await crear(
            soporte,
            lucia,
            asunto="Cobro raro",
            descripcion="Me sale «Transacción rechazada» al pagar",
            categoria="PAGOS",
            prioridad="MEDIA",
        ),
        "hotel": await crear(
            soporte,
            lucia,
            asunto="Cambio de fechas",
            descripcion="Quiero mover la estancia",
            categoria="RESERVAS",
            prioridad="BAJA",
        ),
        "ajeno": await crear(
            soporte,
            martin,
            asunto="Factura duplicada al descargar",
            descripcion="El pago salió dos veces",
            categoria="PAGOS",
            prioridad="ALTA",
        ),
    }
    return soporte, lucia, martin, carla, t


async def test_palabras_en_cualquier_orden_y_prefijo(escenario):
    soporte, lucia, _, carla, t = escenario
    assert ids(await listar(soporte, lucia, MIS, q="factura descargar")) == [t["factura"]["id"]]
    assert ids(await listar(soporte, lucia, MIS, q="DESCARGAR Factura")) == [t["factura"]["id"]]
    # The last word is a prefix: typing "descar" already finds it; plurals find the singular.
    assert ids(await listar(soporte, lucia, MIS, q="facturas descar")) == [t["factura"]["id"]]
    # The agent sees every customer's: the other ticket matches too (count exact).
    pagina = await listar(soporte, carla, TODOS, q="factura descargar")
    assert sorted(ids(pagina)) == sorted([t["factura"]["id"], t["ajeno"]["id"]])
    assert pagina["count"] == 2


async def test_sin_acentos_ni_mayusculas(escenario):
    soporte, lucia, _, carla, t = escenario
    for q in ("transaccion", "TRANSACCIÓN", "transacción rechazada"):
        assert ids(await listar(soporte, lucia, MIS, q=q)) == [t["transaccion"]["id"]], q
        assert ids(await listar(soporte, carla, TODOS, q=q)) == [t["transaccion"]["id"]], q


async def test_una_palabra_solo_en_una_respuesta(escenario):
    soporte, lucia, _, carla, t = escenario
    await nota(soporte, carla, t["hotel"]["id"], "Hemos contactado con el alojamiento", False)
    r = await soporte.post(
        f"/api/soporte/tickets/{t['hotel']['id']}/responder/",
        headers=soporte.auth(lucia),
        json={"mensaje": "Gracias, espero el localizador"},
    )
    assert r.status == 201
    for usuario, url in ((lucia, MIS), (carla, TODOS)):
        assert ids(await listar(soporte, usuario, url, q="alojamiento")) == [t["hotel"]["id"]]
        assert ids(await listar(soporte, usuario, url, q="localizador")) == [t["hotel"]["id"]]


async def test_una_nota_interna_nunca_encuentra_para_el_cliente(escenario):
    soporte, lucia, _, carla, t = escenario
    await nota(soporte, carla, t["hotel"]["id"], "Sospecha de fraude: revisar tarjeta")
    # The agent finds the ticket by the note's words (alone and with the ticket's own words).
    assert ids(await listar(soporte, carla, TODOS, q="fraude")) == [t["hotel"]["id"]]
    assert ids(await listar(soporte, carla, TODOS, q="fraude estancia")) == [t["hotel"]["id"]]
    # The customer never: not with the note's words, not mixed with the ticket's.
    for q in ("fraude", "sospecha", "fraude estancia", "revisar tarjeta"):
        pagina = await listar(soporte, lucia, MIS, q=q)
        assert pagina["count"] == 0 and pagina["results"] == [], q
    # Nor does the snippet of a match by other words show the note.
    pagina = await listar(soporte, lucia, MIS, q="fechas")
    assert ids(pagina) == [t["hotel"]["id"]]
    assert "fraude" not in (pagina["results"][0]["fragmento"] or "")


async def test_un_cliente_nunca_encuentra_tickets_ajenos(escenario):
    soporte, lucia, martin, _, t = escenario
    assert ids(await listar(soporte, lucia, MIS, q="duplicada")) == []
    assert ids(await listar(soporte, martin, MIS, q="factura")) == [t["ajeno"]["id"]]
    assert ids(await listar(soporte, martin, MIS, q=t["factura"]["numero"])) == []
    # The agents' list is not for customers.
    r = await soporte.get(TODOS, headers=soporte.auth(lucia), params={"q": "factura"})
    assert r.status == 403


async def test_calificadores(escenario):
    soporte, lucia, martin, carla, t = escenario
    await soporte.patch(
        f"/api/soporte/tickets/{t['transaccion']['id']}/",
        headers=soporte.auth(carla),
        json={"estado": "EN_PROGRESO"},
    )
    casos = [
        ("estado:abierto pago", [t["ajeno"]["id"]]),  # "pago" in its description
        ("estado:en_progreso", [t["transaccion"]["id"]]),
        ("estado:EN_PROGRESO rechazada", [t["transaccion"]["id"]]),
        ("prioridad:alta", [t["ajeno"]["id"], t["factura"]["id"]]),
        ("categoria:reservas", [t["hotel"]["id"]]),
        ("prioridad:alta categoria:pagos factura", [t["ajeno"]["id"], t["factura"]["id"]]),
        (f"#{t['hotel']['numero']}", [t["hotel"]["id"]]),
        (t["hotel"]["numero"].lower(), [t["hotel"]["id"]]),
        ("cliente:mart", [t["ajeno"]["id"]]),
        ("cliente:lucia estado:abierto", [t["hotel"]["id"], t["factura"]["id"]]),
        ("cliente:nadie", []),
        ("Categoría:Reservas", [t["hotel"]["id"]]),
        ("TK-99999999999", []),
        ("http://ejemplo.es/factura descargar", []),  # not a qualifier: words
    ]
    for q, esperados in casos:
        pagina = await listar(soporte, carla, TODOS, q=q, ordering="-id")
        assert ids(pagina) == sorted(esperados, reverse=True), q
        assert pagina["count"] == len(esperados), q
    # Customers qualify their own tickets the same way.
    assert ids(await listar(soporte, lucia, MIS, q="categoria:reservas")) == [t["hotel"]["id"]]
    assert ids(await listar(soporte, martin, MIS, q="prioridad:baja")) == []


async def test_calificador_equipo_y_etiqueta(escenario):
    soporte, _, _, carla, t = escenario
    equipo = await Equipo.create(nombre="Facturación")
    # Through the tickets' public command (the PATCH body gains tags in another change).
    await api.actualizar(
        soporte.app[keys.EVENTS],
        carla,
        t["factura"]["id"],
        {"equipo": equipo.id, "etiquetas": ["Urgente VIP"]},
    )
    esperado = [t["factura"]["id"]]
    assert ids(await listar(soporte, carla, TODOS, q="equipo:facturación")) == esperado
    assert ids(await listar(soporte, carla, TODOS, q='equipo:"Facturación" factura')) == esperado
    assert ids(await listar(soporte, carla, TODOS, q='etiqueta:"urgente vip"')) == esperado
    assert ids(await listar(soporte, carla, TODOS, q="etiqueta:otra")) == []


@pytest.mark.parametrize(
    ("q", "mensaje"),
    [
        (
            "estado:fuego",
            "Estado desconocido: fuego. Valores: abierto, en_progreso, resuelto, cerrado.",
        ),
        ("prioridad:maxima pago", "Prioridad desconocido: maxima. Valores: alta, media, baja."),
        (
            "categoria:x",
            "Categoría desconocido: x. Valores: tecnico, reservas, pagos, general.",
        ),
        ("equipo:nadie", "Equipo desconocido: nadie. Valores: (ninguno)."),
    ],
)
async def test_calificador_desconocido_es_400(escenario, q, mensaje):
    soporte, _, _, carla, _ = escenario
    r = await soporte.get(TODOS, headers=soporte.auth(carla), params={"q": q})
    assert r.status == 400
    assert (await r.json())["errors"]["q"] == [mensaje]


async def test_calificadores_de_agentes_no_son_para_clientes(escenario):
    soporte, lucia, _, _, _ = escenario
    for q in ("cliente:ana", "equipo:x", "etiqueta:vip"):
        r = await soporte.get(MIS, headers=soporte.auth(lucia), params={"q": q})
        assert r.status == 400, q
        assert "solo para agentes" in (await r.json())["errors"]["q"][0]


async def test_relevancia_asunto_antes_que_respuesta(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    en_asunto = await crear(soporte, ana, asunto="Reembolso pendiente", descripcion="Nada más")
    en_respuesta = await crear(soporte, ana, asunto="Otra consulta", descripcion="Sin más")
    await nota(soporte, carla, en_respuesta["id"], "El reembolso se tramita", False)
    # Newest first would put en_respuesta first; relevance puts the subject match first.
    for usuario, url in ((ana, MIS), (carla, TODOS)):
        pagina = await listar(soporte, usuario, url, q="reembolso")
        assert ids(pagina) == [en_asunto["id"], en_respuesta["id"]]
        assert pagina["count"] == 2
    # An explicit ordering wins over relevance.
    pagina = await listar(soporte, carla, TODOS, q="reembolso", ordering="-id")
    assert ids(pagina) == [en_respuesta["id"], en_asunto["id"]]


async def test_paginas_de_una_busqueda(soporte):
    ana = await soporte.usuario("ana")
    creados = [await crear(soporte, ana, asunto=f"Equipaje perdido {i}") for i in range(7)]
    await crear(soporte, ana, asunto="Otra cosa")
    vistos: list[int] = []
    for pagina in (1, 2, 3):
        r = await listar(soporte, ana, MIS, q="equipaje", size=3, page=pagina)
        assert r["count"] == 7
        vistos += ids(r)
    assert sorted(vistos) == sorted(c["id"] for c in creados)


async def test_fragmento_resaltado_y_escapado(soporte):
    ana = await soporte.usuario("ana")
    ticket = await crear(
        soporte, ana, asunto="<script>alert(1)</script> factura", descripcion="Nada"
    )
    pagina = await listar(soporte, ana, MIS, q="factura")
    [resultado] = pagina["results"]
    assert resultado["id"] == ticket["id"]
    fragmento = resultado["fragmento"]
    assert "<script>" not in fragmento
    assert "&lt;script&gt;" in fragmento
    assert "<mark>factura</mark>" in fragmento
    # Accents do not stop the highlight; no q, no fragmento.
    otro = await crear(soporte, ana, asunto="Transacción fallida", descripcion="x")
    [resultado] = (await listar(soporte, ana, MIS, q="transaccion"))["results"]
    assert resultado["id"] == otro["id"]
    assert resultado["fragmento"] == "<mark>Transacción</mark> fallida"
    assert all(t["fragmento"] is None for t in (await listar(soporte, ana, MIS))["results"])


async def test_fragmento_de_una_respuesta(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear(soporte, ana, asunto="Consulta", descripcion="Hola")
    await nota(soporte, carla, ticket["id"], "Tu localizador es ABC123", False)
    [resultado] = (await listar(soporte, ana, MIS, q="localizador"))["results"]
    assert resultado["fragmento"] == "Tu <mark>localizador</mark> es ABC123"


async def test_combinado_con_filtros_y_visibilidad_por_equipo(soporte, monkeypatch):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    pagos = await crear(soporte, ana, asunto="Factura de enero", categoria="PAGOS")
    reservas = await crear(soporte, ana, asunto="Factura de la reserva", categoria="RESERVAS")
    pagina = await listar(soporte, carla, TODOS, q="factura", categoria="PAGOS")
    assert ids(pagina) == [pagos["id"]] and pagina["count"] == 1
    pagina = await listar(soporte, ana, MIS, q="factura", categoria="RESERVAS")
    assert ids(pagina) == [reservas["id"]] and pagina["count"] == 1
    pagina = await listar(soporte, carla, TODOS, q="factura", cliente=ana.id, estado="CERRADO")
    assert pagina["count"] == 0


async def test_el_indice_se_escribe_en_la_transaccion_y_se_reconstruye(escenario):
    soporte, _, _, carla, t = escenario
    conn = connections.get("default")
    filas = await conn.execute_query_dict(f"SELECT COUNT(*) AS n FROM {busqueda.TABLA}")
    assert filas[0]["n"] == 4  # one row per ticket, written by the creations themselves
    await conn.execute_script(f"DELETE FROM {busqueda.TABLA}")
    assert ids(await listar(soporte, carla, TODOS, q="factura")) == []
    await busqueda.preparar()  # the start-up repair: counts differ, so it rebuilds
    assert sorted(ids(await listar(soporte, carla, TODOS, q="factura"))) == sorted(
        [t["factura"]["id"], t["ajeno"]["id"]]
    )
    await busqueda.preparar()  # idempotent
    await busqueda.reconstruir()
    assert (await listar(soporte, carla, TODOS, q="transaccion"))["count"] == 1


async def test_la_cuenta_se_corta_en_el_maximo(start_app):
    soporte = await start_app(
        plugins=["tickets"], plugin_settings={"tickets": {"busqueda_cuenta_maxima": 4}}
    )
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    # Three subject matches and three description matches (the second tier): six in all.
    en_asunto = [await crear(soporte, ana, asunto=f"Maleta rota {i}") for i in range(3)]
    en_texto = [
        await crear(soporte, ana, asunto=f"Consulta {i}", descripcion="La maleta no llegó")
        for i in range(3)
    ]
    casos = [
        (carla, TODOS, {}),  # the index alone
        (carla, TODOS, {"categoria": "PAGOS"}),  # joined to the tickets
        (ana, MIS, {}),  # a customer's own (SQLite: the index's token)
    ]
    for usuario, url, filtros in casos:
        pagina = await listar(soporte, usuario, url, q="maleta", size=3, **filtros)
        assert (pagina["count"], pagina["count_exacto"]) == (4, False), filtros
        # The pages end at the cap: the newest 4 matches, ranked in tiers (subject first, then
        # the rest, each newest first); no page (or row) past the cap is offered.
        segunda = await listar(soporte, usuario, url, q="maleta", size=3, page=2, **filtros)
        nuevos = [en_asunto[2], en_texto[2], en_texto[1], en_texto[0]]
        assert ids(pagina) + ids(segunda) == [t["id"] for t in nuevos]
        assert pagina["next"] is not None and segunda["next"] is None
    # Under the cap the count is exact; an explicit ordering caps its count too.
    pagina = await listar(soporte, carla, TODOS, q="maleta rota")
    assert (pagina["count"], pagina["count_exacto"]) == (3, True)
    pagina = await listar(soporte, carla, TODOS, q="maleta", ordering="id")
    assert (pagina["count"], pagina["count_exacto"]) == (4, False)
    assert ids(pagina) == [t["id"] for t in en_asunto + en_texto][:4]
    # A list without words counts exactly, whatever the cap.
    pagina = await listar(soporte, carla, TODOS)
    assert (pagina["count"], pagina["count_exacto"]) == (6, True)
    pagina = await listar(soporte, carla, TODOS, q="categoria:pagos")
    assert (pagina["count"], pagina["count_exacto"]) == (6, True)


async def test_una_pagina_a_caballo_entre_los_dos_niveles(soporte):
    ana = await soporte.usuario("ana")
    en_asunto = [await crear(soporte, ana, asunto=f"Maleta rota {i}") for i in range(4)]
    en_texto = [
        await crear(soporte, ana, asunto=f"Consulta {i}", descripcion="La maleta no llegó")
        for i in range(4)
    ]
    orden = [t["id"] for t in reversed(en_asunto)] + [t["id"] for t in reversed(en_texto)]
    vistos = []
    for pagina in (1, 2, 3):
        r = await listar(soporte, ana, MIS, q="maleta", size=3, page=pagina)
        assert (r["count"], r["count_exacto"]) == (8, True)
        vistos += ids(r)
    assert vistos == orden  # page 2 holds the last subject match and the first other ones


async def test_preparar_actualiza_un_indice_anterior(escenario):
    soporte, _, _, carla, t = escenario
    conn = connections.get("default")
    # An index from before this version: PostgreSQL's without the subject's own vector (the
    # first tier's), the filter tokens and the ranges' indexes, SQLite's without the
    # ``filtros`` column (a definition that differs).
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(
            f"ALTER TABLE {busqueda.TABLA} DROP COLUMN asunto, DROP COLUMN filtros; "
            f"DROP INDEX {busqueda.TABLA}_todo_f0"
        )
    else:
        await conn.execute_script(
            f"DROP TABLE {busqueda.TABLA}; CREATE VIRTUAL TABLE {busqueda.TABLA} USING "
            "fts5(asunto, descripcion, respuestas, notas, tokenize = 'unicode61')"
        )
    await busqueda.preparar()
    # Filled from the tickets: the subject matches rank first again, newest first.
    pagina = await listar(soporte, carla, TODOS, q="factura")
    assert ids(pagina) == [t["ajeno"]["id"], t["factura"]["id"]]
    assert ids(await listar(soporte, carla, TODOS, q="transaccion")) == [t["transaccion"]["id"]]
    assert ids(await listar(soporte, carla, TODOS, q="factura", estado="ABIERTO")) == ids(pagina)
    assert await _filtros_indexados(t["factura"]["id"]) >= {"estadoabierto", "prioridadalta"}
    if conn.capabilities.dialect == "postgres":
        # The newest tickets' range and the next two have their partial index again.
        filas = await conn.execute_query_dict(
            "SELECT indexname FROM pg_indexes WHERE tablename = $1 AND indexname LIKE $2",
            [busqueda.TABLA, f"{busqueda.TABLA}_todo_f%"],
        )
        assert {f["indexname"] for f in filas} == {f"{busqueda.TABLA}_todo_f{k}" for k in range(3)}


async def _filtros_indexados(ticket_id: int) -> set[str]:
    """The ``filtros`` tokens of a ticket's index row."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        filas = await conn.execute_query_dict(
            f"SELECT filtros FROM {busqueda.TABLA} WHERE ticket_id = $1", [ticket_id]
        )
        return set(filas[0]["filtros"])
    filas = await conn.execute_query_dict(
        f"SELECT filtros FROM {busqueda.TABLA} WHERE rowid = ?", [ticket_id]
    )
    return set(filas[0]["filtros"].split())


async def test_el_prefijo_del_ultimo_termino_sigue_cada_escritura(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    t = await crear(soporte, ana, asunto="Problema con el zurcido", descripcion="Nada más")
    await nota(soporte, carla, t["id"], "Un zambombazo en la maleta", interna=False)
    await nota(soporte, carla, t["id"], "Revisar el zigurat")
    # A prefix covering more words than the expansion's maximum stays a prefix.
    muchas = " ".join(f"xilofono{i}" for i in range(busqueda.MAX_EXPANSION + 2))
    otro = await crear(soporte, ana, asunto="Instrumentos", descripcion=muchas)
    for q, esperados in (
        ("problema zurc", [t["id"]]),
        ("zamb", [t["id"]]),
        ("maleta zambombaz", [t["id"]]),
        ("zigu", [t["id"]]),
        ("xilo", [otro["id"]]),
        ("instrumentos xilofono1", [otro["id"]]),
        ("zurcidor", []),  # not a word of the index: nothing
    ):
        assert ids(await listar(soporte, carla, TODOS, q=q)) == esperados, q
    # The customer never finds a note's word, expanded or not.
    assert ids(await listar(soporte, ana, MIS, q="zigu")) == []
    assert ids(await listar(soporte, ana, MIS, q="zamb")) == [t["id"]]
    conn = connections.get("default")
    if conn.capabilities.dialect == "sqlite":
        # The vocabulary got every write's words, in the writes' transactions.
        assert await busqueda.expansion(conn, "zamb") == ["zambombazo"]
        assert await busqueda.expansion(conn, "zigu") == ["zigurat"]
        assert await busqueda.expansion(conn, "zurc") == ["zurcido"]
        assert await busqueda.expansion(conn, "xilo") is None  # too many: a prefix
        assert await busqueda.expansion(conn, "xilofono1") == ["xilofono1"] + [
            f"xilofono1{i}" for i in range(busqueda.MAX_EXPANSION + 2 - 10)
        ]


async def test_los_filtros_del_indice_siguen_cada_escritura(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    equipo = await Equipo.create(nombre="Equipaje")
    t = await crear(soporte, ana, asunto="Maleta perdida", categoria="RESERVAS", prioridad="BAJA")
    otro = await crear(soporte, ana, asunto="Maleta rota", categoria="PAGOS", prioridad="ALTA")

    async def buscar(**filtros) -> list[int]:
        return ids(await listar(soporte, carla, TODOS, q="maleta", **filtros))

    assert await buscar(estado="ABIERTO") == [otro["id"], t["id"]]
    # Through the service (a PATCH), then behind its back (an ORM update, no event).
    r = await soporte.patch(
        f"/api/soporte/tickets/{t['id']}/",
        headers=soporte.auth(carla),
        json={"estado": "EN_PROGRESO", "prioridad": "ALTA"},
    )
    assert r.status == 200, await r.text()
    assert await buscar(estado="EN_PROGRESO") == [t["id"]]
    assert await buscar(prioridad="ALTA") == [otro["id"], t["id"]]
    assert await buscar(prioridad="BAJA") == []
    await Ticket.filter(id=otro["id"]).update(
        estado="CERRADO", equipo_id=equipo.id, agente_asignado_id=carla.id
    )
    assert await buscar(estado="CERRADO") == [otro["id"]]
    assert await buscar(estado="ABIERTO") == []
    assert await buscar(equipo=equipo.id, agente_asignado=carla.id) == [otro["id"]]
    assert await buscar(categoria="RESERVAS", estado="EN_PROGRESO") == [t["id"]]
    assert ids(await listar(soporte, carla, TODOS, q="estado:cerrado maleta")) == [otro["id"]]
    assert ids(await listar(soporte, carla, TODOS, q="estado:abierto maleta")) == []
    assert ids(await listar(soporte, ana, MIS, q="maleta", estado="CERRADO")) == [otro["id"]]
    # A write that rolls back leaves the index as it was.
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await Ticket.filter(id=t["id"]).update(estado="RESUELTO")
            raise RuntimeError("rollback")
    assert await buscar(estado="RESUELTO") == []
    # The trigger wrote every token (SQLite and PostgreSQL alike).
    assert await _filtros_indexados(otro["id"]) == {
        f"c{ana.id}",
        "estadocerrado",
        "prioridadalta",
        "categoriapagos",
        f"equipo{equipo.id}",
        f"agente{carla.id}",
    }
    assert "estadoenprogreso" in await _filtros_indexados(t["id"])
    conn = connections.get("default")
    if conn.capabilities.dialect == "sqlite":
        # An index from before the trigger and the vocabulary is rebuilt at start-up.
        await conn.execute_script(
            f"DROP TRIGGER {busqueda.TABLA}_filtros; DROP TABLE {busqueda.TERMINOS}; "
            f"UPDATE {busqueda.TABLA} SET filtros = 'c{ana.id}'"
        )
        await busqueda.preparar()
        assert "estadocerrado" in await _filtros_indexados(otro["id"])
        assert await busqueda.expansion(conn, "perdid") == ["perdida"]


async def test_fichas_solo_cuando_el_indice_responde_todo(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)

    def fichas(usuario, propios=False, q=None, **filtros):
        consulta = busqueda.interpretar(q, usuario) if q else None
        return busqueda.fichas(Filtros(q=q, **filtros), consulta, usuario, propios=propios)

    assert fichas(carla) == []
    assert fichas(ana, propios=True, estado=Estado.EN_PROGRESO) == [
        f"c{ana.id}",
        "estadoenprogreso",
    ]
    assert fichas(carla, q="estado:abierto pago", equipo_id=3) == ["equipo3", "estadoabierto"]
    # Restrictions without tokens: the search joins the tickets instead.
    assert fichas(carla, nivel_escalamiento=1) is None
    assert fichas(carla, etiqueta="vip") is None
    assert fichas(carla, q="cliente:ana pago") is None
    assert fichas(carla, q="#TK-000001") is None
    assert fichas(carla, creado_desde=datetime(2026, 1, 1, tzinfo=UTC)) is None


async def test_la_ventana_por_franjas_de_ids(start_app, monkeypatch):
    # PostgreSQL reads an agent's window one id range at a time, newest range first (at a
    # million tickets, from each range's partial index): ranges of two ids here, none of them
    # with its own index, some without a match. The window, its count and its tiers are those
    # of the whole index; SQLite, which reads it in one pass, answers the same.
    monkeypatch.setattr(busqueda, "FRANJA_PG", 2)
    soporte = await start_app(
        plugins=["tickets"], plugin_settings={"tickets": {"busqueda_cuenta_maxima": 4}}
    )
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    creados = []
    for i in range(10):
        # The word in the subject (0, 3, 6, 9), in the description (1, 4, 7), or nowhere.
        asunto = f"Maleta {i}" if i % 3 == 0 else f"Consulta {i}"
        descripcion = "La maleta no llegó" if i % 3 == 1 else "Nada que ver"
        creados.append((await crear(soporte, ana, asunto=asunto, descripcion=descripcion))["id"])
    r = await soporte.patch(
        f"/api/soporte/tickets/{creados[6]}/",
        headers=soporte.auth(carla),
        json={"estado": "CERRADO"},
    )
    assert r.status == 200, await r.text()
    primera = await listar(soporte, carla, TODOS, q="maleta", size=3)
    segunda = await listar(soporte, carla, TODOS, q="maleta", size=3, page=2)
    assert (primera["count"], primera["count_exacto"]) == (4, False)
    # The newest four matches (9, 7, 6, 4): subject ones first, each tier newest first.
    assert ids(primera) + ids(segunda) == [creados[i] for i in (9, 6, 7, 4)]
    # Filtered by a token (tested on each row of the ranges): the newest open ones.
    abiertos = await listar(soporte, carla, TODOS, q="maleta", estado="ABIERTO", size=10)
    assert ids(abiertos) == [creados[i] for i in (9, 3, 7, 4)]
    # Under the cap the count is exact, whatever the number of ranges read.
    pocos = await listar(soporte, carla, TODOS, q="maleta llego", size=10)
    assert (pocos["count"], pocos["count_exacto"]) == (3, True)
    assert ids(pocos) == [creados[i] for i in (7, 4, 1)]
