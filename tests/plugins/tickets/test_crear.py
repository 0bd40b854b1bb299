"""POST /api/soporte/tickets/: the guide's crearTicket, validation, numbers, the booking hook."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from core import hookimpl, keys
from core.auth.models import Rol
from core.db import activate
from core.testing import SoporteClient
from plugins.tickets.service import Estado, Ticket, TicketCreado
from tests.plugins.tickets.conftest import GUIA, bearer, crear, formulario

pytestmark = pytest.mark.plugins("tickets")

CAMPOS_TICKET = {
    "id",
    "numero",
    "asunto",
    "descripcion",
    "categoria",
    "prioridad",
    "estado",
    "fecha_creacion",
    "fecha_actualizacion",
    "reserva_relacionada",
    "cliente",
    "agente_asignado",
    "equipo",
    "nivel_escalamiento",
    "archivos_adjuntos",
    "valoracion",
    "etiquetas",
}
ISO_CON_DESFASE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


async def test_crear_como_la_guia(soporte):
    lucia = await soporte.usuario("lucia", nombre="Lucía Fernández")
    r = await soporte.post("/api/soporte/tickets/", headers=soporte.auth(lucia), json=GUIA)
    assert r.status == 201, await r.text()
    ticket = await r.json()
    assert set(ticket) == CAMPOS_TICKET
    assert r.headers["Location"] == str(soporte.make_url(f"/api/soporte/tickets/{ticket['id']}/"))
    assert ticket["numero"] == f"TK-{ticket['id']:06d}"
    assert ticket["asunto"] == GUIA["asunto"]
    assert ticket["descripcion"] == GUIA["descripcion"]
    assert (ticket["categoria"], ticket["prioridad"], ticket["estado"]) == (
        "PAGOS",
        "ALTA",
        "ABIERTO",
    )
    assert ticket["reserva_relacionada"] == {"id": 123}
    assert ticket["cliente"] == {"id": lucia.id, "nombre": "Lucía Fernández"}
    assert ticket["agente_asignado"] is None
    assert ticket["nivel_escalamiento"] == 0
    assert ticket["archivos_adjuntos"] == []
    assert ticket["valoracion"] is None
    assert ISO_CON_DESFASE.match(ticket["fecha_creacion"])
    assert ISO_CON_DESFASE.match(ticket["fecha_actualizacion"])
    # The customer now waits for a first answer: the escalation clock runs.
    fila = await Ticket.get(id=ticket["id"])
    assert fila.esperando_desde is not None and fila.primera_respuesta_agente is None
    [evento] = [e for e in soporte.events if isinstance(e, TicketCreado)]
    assert (evento.ticket_id, evento.cliente_id) == (ticket["id"], lucia.id)
    assert evento.name == "ticket_creado"


async def test_valores_por_defecto_y_ruta_sin_barra(soporte):
    ana = await soporte.usuario("ana")
    body = {"asunto": "Duda", "categoria": "GENERAL", "descripcion": "¿Hay parking?"}
    r = await soporte.post("/api/soporte/tickets", headers=soporte.auth(ana), json=body)
    assert r.status == 201, await r.text()
    ticket = await r.json()
    assert ticket["prioridad"] == "MEDIA"
    assert ticket["reserva_relacionada"] is None
    # The guide sends ``prioridad: undefined`` → omitted, or null: both mean the default.
    ticket = await crear(soporte, ana, prioridad=None, reserva_relacionada=None)
    assert ticket["prioridad"] == "MEDIA" and ticket["reserva_relacionada"] is None


async def test_un_agente_tambien_puede_abrir_tickets(soporte):
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear(soporte, carla)
    assert ticket["cliente"]["id"] == carla.id


@pytest.mark.parametrize(
    ("cambios", "campo"),
    [
        ({"asunto": ""}, "asunto"),
        ({"asunto": "   "}, "asunto"),
        ({"asunto": "x" * 201}, "asunto"),
        ({"categoria": "pagos"}, "categoria"),
        ({"categoria": "OTRA"}, "categoria"),
        ({"categoria": None}, "categoria"),
        ({"prioridad": "URGENTE"}, "prioridad"),
        ({"descripcion": ""}, "descripcion"),
        ({"descripcion": "x" * 10001}, "descripcion"),
        ({"reserva_relacionada": "abc"}, "reserva_relacionada"),
        ({"reserva_relacionada": 0}, "reserva_relacionada"),
        ({"reserva_relacionada": 2**63}, "reserva_relacionada"),
        ({"archivos_adjuntos": "x"}, "archivos_adjuntos"),
        ({"archivos_adjuntos": ["x"]}, "archivos_adjuntos.0"),
        ({"archivos_adjuntos": [2**31]}, "archivos_adjuntos.0"),
    ],
)
async def test_campos_invalidos_son_400(soporte, cambios, campo):
    ana = await soporte.usuario("ana")
    r = await soporte.post(
        "/api/soporte/tickets/", headers=soporte.auth(ana), json={**GUIA, **cambios}
    )
    assert r.status == 400, await r.text()
    assert r.content_type == "application/problem+json"
    assert campo in (await r.json())["errors"]
    assert await Ticket.all().count() == 0


async def test_todos_los_campos_malos_se_listan(soporte):
    ana = await soporte.usuario("ana")
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(ana),
        json={"asunto": "", "categoria": "X", "prioridad": "Y"},
    )
    assert r.status == 400
    assert {"asunto", "categoria", "prioridad", "descripcion"} <= set((await r.json())["errors"])


async def test_cuerpo_mal_formado_y_tipo_no_soportado(soporte):
    ana = await soporte.usuario("ana")
    r = await soporte.post("/api/soporte/tickets/", headers=soporte.auth(ana), data="{no json")
    assert r.status == 400
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers={**bearer(ana), "Content-Type": "application/xml"},
        data="<ticket/>",
    )
    assert r.status == 415


async def test_sin_token_es_401(soporte):
    r = await soporte.post("/api/soporte/tickets/", json=GUIA)
    assert r.status == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers={"Authorization": "Bearer null", "Content-Type": "application/json"},
        json=GUIA,
    )
    assert r.status == 401


async def test_numeros_unicos_con_creacion_concurrente(soporte):
    clientes = [await soporte.usuario(f"cliente{i}") for i in range(5)]
    respuestas = await asyncio.gather(
        *(
            soporte.post(
                "/api/soporte/tickets/",
                headers=soporte.auth(clientes[i % 5]),
                json={**GUIA, "asunto": f"Ticket {i}"},
            )
            for i in range(32)
        )
    )
    assert [r.status for r in respuestas] == [201] * 32
    tickets = [await r.json() for r in respuestas]
    numeros = {t["numero"] for t in tickets}
    assert len(numeros) == 32
    assert numeros == {f"TK-{t['id']:06d}" for t in tickets}
    assert set(await Ticket.all().values_list("numero", flat=True)) == numeros


async def test_crear_con_formulario_y_archivos(soporte):
    ana = await soporte.usuario("ana")
    campos = {
        "asunto": "Factura",
        "categoria": "PAGOS",
        "descripcion": "Adjunto la factura",
        "reserva_relacionada": "null",
    }
    archivos = {
        "archivo_0": ("factura.pdf", b"%PDF-1.4 demo", "application/pdf"),
        "archivo_1": ("captura.png", b"\x89PNG demo", "image/png"),
    }
    r = await soporte.post(
        "/api/soporte/tickets/", headers=bearer(ana), data=formulario(campos, archivos)
    )
    assert r.status == 201, await r.text()
    ticket = await r.json()
    assert ticket["prioridad"] == "MEDIA" and ticket["reserva_relacionada"] is None
    assert [(a["nombre"], a["tipo"], a["tamano"]) for a in ticket["archivos_adjuntos"]] == [
        ("factura.pdf", "application/pdf", 13),
        ("captura.png", "image/png", 9),
    ]
    # Bad form fields are a 400 too, and nothing stays on disk.
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=bearer(ana),
        data=formulario({**campos, "categoria": "NADA"}, archivos),
    )
    assert r.status == 400 and "categoria" in (await r.json())["errors"]
    guardados = [p for p in soporte.app[keys.SETTINGS].media_dir.rglob("*") if p.is_file()]
    assert len(guardados) == 2


# --- the validate_reserva hook --------------------------------------------------------------


class Reservas:
    """An ad-hoc plugin of the host platform's bookings: ids from 1000 on do not exist."""

    name = "reservas_test"

    def __init__(self) -> None:
        self.consultas: list[tuple[int, int]] = []

    @hookimpl
    async def validate_reserva(self, reserva_id: int, usuario: Any) -> str | None:
        self.consultas.append((reserva_id, usuario.id))
        return f"La reserva {reserva_id} no existe." if reserva_id >= 1000 else None


@pytest.fixture
async def con_reservas(make_app, aiohttp_client):
    plugin = Reservas()
    app = make_app(plugins=["tickets"], extra=[plugin])
    client = SoporteClient(await aiohttp_client(app), app)
    with activate(app[keys.DB].ctx):
        yield client, plugin


async def test_reserva_validada_por_el_hook(con_reservas):
    soporte, plugin = con_reservas
    ana = await soporte.usuario("ana")
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(ana),
        json={**GUIA, "reserva_relacionada": 4321},
    )
    assert r.status == 400
    assert (await r.json())["errors"] == {"reserva_relacionada": ["La reserva 4321 no existe."]}
    assert await Ticket.all().count() == 0
    ticket = await crear(soporte, ana, reserva_relacionada=77)
    assert ticket["reserva_relacionada"] == {"id": 77}
    await crear(soporte, ana, reserva_relacionada=None)
    assert plugin.consultas == [(4321, ana.id), (77, ana.id)]  # no id, no question


async def test_sin_plugin_de_reservas_el_id_se_guarda_tal_cual(soporte):
    ana = await soporte.usuario("ana")
    ticket = await crear(soporte, ana, reserva_relacionada=2**40)  # booking ids may be big
    assert ticket["reserva_relacionada"] == {"id": 2**40}
    assert (await Ticket.get(id=ticket["id"])).reserva_relacionada == 2**40
    assert (await Ticket.get(id=ticket["id"])).estado == Estado.ABIERTO


class Estricta:
    """A second booking plugin, synchronous and ``tryfirst``: its objection is listed first."""

    name = "zz_estricta"  # registered after reservas_test by name: only tryfirst puts it first

    @hookimpl(tryfirst=True)
    def validate_reserva(self, reserva_id: int) -> str | None:
        return "La reserva está cerrada." if reserva_id % 2 else None


async def test_las_objeciones_de_varios_plugins_se_listan_en_el_orden_de_pluggy(
    make_app, aiohttp_client
):
    reservas = Reservas()
    app = make_app(plugins=["tickets"], extra=[reservas, Estricta()])
    soporte = SoporteClient(await aiohttp_client(app), app)
    with activate(app[keys.DB].ctx):
        ana = await soporte.usuario("ana")
        r = await soporte.post(
            "/api/soporte/tickets/",
            headers=soporte.auth(ana),
            json={**GUIA, "reserva_relacionada": 1001},
        )
        assert r.status == 400
        assert (await r.json())["errors"] == {
            "reserva_relacionada": ["La reserva está cerrada.", "La reserva 1001 no existe."]
        }
        ticket = await crear(soporte, ana, reserva_relacionada=8)  # nobody objects
        assert ticket["reserva_relacionada"] == {"id": 8}
        assert reservas.consultas == [(1001, ana.id), (8, ana.id)]
