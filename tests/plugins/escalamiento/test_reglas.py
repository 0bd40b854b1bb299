"""Rules CRUD (ADMIN): every call of the contract, its validation errors and its guards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from yarl import URL

from plugins.escalamiento.models import Escalamiento
from tests.plugins.escalamiento.ayudas import MONITOR, POLITICAS, REGLAS, Kit, regla_guia

pytestmark = pytest.mark.plugins("tickets", "escalamiento")


async def test_la_guia_configura_una_regla(kit: Kit) -> None:
    r = await kit.soporte.post(REGLAS, json=regla_guia(), headers=kit.soporte.auth(kit.admin))
    assert r.status == 201, await r.text()
    regla = await r.json()
    assert r.headers["Location"].endswith(f"/api/soporte/escalamiento/reglas/{regla['id']}/")
    assert regla == {
        "id": regla["id"],
        "nombre": "",
        "tiempo_respuesta_maximo": 2.0,
        "prioridades_escalamiento": ["ALTA", "MEDIA"],
        "niveles_escalamiento": 3,
        "notificaciones_automaticas": True,
        "categorias": [],
        "politica": "tiempo_respuesta",
        "activa": True,
        "horario": None,
        "parametros": {},
        "fecha_creacion": regla["fecha_creacion"],
        "fecha_actualizacion": regla["fecha_actualizacion"],
    }
    assert regla["fecha_creacion"].endswith("+00:00")


async def test_regla_completa_con_niveles_y_horario(kit: Kit) -> None:
    body = regla_guia(
        nombre="SLA pagos",
        tiempo_respuesta_maximo=0.5,
        prioridades_escalamiento=["ALTA"],
        categorias=["PAGOS", "RESERVAS"],
        niveles_escalamiento=[
            {"nivel": 1, "nombre": "Guardia", "notificar": ["AGENTE", kit.agente.id]},
            {"nivel": 2, "notificar": ["ADMIN"]},
        ],
        notificaciones_automaticas=False,
        activa=False,
        horario={
            "zona": "America/Mexico_City",
            "dias": [4, 0, 1],
            "intervalos": [["15:00", "18:00"], ["09:00", "14:00"]],
            "festivos": ["2026-12-25", "2026-01-01"],
        },
    )
    regla = await kit.regla(**body)
    assert regla["niveles_escalamiento"] == [
        {"nivel": 1, "nombre": "Guardia", "notificar": ["AGENTE", kit.agente.id]},
        {"nivel": 2, "nombre": "Nivel 2", "notificar": ["ADMIN"]},
    ]
    assert regla["horario"] == {
        "zona": "America/Mexico_City",
        "dias": [0, 1, 4],
        "intervalos": [["09:00", "14:00"], ["15:00", "18:00"]],
        "festivos": ["2026-01-01", "2026-12-25"],
    }
    assert (regla["nombre"], regla["categorias"], regla["activa"]) == (
        "SLA pagos",
        ["PAGOS", "RESERVAS"],
        False,
    )
    # Business hours' defaults: Monday–Friday, 09:00–18:00.
    otra = await kit.regla(horario={"zona": "Europe/Madrid"})
    assert otra["horario"] == {
        "zona": "Europe/Madrid",
        "dias": [0, 1, 2, 3, 4],
        "intervalos": [["09:00", "18:00"]],
        "festivos": [],
    }


async def test_listar_paginado_y_filtrado(kit: Kit) -> None:
    ids = [(await kit.regla(activa=i % 2 == 0))["id"] for i in range(3)]
    auth = kit.soporte.auth(kit.admin)
    r = await kit.soporte.get(REGLAS, params={"size": 2}, headers=auth)
    pagina = await r.json()
    assert r.status == 200 and pagina["count"] == 3
    assert [x["id"] for x in pagina["results"]] == ids[:2]
    assert pagina["next"].startswith("http") and "page=2" in pagina["next"]
    assert pagina["previous"] is None
    r = await kit.soporte.get(URL(pagina["next"]).path_qs, headers=auth)
    assert [x["id"] for x in (await r.json())["results"]] == ids[2:]
    r = await kit.soporte.get(REGLAS, params={"activa": "false", "politica": ""}, headers=auth)
    assert [x["id"] for x in (await r.json())["results"]] == [ids[1]]
    r = await kit.soporte.get(REGLAS, params={"politica": "otra"}, headers=auth)
    assert (await r.json())["count"] == 0
    r = await kit.soporte.get(REGLAS, params={"page": 9}, headers=auth)
    assert (await r.json())["results"] == [] and (await r.json())["count"] == 3


async def test_detalle_modificar_y_borrar(kit: Kit) -> None:
    auth = kit.soporte.auth(kit.admin)
    regla = await kit.regla(horario={"zona": "Europe/Madrid"})
    url = f"{REGLAS}{regla['id']}/"
    r = await kit.soporte.get(url, headers=auth)
    assert r.status == 200 and await r.json() == regla
    # Without the trailing slash too.
    assert (await kit.soporte.get(url.rstrip("/"), headers=auth)).status == 200

    r = await kit.soporte.patch(
        url, json={"tiempo_respuesta_maximo": 8, "horario": None, "nombre": "Lenta"}, headers=auth
    )
    cambiada = await r.json()
    assert r.status == 200, cambiada
    assert (cambiada["tiempo_respuesta_maximo"], cambiada["horario"], cambiada["nombre"]) == (
        8.0,
        None,
        "Lenta",
    )
    assert cambiada["prioridades_escalamiento"] == regla["prioridades_escalamiento"]
    r = await kit.soporte.patch(url, json={}, headers=auth)
    assert r.status == 200 and (await r.json())["nombre"] == "Lenta"

    # History outlives the rule.
    ticket = await kit.ticket(esperando_hace=timedelta(hours=9))
    assert len(await kit.pasada()) == 1
    r = await kit.soporte.delete(url, headers=auth)
    assert r.status == 204
    assert (await kit.soporte.get(url, headers=auth)).status == 404
    assert (await kit.soporte.delete(url, headers=auth)).status == 404
    (fila,) = await Escalamiento.filter(ticket_id=ticket)
    assert fila.regla_id is None and fila.nivel == 1


async def test_ids_desconocidos(kit: Kit) -> None:
    auth = kit.soporte.auth(kit.admin)
    for metodo in ("get", "patch", "delete"):
        r = await getattr(kit.soporte, metodo)(f"{REGLAS}999/", headers=auth, json={})
        assert r.status == 404, metodo
    assert (await kit.soporte.get(f"{REGLAS}abc/", headers=auth)).status == 404


INVALIDOS: list[tuple[dict[str, Any], str]] = [
    ({"tiempo_respuesta_maximo": -1}, "tiempo_respuesta_maximo"),
    ({"tiempo_respuesta_maximo": 0}, "tiempo_respuesta_maximo"),
    ({"tiempo_respuesta_maximo": "dos"}, "tiempo_respuesta_maximo"),
    ({"tiempo_respuesta_maximo": True}, "tiempo_respuesta_maximo"),
    ({"tiempo_respuesta_maximo": 1e400}, "tiempo_respuesta_maximo"),
    ({"tiempo_respuesta_maximo": None}, "tiempo_respuesta_maximo"),
    ({"prioridades_escalamiento": []}, "prioridades_escalamiento"),
    ({"prioridades_escalamiento": ["URGENTE"]}, "prioridades_escalamiento.0"),
    ({"prioridades_escalamiento": ["alta"]}, "prioridades_escalamiento.0"),
    ({"prioridades_escalamiento": ["ALTA", "ALTA"]}, "prioridades_escalamiento"),
    ({"prioridades_escalamiento": "ALTA"}, "prioridades_escalamiento"),
    ({"niveles_escalamiento": 0}, "niveles_escalamiento"),
    ({"niveles_escalamiento": 6}, "niveles_escalamiento"),
    ({"niveles_escalamiento": 2.5}, "niveles_escalamiento"),
    ({"niveles_escalamiento": True}, "niveles_escalamiento"),
    ({"niveles_escalamiento": []}, "niveles_escalamiento"),
    ({"niveles_escalamiento": [{"nivel": n} for n in range(1, 7)]}, "niveles_escalamiento"),
    ({"niveles_escalamiento": [{"nivel": 1}, {"nivel": 3}]}, "niveles_escalamiento"),
    ({"niveles_escalamiento": [{"nivel": 2}, {"nivel": 1}]}, "niveles_escalamiento"),
    ({"niveles_escalamiento": [{"nivel": 1, "notificar": ["CLIENTE"]}]}, "niveles_escalamiento"),
    ({"niveles_escalamiento": [{"nivel": 1, "notificar": [7, 7]}]}, "niveles_escalamiento"),
    ({"niveles_escalamiento": [{"nivel": 1, "color": "rojo"}]}, "niveles_escalamiento"),
    ({"notificaciones_automaticas": "quizá"}, "notificaciones_automaticas"),
    ({"categorias": ["OTRA"]}, "categorias.0"),
    ({"categorias": ["PAGOS", "PAGOS"]}, "categorias"),
    ({"politica": "no_existe"}, "politica"),
    ({"activa": "tal vez"}, "activa"),
    ({"nombre": "x" * 201}, "nombre"),
    ({"horario": {"zona": "Marte/Base"}}, "horario.zona"),
    ({"horario": {"dias": [0]}}, "horario.zona"),
    ({"horario": {"zona": "UTC", "dias": [7]}}, "horario.dias"),
    ({"horario": {"zona": "UTC", "dias": []}}, "horario.dias"),
    ({"horario": {"zona": "UTC", "intervalos": [["18:00", "09:00"]]}}, "horario.intervalos"),
    ({"horario": {"zona": "UTC", "intervalos": [["9h", "18h"]]}}, "horario.intervalos"),
    (
        {"horario": {"zona": "UTC", "intervalos": [["09:00", "14:00"], ["13:00", "18:00"]]}},
        "horario.intervalos",
    ),
    ({"horario": {"zona": "UTC", "intervalos": []}}, "horario.intervalos"),
    ({"horario": {"zona": "UTC", "festivos": ["31/12/2026"]}}, "horario.festivos.0"),
    ({"horario": {"zona": "UTC", "semana": 1}}, "horario.semana"),
    ({"otro_campo": 1}, "otro_campo"),
]


@pytest.mark.parametrize(("cambio", "campo"), INVALIDOS)
async def test_cuerpos_invalidos_son_400(kit: Kit, cambio: dict[str, Any], campo: str) -> None:
    auth = kit.soporte.auth(kit.admin)
    r = await kit.soporte.post(REGLAS, json=regla_guia(**cambio), headers=auth)
    problema = await r.json()
    assert r.status == 400, problema
    assert r.content_type == "application/problem+json"
    assert campo in problema["errors"], problema["errors"]
    # The same change is refused by PATCH, and the rule stays as it was.
    regla = await kit.regla()
    r = await kit.soporte.patch(f"{REGLAS}{regla['id']}/", json=cambio, headers=auth)
    assert r.status == 400, await r.text()
    assert campo in (await r.json())["errors"]
    r = await kit.soporte.get(f"{REGLAS}{regla['id']}/", headers=auth)
    assert await r.json() == regla


@pytest.mark.parametrize(
    ("campo", "mensaje"),
    [
        ("tiempo_respuesta_maximo", "Es obligatorio indicar el tiempo máximo de respuesta."),
        ("prioridades_escalamiento", "Es obligatorio indicar la lista de prioridades que escalan."),
        ("niveles_escalamiento", "Es obligatorio indicar la lista de niveles de escalamiento."),
        (
            "notificaciones_automaticas",
            ("Es obligatorio indicar la configuración de notificaciones automáticas."),
        ),
    ],
)
async def test_campos_obligatorios(kit: Kit, campo: str, mensaje: str) -> None:
    body = regla_guia()
    del body[campo]
    r = await kit.soporte.post(REGLAS, json=body, headers=kit.soporte.auth(kit.admin))
    assert r.status == 400
    assert (await r.json())["errors"] == {campo: [mensaje]}


async def test_todos_los_errores_a_la_vez(kit: Kit) -> None:
    body = {
        "tiempo_respuesta_maximo": -2,
        "prioridades_escalamiento": ["NINGUNA"],
        "niveles_escalamiento": 9,
        "politica": "inventada",
    }
    r = await kit.soporte.post(REGLAS, json=body, headers=kit.soporte.auth(kit.admin))
    errores = (await r.json())["errors"]
    assert r.status == 400
    assert {k.split(".")[0] for k in errores} == {
        "tiempo_respuesta_maximo",
        "prioridades_escalamiento",
        "niveles_escalamiento",
        "notificaciones_automaticas",
        "politica",
    }
    assert "tiempo_respuesta" in errores["politica"][0]  # lists the registered ones


async def test_notificar_a_usuarios_que_no_son_agentes_es_400(kit: Kit) -> None:
    niveles = [{"nivel": 1, "notificar": [kit.cliente.id, 999, kit.agente.id]}]
    r = await kit.soporte.post(
        REGLAS, json=regla_guia(niveles_escalamiento=niveles), headers=kit.soporte.auth(kit.admin)
    )
    assert r.status == 400
    (mensaje,) = (await r.json())["errors"]["niveles_escalamiento"]
    assert f"{kit.cliente.id}, 999" in mensaje and str(kit.agente.id) not in mensaje.split(":")[1]


async def test_json_mal_formado_es_400(kit: Kit) -> None:
    r = await kit.soporte.post(REGLAS, data="{tiempo: 2", headers=kit.soporte.auth(kit.admin))
    assert r.status == 400


async def test_guardas_de_rol(kit: Kit) -> None:
    regla = await kit.regla()
    detalle = f"{REGLAS}{regla['id']}/"
    llamadas = [
        ("post", REGLAS, regla_guia()),
        ("get", REGLAS, None),
        ("get", detalle, None),
        ("patch", detalle, {"activa": False}),
        ("delete", detalle, None),
    ]
    for metodo, url, body in llamadas:
        hacer = getattr(kit.soporte, metodo)
        assert (await hacer(url, json=body)).status == 401, (metodo, url)
        nulo = {"Authorization": "Bearer null", "Content-Type": "application/json"}
        assert (await hacer(url, json=body, headers=nulo)).status == 401
        for quien in (kit.cliente, kit.agente):
            r = await hacer(url, json=body, headers=kit.soporte.auth(quien))
            assert r.status == 403, (metodo, url, quien.username)
    # Agents watch the monitor and the policies; customers do not.
    for url in (MONITOR, POLITICAS):
        assert (await kit.soporte.get(url, headers=kit.soporte.auth(kit.agente))).status == 200
        assert (await kit.soporte.get(url, headers=kit.soporte.auth(kit.admin))).status == 200
        assert (await kit.soporte.get(url, headers=kit.soporte.auth(kit.cliente))).status == 403
        assert (await kit.soporte.get(url)).status == 401
    leer = "/api/soporte/escalamiento/alertas/1/leer/"
    assert (await kit.soporte.post(leer, headers=kit.soporte.auth(kit.cliente))).status == 403
    assert (await kit.soporte.post(leer)).status == 401


async def test_cors_preflight_de_la_guia(kit: Kit) -> None:
    r = await kit.soporte.options(
        REGLAS,
        headers={
            "Origin": "http://frontend.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert r.status == 200
    assert r.headers["Access-Control-Allow-Origin"] == "http://frontend.test"


@pytest.mark.parametrize(
    ("cambio", "campo", "mensaje"),
    [
        ({"horario": {"zona": "Marte/Base"}}, "horario.zona", "unknown time zone: 'Marte/Base'"),
        (
            {"horario": {"zona": "UTC", "intervalos": [["09:00", "14:00"], ["13:00", "18:00"]]}},
            "horario.intervalos",
            "intervalos: they overlap",
        ),
        ({"horario": {"zona": "UTC", "dias": [7]}}, "horario.dias", "One or more different days"),
        ({"categorias": ["PAGOS", "PAGOS"]}, "categorias", "Repeated values."),
        ({"politica": "no_existe"}, "politica", "Unknown policy: 'no_existe'; registered: "),
    ],
)
async def test_los_errores_del_editor_en_ingles(
    kit: Kit, cambio: dict[str, Any], campo: str, mensaje: str
) -> None:
    """The rule's own checks (business hours, lists, policy) answer an English request in
    English, as the rule editor shows them next to each field."""
    headers = {**kit.soporte.auth(kit.admin), "Accept-Language": "en"}
    r = await kit.soporte.post(REGLAS, json=regla_guia(**cambio), headers=headers)
    assert r.status == 400
    assert (await r.json())["errors"][campo][0].startswith(mensaje)
