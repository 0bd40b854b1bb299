"""Macros' CRUD over HTTP: who sees and edits each scope, filters, names, checks on save."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from plugins.macros.models import Macro

if TYPE_CHECKING:
    from tests.plugins.macros.conftest import Gente

pytestmark = pytest.mark.plugins("tickets", "macros")

BASE = "/api/soporte/macros/"


async def nombres(g: Gente, usuario: object, consulta: str = "") -> list[str]:
    """Names of the macros ``usuario`` lists (one page of 100)."""
    pagina = await g.ok("GET", f"{BASE}?size=100{consulta}", usuario)  # type: ignore[arg-type]
    return [m["nombre"] for m in pagina["results"]]


async def test_an_agent_creates_reads_changes_and_deletes_a_personal_macro(gente: Gente) -> None:
    g = gente
    r = await g.api(
        "POST",
        BASE,
        g.carla,
        json={
            "nombre": "Factura enviada",
            "descripcion": "Cuando ya se reenvió la factura",
            "mensaje": "Hola {{ cliente.nombre }}, te la hemos reenviado.",
            "acciones": {"estado": "RESUELTO", "etiquetas_agregar": ["Factura"]},
        },
    )
    assert r.status == 201, await r.text()
    creada = await r.json()
    assert r.headers["Location"].endswith(f"{BASE}{creada['id']}/")
    assert creada["ambito"] == "PERSONAL"
    assert creada["propietario"] == g.carla.id
    assert creada["equipo"] is None
    assert creada["acciones"] == {"estado": "RESUELTO", "etiquetas_agregar": ["Factura"]}
    assert creada["usos"] == 0 and creada["activa"] is True and creada["editable"] is True
    assert creada["interna"] is False

    ruta = f"{BASE}{creada['id']}/"
    assert (await g.ok("GET", ruta, g.carla))["nombre"] == "Factura enviada"
    cambiada = await g.ok(
        "PATCH", ruta, g.carla, json={"nombre": "Factura reenviada", "interna": True}
    )
    assert cambiada["nombre"] == "Factura reenviada" and cambiada["interna"] is True
    assert cambiada["acciones"] == creada["acciones"]  # what was not sent stays
    assert await nombres(g, g.carla) == ["Factura reenviada"]

    assert (await g.api("DELETE", ruta, g.carla)).status == 204
    assert (await g.api("GET", ruta, g.carla)).status == 404
    assert not await Macro.filter(id=creada["id"]).exists()


async def test_a_personal_macro_is_its_owners_alone(gente: Gente) -> None:
    g = gente
    propia = await g.macro(g.carla, nombre="Mía")
    ruta = f"{BASE}{propia['id']}/"
    # Another agent and even an admin: as if it did not exist.
    for otro in (g.luis, g.admin):
        assert "Mía" not in await nombres(g, otro)
        for metodo, cuerpo in (("GET", None), ("PATCH", {"nombre": "X"}), ("DELETE", None)):
            r = await g.api(metodo, ruta, otro, json=cuerpo)
            assert r.status == 404, (otro.username, metodo)
        r = await g.api("POST", f"{ruta}vista-previa/", otro, json={"ticket_id": 1})
        assert r.status == 404
    assert (await Macro.get(id=propia["id"])).nombre == "Mía"


async def test_a_team_macro_is_seen_and_edited_by_its_members_and_admins(gente: Gente) -> None:
    g = gente
    equipo = await g.macro(g.carla, nombre="Del equipo", ambito="EQUIPO", equipo=g.pagos.id)
    assert equipo["ambito"] == "EQUIPO" and equipo["equipo"] == g.pagos.id
    assert equipo["propietario"] is None
    ruta = f"{BASE}{equipo['id']}/"
    # Luis is no member: he neither sees it nor may put a macro in that team.
    assert "Del equipo" not in await nombres(g, g.luis)
    assert (await g.api("GET", ruta, g.luis)).status == 404
    r = await g.api(
        "POST", BASE, g.luis, json={"nombre": "N", "mensaje": "M", "ambito": "EQUIPO",
                                    "equipo": g.pagos.id}
    )  # fmt: skip
    assert r.status == 403
    # The admin sees and edits it.
    assert (await g.ok("GET", ruta, g.admin))["editable"] is True
    await g.ok("PATCH", ruta, g.admin, json={"descripcion": "Revisada"})
    # Once Luis joins the team, he sees and edits it too.
    await g.pagos.miembros.add(g.luis)
    assert "Del equipo" in await nombres(g, g.luis)
    assert (await g.ok("PATCH", ruta, g.luis, json={"mensaje": "Nuevo"}))["mensaje"] == "Nuevo"
    # A deactivated team's macros disappear for its members (admins keep them).
    g.pagos.activo = False
    await g.pagos.save()
    assert (await g.api("GET", ruta, g.carla)).status == 404
    assert (await g.api("GET", ruta, g.admin)).status == 200


async def test_a_team_macro_needs_an_active_team(gente: Gente) -> None:
    g = gente
    sin = await g.api(
        "POST", BASE, g.admin, json={"nombre": "N", "mensaje": "M", "ambito": "EQUIPO"}
    )
    assert sin.status == 400 and "equipo" in (await sin.json())["errors"]
    otro = {"nombre": "N", "mensaje": "M", "ambito": "EQUIPO", "equipo": 999_999}
    assert (await g.api("POST", BASE, g.admin, json=otro)).status == 400


async def test_global_macros_are_every_agents_and_only_admins_change_them(gente: Gente) -> None:
    g = gente
    cuerpo = {"nombre": "Global", "mensaje": "Hola", "ambito": "GLOBAL"}
    r = await g.api("POST", BASE, g.carla, json=cuerpo)
    assert r.status == 403
    assert "administrador" in (await r.json())["detail"]
    creada = await g.macro(g.admin, **cuerpo)
    ruta = f"{BASE}{creada['id']}/"
    for agente in (g.carla, g.luis):
        leida = await g.ok("GET", ruta, agente)
        assert leida["editable"] is False
        assert (await g.api("PATCH", ruta, agente, json={"nombre": "Mía"})).status == 403
        assert (await g.api("DELETE", ruta, agente)).status == 403
    # An agent cannot promote their own macro to GLOBAL either.
    propia = await g.macro(g.carla, nombre="Promovible")
    r = await g.api("PATCH", f"{BASE}{propia['id']}/", g.carla, json={"ambito": "GLOBAL"})
    assert r.status == 403
    assert (await Macro.get(id=propia["id"])).ambito == "PERSONAL"
    assert (await g.api("DELETE", ruta, g.admin)).status == 204


async def test_customers_get_403_everywhere(gente: Gente) -> None:
    g = gente
    macro = await g.macro(g.admin, nombre="Global", ambito="GLOBAL")
    ruta = f"{BASE}{macro['id']}/"
    llamadas = [
        ("GET", BASE, None),
        ("POST", BASE, {"nombre": "N", "mensaje": "M"}),
        ("GET", ruta, None),
        ("PATCH", ruta, {"nombre": "N"}),
        ("DELETE", ruta, None),
        ("POST", f"{ruta}vista-previa/", {"ticket_id": 1}),
        ("POST", f"{ruta}aplicar/", {"ticket_id": 1}),
    ]
    for metodo, destino, cuerpo in llamadas:
        r = await g.api(metodo, destino, g.ana, json=cuerpo)
        assert r.status == 403, (metodo, destino)


async def test_the_list_filters_by_name_scope_and_state(gente: Gente) -> None:
    g = gente
    await g.macro(g.carla, nombre="Reembolso aprobado")
    await g.macro(g.carla, nombre="Reembolso denegado", activa=False)
    await g.macro(g.carla, nombre="Saludo de equipo", ambito="EQUIPO", equipo=g.pagos.id)
    await g.macro(g.admin, nombre="Despedida", ambito="GLOBAL")
    todas = await nombres(g, g.carla)
    assert todas == ["Despedida", "Reembolso aprobado", "Reembolso denegado", "Saludo de equipo"]
    assert await nombres(g, g.carla, "&q=REEMBOLSO") == ["Reembolso aprobado", "Reembolso denegado"]
    assert await nombres(g, g.carla, "&q=reembolso&activa=true") == ["Reembolso aprobado"]
    assert await nombres(g, g.carla, "&ambito=EQUIPO") == ["Saludo de equipo"]
    assert await nombres(g, g.carla, "&ambito=GLOBAL") == ["Despedida"]
    assert await nombres(g, g.luis) == ["Despedida"]
    assert (await g.api("GET", f"{BASE}?ambito=OTRO", g.carla)).status == 400


async def test_names_are_unique_within_a_scope_only(gente: Gente) -> None:
    g = gente
    await g.macro(g.carla, nombre="Saludo")
    r = await g.api("POST", BASE, g.carla, json={"nombre": "Saludo", "mensaje": "Otra"})
    assert r.status == 409
    assert "ámbito" in (await r.json())["detail"]
    # The same name in another agent's scope, a team's or the global one is another macro.
    await g.macro(g.luis, nombre="Saludo")
    await g.macro(g.carla, nombre="Saludo", ambito="EQUIPO", equipo=g.pagos.id)
    await g.macro(g.admin, nombre="Saludo", ambito="GLOBAL")
    # Renaming onto an existing name of the scope is the same conflict.
    otra = await g.macro(g.carla, nombre="Otra")
    r = await g.api("PATCH", f"{BASE}{otra['id']}/", g.carla, json={"nombre": "Saludo"})
    assert r.status == 409
    assert await Macro.filter(nombre="Saludo").count() == 4


async def test_a_template_with_a_syntax_error_is_a_400_naming_the_line(gente: Gente) -> None:
    g = gente
    cuerpo = {"nombre": "Rota", "mensaje": "Hola\n{{ cliente.nombre }\nGracias"}
    r = await g.api("POST", BASE, g.carla, json=cuerpo)
    assert r.status == 400
    [error] = (await r.json())["errors"]["mensaje"]
    assert error.startswith("Línea 2:"), error
    assert not await Macro.exists()
    # The same check on PATCH.
    buena = await g.macro(g.carla)
    r = await g.api("PATCH", f"{BASE}{buena['id']}/", g.carla, json={"mensaje": "{% if %}"})
    assert r.status == 400 and "Línea 1" in (await r.json())["errors"]["mensaje"][0]
    assert (await Macro.get(id=buena["id"])).mensaje == "Hola"


@pytest.mark.parametrize(
    ("plantilla", "motivo"),
    [
        ("{% for i in range(9) %}x{% endfor %}", "bucles"),
        ("{{ 'a' * 1000000 }}", "*"),
        ("{{ 9 ** 99 }}", "**"),
        ("{{ '%s' % cliente.nombre }}", "%"),
        ("{{ cliente.nombre.ljust(1000000) }}", "llamadas"),
        ("{{ cliente.nombre | center(1000000) }}", "center"),
        ("{% macro m() %}x{% endmacro %}", "macros"),
        ("{% include 'x.html' %}", "include"),
        ("{% set a = cliente.nombre ~ cliente.nombre %}{{ a }}", "set"),
        ("{% set a %}x{% endset %}", "set"),
        ("{% with a = 'x' ~ 'x' %}{{ a }}{% endwith %}", "with"),
    ],
)
async def test_templates_may_not_loop_call_or_multiply(
    gente: Gente, plantilla: str, motivo: str
) -> None:
    """What could burn the CPU or build gigabytes before any size check is refused on save."""
    r = await gente.api("POST", BASE, gente.carla, json={"nombre": "N", "mensaje": plantilla})
    assert r.status == 400
    assert motivo in (await r.json())["errors"]["mensaje"][0]


async def test_actions_are_validated_as_the_ticket_patch_validates_them(gente: Gente) -> None:
    g = gente
    malas = [
        {"estado": "ARCHIVADO"},
        {"prioridad": "URGENTISIMA"},
        {"categoria": "PAGOS"},  # not a macro action
        {"agente_asignado": g.ana.id},  # a customer
        {"agente_asignado": 999_999},
        {"equipo": 999_999},
        {"etiquetas_agregar": [""]},
        {"etiquetas_quitar": ["x" * 51]},
        {"estado": None},
    ]
    for acciones in malas:
        r = await g.api(
            "POST", BASE, g.carla, json={"nombre": "N", "mensaje": "M", "acciones": acciones}
        )
        assert r.status == 400, (acciones, await r.text())
    assert not await Macro.exists()
    buena = await g.macro(
        g.carla,
        acciones={
            "estado": "EN_PROGRESO",
            "prioridad": "ALTA",
            "equipo": g.pagos.id,
            "agente_asignado": g.carla.id,
            "etiquetas_agregar": ["  Factura   duplicada "],
            "etiquetas_quitar": ["nueva"],
        },
    )
    assert buena["acciones"]["etiquetas_agregar"] == ["Factura duplicada"]  # stored clean
    assert buena["acciones"]["equipo"] == g.pagos.id
    # PATCH replaces the actions whole (and checks them the same way).
    ruta = f"{BASE}{buena['id']}/"
    cambiada = await g.ok("PATCH", ruta, g.carla, json={"acciones": {"equipo": None}})
    assert cambiada["acciones"] == {"equipo": None}
    r = await g.api("PATCH", ruta, g.carla, json={"acciones": {"agente_asignado": g.ana.id}})
    assert r.status == 400
