"""``GET /api/soporte/tickets/exportar/``: the agents' list as a streamed CSV — columns and
values, the list's filters, order and visibility, Excel's BOM and ``;``, the CSV-injection
guard, keyset batches, a client leaving mid-stream, and the signed link of the console."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from tortoise.connection import connections

from core import tags
from core.api.csv_export import celda
from core.auth.models import Equipo, Rol, Usuario
from core.testing import SoporteClient
from plugins.tickets import service
from plugins.tickets.models import Categoria, Estado, Prioridad, Ticket, Valoracion
from tests.plugins.tickets.conftest import contar_consultas, crear, responder

URL = "/api/soporte/tickets/exportar/"
CABECERA = [
    "numero",
    "asunto",
    "descripcion",
    "estado",
    "prioridad",
    "categoria",
    "cliente",
    "cliente_email",
    "agente_asignado",
    "equipo",
    "etiquetas",
    "fecha_creacion",
    "fecha_actualizacion",
    "segundos_primera_respuesta",
    "nivel_escalamiento",
    "valoracion",
]


def leer(cuerpo: bytes, separador: str = ",") -> list[dict[str, str]]:
    """The rows of an export (BOM checked and dropped), as dicts by header."""
    assert cuerpo.startswith("\ufeff".encode())
    texto = cuerpo.decode("utf-8")[1:]
    filas = list(csv.reader(io.StringIO(texto, newline=""), delimiter=separador))
    assert filas[0] == CABECERA
    return [dict(zip(filas[0], f, strict=True)) for f in filas[1:]]


async def exportar(
    soporte: SoporteClient, usuario: Usuario, separador: str = ",", **params: Any
) -> list[dict[str, str]]:
    """An export as ``usuario`` (must be a 200)."""
    if separador != ",":
        params["separador"] = separador
    r = await soporte.get(URL, headers=soporte.auth(usuario), params=params)
    assert r.status == 200, await r.text()
    return leer(await r.read(), separador)


async def muchos(
    cliente: Usuario, n: int, descripcion: str = "Generado", **campos: Any
) -> list[int]:
    """``n`` tickets of ``cliente`` in one statement (setup, not the feature under test)."""
    sello = datetime.now(UTC).strftime("%H%M%S%f")
    await Ticket.bulk_create(
        [
            Ticket(
                numero=f"TK-M{sello}-{i}",
                asunto=f"Ticket {i}",
                descripcion=descripcion,
                categoria=Categoria.GENERAL,
                prioridad=(Prioridad.ALTA, Prioridad.MEDIA, Prioridad.BAJA)[i % 3],
                estado=(Estado.ABIERTO, Estado.RESUELTO)[i % 2],
                cliente_id=cliente.id,
                **campos,
            )
            for i in range(n)
        ]
    )
    return list(
        await Ticket.filter(numero__startswith=f"TK-M{sello}-")
        .order_by("id")
        .values_list("id", flat=True)
    )


@pytest.fixture
async def gente(soporte: SoporteClient) -> dict[str, Usuario]:
    return {
        "lucia": await soporte.usuario("lucia"),
        "agente": await soporte.usuario("agente", Rol.AGENTE),
    }


async def test_columns_and_values(soporte: SoporteClient, gente: dict[str, Usuario]) -> None:
    lucia, agente = gente["lucia"], gente["agente"]
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    await pagos.miembros.add(agente)
    ticket = await crear(soporte, lucia, asunto="Cobro doble, otra vez", descripcion="Línea 1\nÑu")
    r = await soporte.patch(
        f"/api/soporte/tickets/{ticket['id']}/",
        headers=soporte.auth(agente),
        json={"agente_asignado": agente.id},
    )
    assert r.status == 200, await r.text()
    assert (await responder(soporte, agente, ticket["id"], "Lo miro")).status == 201
    conn = connections.get("default")
    await tags.fijar(conn, service.ENLACE_ETIQUETAS, ticket["id"], poner=["VIP", "Cobros"])
    await Valoracion.create(ticket_id=ticket["id"], puntuacion=4, comentario="")
    fresco = await Ticket.get(id=ticket["id"])

    r = await soporte.get(URL, headers=soporte.auth(agente))
    assert r.status == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="tickets-\d{8}-\d{4}\.csv"', r.headers["Content-Disposition"]
    )
    cuerpo = await r.read()
    assert b"\r\n" in cuerpo and cuerpo.count(b"\r\n") == cuerpo.count(b"\n") - 1  # CRLF rows
    [fila] = leer(cuerpo)
    assert fila == {
        "numero": ticket["numero"],
        "asunto": "Cobro doble, otra vez",
        "descripcion": "Línea 1\nÑu",
        "estado": "EN_PROGRESO",
        "prioridad": "ALTA",
        "categoria": "PAGOS",
        "cliente": lucia.nombre_visible,
        "cliente_email": lucia.email,
        "agente_asignado": agente.nombre_visible,
        "equipo": "Pagos",
        "etiquetas": "Cobros, VIP",
        "fecha_creacion": fresco.fecha_creacion.astimezone(UTC).isoformat(),
        "fecha_actualizacion": fresco.fecha_actualizacion.astimezone(UTC).isoformat(),
        "segundos_primera_respuesta": str(fresco.segundos_primera_respuesta),
        "nivel_escalamiento": "0",
        "valoracion": "4",
    }
    assert fila["segundos_primera_respuesta"] != "None"
    assert fila["fecha_creacion"].endswith("+00:00")


async def test_internal_notes_are_never_exported(
    soporte: SoporteClient, gente: dict[str, Usuario]
) -> None:
    ticket = await crear(soporte, gente["lucia"])
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        headers=soporte.auth(gente["agente"]),
        json={"mensaje": "NOTA-SECRETA del equipo", "interna": True},
    )
    assert r.status == 201, await r.text()
    r = await soporte.get(URL, headers=soporte.auth(gente["agente"]))
    assert b"NOTA-SECRETA" not in await r.read()


async def test_filters_and_order_are_the_lists(
    soporte: SoporteClient, gente: dict[str, Usuario]
) -> None:
    lucia, agente = gente["lucia"], gente["agente"]
    a = await crear(soporte, lucia, asunto="No llega la factura")
    b = await crear(soporte, lucia, asunto="Factura duplicada")
    c = await crear(soporte, lucia, asunto="Cambio de fecha")
    await soporte.patch(
        f"/api/soporte/tickets/{b['id']}/", headers=soporte.auth(agente), json={"estado": "CERRADO"}
    )
    numeros = [f["numero"] for f in await exportar(soporte, agente)]
    assert numeros == [c["numero"], b["numero"], a["numero"]]  # the list's default: newest first
    assert [f["numero"] for f in await exportar(soporte, agente, q="factura")] == [
        b["numero"],
        a["numero"],
    ]
    filas = await exportar(soporte, agente, q="factura", estado="ABIERTO")
    assert [f["numero"] for f in filas] == [a["numero"]]
    asc = await exportar(soporte, agente, ordering="numero")
    assert [f["numero"] for f in asc] == [a["numero"], b["numero"], c["numero"]]
    r = await soporte.get(URL, headers=soporte.auth(agente), params={"estado": "RARO"})
    assert r.status == 400


async def test_only_agents_export(soporte: SoporteClient, gente: dict[str, Usuario]) -> None:
    await crear(soporte, gente["lucia"])
    assert (await soporte.get(URL)).status == 401
    assert (await soporte.get(URL, headers=soporte.auth(gente["lucia"]))).status == 403
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    assert len(await exportar(soporte, admin)) == 1


async def test_team_visibility_leaves_foreign_teams_tickets_out(start_app: Any) -> None:
    soporte = await start_app(["tickets"], team_visibility=True)
    lucia = await soporte.usuario("lucia")
    ana = await soporte.usuario("ana", Rol.AGENTE)
    pagos = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    await Equipo.create(nombre="Técnico", categorias=["TECNICO"])
    await pagos.miembros.add(ana)
    propio = await crear(soporte, lucia, categoria="PAGOS")
    ajeno = await crear(soporte, lucia, categoria="TECNICO")
    libre = await crear(soporte, lucia, categoria="RESERVAS")
    numeros = {f["numero"] for f in await exportar(soporte, ana)}
    assert numeros == {propio["numero"], libre["numero"]}
    assert ajeno["numero"] not in numeros
    # …also through the console's signed link, which runs as the agent who asked for it.
    r = await soporte.post(URL + "enlace/", headers=soporte.auth(ana))
    url = (await r.json())["url"]
    r = await soporte.get(ruta(url))
    assert {f["numero"] for f in leer(await r.read())} == numeros


async def test_semicolon_separator(soporte: SoporteClient, gente: dict[str, Usuario]) -> None:
    await crear(soporte, gente["lucia"], asunto="Uno; dos, tres")
    r = await soporte.get(URL, headers=soporte.auth(gente["agente"]), params={"separador": ";"})
    cuerpo = await r.read()
    assert cuerpo.decode("utf-8-sig").startswith("numero;asunto;descripcion;")
    [fila] = leer(cuerpo, ";")
    assert fila["asunto"] == "Uno; dos, tres"
    r = await soporte.get(URL, headers=soporte.auth(gente["agente"]), params={"separador": "|"})
    assert r.status == 400


def test_injection_guard_cells() -> None:
    for peligroso in ("=1+2", "+34 600", "-2+3", "@SUMA(A1)", "\tx", "\rx"):
        assert celda(peligroso) == "'" + peligroso
    assert celda("Hola =1") == "Hola =1"
    assert celda(-3) == "-3"  # numbers we write are numbers
    assert celda(None) == ""
    assert celda(Estado.EN_PROGRESO) == "EN_PROGRESO"


async def test_injection_guard_in_the_file(
    soporte: SoporteClient, gente: dict[str, Usuario]
) -> None:
    ticket = await crear(soporte, gente["lucia"], asunto='=HYPERLINK("http://x.test","clic")')
    await Ticket.filter(id=ticket["id"]).update(descripcion="\t@cmd")
    [fila] = await exportar(soporte, gente["agente"])
    assert fila["asunto"] == '\'=HYPERLINK("http://x.test","clic")'
    assert fila["descripcion"] == "'\t@cmd"


async def test_many_rows_in_keyset_batches(start_app: Any) -> None:
    soporte = await start_app(["tickets"], export_batch_size=100)
    lucia = await soporte.usuario("lucia")
    agente = await soporte.usuario("agente", Rol.AGENTE)
    ids = await muchos(lucia, 2500)
    with contar_consultas() as consultas:
        filas = await exportar(soporte, agente, ordering="id")
    assert [f["numero"] for f in filas] == [
        n for n in await Ticket.filter(id__in=ids).order_by("id").values_list("numero", flat=True)
    ]
    lecturas = [s for s in consultas if "tickets_ticket" in s and "LIMIT" in s.upper()]
    assert len(lecturas) == 26  # 25 full batches, then the empty one that ends it
    assert not any("OFFSET" in s.upper() for s in consultas)


async def test_batches_follow_any_order(start_app: Any) -> None:
    # Keyset pages over a mixed order (a CASE rank ascending, then a date descending, with ties
    # in both) must give exactly the list's order: no row lost or repeated at a batch edge.
    soporte = await start_app(["tickets"], export_batch_size=7)
    lucia = await soporte.usuario("lucia")
    agente = await soporte.usuario("agente", Rol.AGENTE)
    await muchos(lucia, 60)
    ordering = "prioridad,-fecha_creacion"
    r = await soporte.get(
        "/api/soporte/tickets/",
        headers=soporte.auth(agente),
        params={"ordering": ordering, "size": 100},
    )
    esperados = [t["numero"] for t in (await r.json())["results"]]
    assert len(esperados) == 60
    filas = await exportar(soporte, agente, ordering=ordering)
    assert [f["numero"] for f in filas] == esperados
    filas = await exportar(soporte, agente, ordering="-estado,nivel_escalamiento")
    assert len({f["numero"] for f in filas}) == 60


async def test_client_leaving_mid_stream_breaks_nothing(
    start_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    soporte = await start_app(["tickets"], export_batch_size=10)
    lucia = await soporte.usuario("lucia")
    agente = await soporte.usuario("agente", Rol.AGENTE)
    # 2,500 rows of 4 KB: 10 MB, far more than the socket buffers hold, so the server is still
    # writing when the client goes.
    await muchos(lucia, 2500, descripcion="x" * 4000)
    caplog.set_level(logging.INFO)
    r = await soporte.get(URL, headers=soporte.auth(agente))
    assert r.status == 200
    primero = await r.content.read(1024)
    assert primero.startswith("\ufeff".encode())
    r.close()  # the browser's download cancelled
    # The server notices at its next write; give it a moment, then it must serve as before.
    for _ in range(50):
        if "stopped by the client" in caplog.text:
            break
        await asyncio.sleep(0.05)
    assert "stopped by the client" in caplog.text
    assert "unhandled error" not in caplog.text
    assert len(await exportar(soporte, agente)) == 2500
    r = await soporte.get("/api/soporte/tickets/", headers=soporte.auth(agente))
    assert (await r.json())["count"] == 2500


# --- the console's signed link -----------------------------------------------------------------


def ruta(url: str) -> str:
    """The path and query of an absolute link (the test client speaks paths)."""
    return "/" + url.split("//", 1)[1].split("/", 1)[1]


async def test_signed_link_exports_without_a_token(
    soporte: SoporteClient, gente: dict[str, Usuario]
) -> None:
    lucia, agente = gente["lucia"], gente["agente"]
    a = await crear(soporte, lucia, asunto="Factura")
    await crear(soporte, lucia, asunto="Otra cosa")
    r = await soporte.post(
        URL + "enlace/", headers=soporte.auth(agente), params={"q": "factura", "separador": ";"}
    )
    assert r.status == 200, await r.text()
    enlace = await r.json()
    assert enlace["url"].startswith("http") and "/api/soporte/tickets/exportar/" in enlace["url"]
    assert datetime.fromisoformat(enlace["expira"]) > datetime.now(UTC)
    r = await soporte.get(ruta(enlace["url"]))  # no Authorization header: a plain link
    assert r.status == 200
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert [f["numero"] for f in leer(await r.read(), ";")] == [a["numero"]]
    # A customer cannot mint one; a bad filter is refused when minting.
    assert (await soporte.post(URL + "enlace/", headers=soporte.auth(lucia))).status == 403
    r = await soporte.post(URL + "enlace/", headers=soporte.auth(agente), params={"estado": "X"})
    assert r.status == 400
    # Logging out ends the links that session asked for.
    assert (await soporte.post("/api/auth/logout/", headers=soporte.auth(agente))).status == 204
    r = await soporte.get(ruta(enlace["url"]))
    assert r.status == 403
    assert "sesión" in (await r.json())["detail"]


async def test_an_empty_export_is_the_header(
    soporte: SoporteClient, gente: dict[str, Usuario]
) -> None:
    assert await exportar(soporte, gente["agente"]) == []


async def test_signed_link_refusals(start_app: Any) -> None:
    soporte = await start_app(["tickets", "casos"], export_link_ttl_seconds=1)
    agente = await soporte.usuario("agente", Rol.AGENTE)
    r = await soporte.post(URL + "enlace/", headers=soporte.auth(agente))
    url = ruta((await r.json())["url"])
    token = url.rstrip("/").rsplit("/", 1)[1]
    # Tampered, or a tickets link used for cases: 403.
    assert (await soporte.get(url[:-3] + "x" + url[-2:])).status == 403
    assert (await soporte.get(f"/api/soporte/casos/exportar/enlace/{token}/")).status == 403
    assert (await soporte.get(url)).status == 200
    # Its agent demoted: the link dies with the role.
    await Usuario.filter(id=agente.id).update(rol=Rol.CLIENTE)
    assert (await soporte.get(url)).status == 403
    await Usuario.filter(id=agente.id).update(rol=Rol.AGENTE)
    await asyncio.sleep(2.1)
    r = await soporte.get(url)
    assert r.status == 403
    assert "caducado" in (await r.json())["detail"]
