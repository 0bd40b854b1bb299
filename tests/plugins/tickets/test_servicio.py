"""The public service other plugins build on (chat, escalamiento), called directly."""

from __future__ import annotations

import itertools

import pytest

from core import keys
from core.api import BadRequest, Conflict, NotFound
from core.auth.models import Rol
from core.events import UnitOfWork
from plugins.tickets import api, service
from plugins.tickets.service import (
    Canal,
    Categoria,
    Estado,
    Prioridad,
    RespuestaCreada,
    Ticket,
    TicketActualizado,
)

pytestmark = pytest.mark.plugins("tickets")

PERMITIDAS = {
    ("ABIERTO", "EN_PROGRESO"),
    ("ABIERTO", "RESUELTO"),
    ("ABIERTO", "CERRADO"),
    ("EN_PROGRESO", "ABIERTO"),
    ("EN_PROGRESO", "RESUELTO"),
    ("EN_PROGRESO", "CERRADO"),
    ("RESUELTO", "EN_PROGRESO"),
    ("RESUELTO", "CERRADO"),
}


def test_tabla_de_transiciones():
    for desde, hacia in itertools.product(Estado, Estado):
        assert service.puede_transitar(desde, hacia) == ((desde, hacia) in PERMITIDAS)
    assert service.TRANSICIONES[Estado.CERRADO] == frozenset()


def test_nombres_publicos():
    assert [c.value for c in Canal] == ["TICKET", "CHAT", "CORREO"]
    assert {e.value for e in Estado} == {"ABIERTO", "EN_PROGRESO", "RESUELTO", "CERRADO"}
    assert {p.value for p in Prioridad} == {"ALTA", "MEDIA", "BAJA"}
    assert {c.value for c in Categoria} == {"TECNICO", "RESERVAS", "PAGOS", "GENERAL"}
    nombres = {
        service.TicketCreado: "ticket_creado",
        service.TicketActualizado: "ticket_actualizado",
        service.RespuestaCreada: "respuesta_creada",
        service.TicketValorado: "ticket_valorado",
    }
    for clase, nombre in nombres.items():
        assert clase.name == nombre
    assert service.formato_numero(123) == "TK-000123"


@pytest.fixture
async def mundo(soporte):
    bus = soporte.app[keys.EVENTS]
    lucia = await soporte.usuario("lucia")
    martin = await soporte.usuario("martin")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await service.crear_ticket(
        bus,
        lucia,
        asunto="Pago",
        descripcion="No puedo pagar",
        categoria=Categoria.PAGOS,
        prioridad=Prioridad.ALTA,
    )
    return soporte, bus, lucia, martin, carla, ticket


async def test_obtener_visible(mundo):
    _, _, lucia, martin, carla, ticket = mundo
    assert (await service.obtener_visible(lucia, ticket.id)).id == ticket.id
    visto = await service.obtener_visible(carla, ticket.id)
    assert visto.cliente.id == lucia.id  # loaded
    with pytest.raises(NotFound):
        await service.obtener_visible(martin, ticket.id)
    with pytest.raises(NotFound):
        await service.obtener_visible(carla, 999999)


async def test_responder_por_chat(mundo):
    soporte, bus, lucia, _, carla, ticket = mundo
    respuesta = await service.responder(bus, ticket, carla, "Hola desde el chat", Canal.CHAT)
    assert respuesta.canal == Canal.CHAT and respuesta.autor.id == carla.id
    assert ticket.estado == Estado.EN_PROGRESO  # the caller's object is kept up to date
    assert ticket.esperando_desde is None and ticket.primera_respuesta_agente is not None
    [evento] = [e for e in soporte.events if isinstance(e, RespuestaCreada)]
    assert (evento.canal, evento.autor_id, evento.respuesta_id) == ("CHAT", carla.id, respuesta.id)
    assert [e.cambios for e in soporte.events if isinstance(e, TicketActualizado)] == [
        {"estado": ["ABIERTO", "EN_PROGRESO"]}
    ]
    with pytest.raises(BadRequest):
        await service.responder(bus, ticket, lucia, "   ", Canal.CHAT)
    await service.actualizar(bus, ticket, lucia, {"estado": Estado.CERRADO})
    with pytest.raises(Conflict):
        await service.responder(bus, ticket, lucia, "¿Sigue ahí?", Canal.CHAT)


async def test_el_estado_se_lee_dentro_de_la_transaccion(mundo):
    # A stale object does not fool the state machine: the row is read under the lock.
    _, bus, lucia, _, carla, ticket = mundo
    viejo = await Ticket.get(id=ticket.id)
    await service.actualizar(bus, ticket, carla, {"estado": Estado.CERRADO})
    with pytest.raises(Conflict):
        await service.responder(bus, viejo, lucia, "hola")


async def test_historial(mundo):
    _, bus, lucia, _, carla, ticket = mundo
    ids = []
    for i in range(6):
        autor = carla if i % 2 else lucia
        canal = Canal.CHAT if i % 3 else Canal.TICKET
        ids.append((await service.responder(bus, ticket, autor, f"m{i}", canal)).id)
    todo = await service.historial(ticket.id, None, 50)
    assert [r.id for r in todo] == ids  # oldest first, both channels
    assert todo[1].autor.nombre_visible == "Carla"  # author loaded
    assert [r.mensaje for r in await service.historial(ticket.id, None, 2)] == ["m4", "m5"]
    assert [r.id for r in await service.historial(ticket.id, ids[2], 50)] == ids[3:]
    assert [r.id for r in await service.historial(ticket.id, ids[2], 2)] == ids[4:]
    assert await service.historial(ticket.id, ids[-1], 50) == []
    assert await service.historial(ticket.id, None, 0) == []


async def test_candidatos_y_subir_nivel_de_la_api(mundo):
    soporte, bus, lucia, _, _carla, ticket = mundo
    otro = await service.crear_ticket(
        bus, lucia, asunto="Baja", descripcion="d", categoria=Categoria.GENERAL
    )

    async def ids(criterios, lote=500):
        return [t.id for grupo in [g async for g in api.candidatos(criterios, lote)] for t in grupo]

    assert await ids(api.Criterios(en_espera=True), lote=1) == [ticket.id, otro.id]
    assert await ids(api.Criterios(prioridades=[Prioridad.ALTA])) == [ticket.id]
    assert await ids(api.Criterios(prioridades=["MEDIA"]).con(categorias=["GENERAL"])) == [otro.id]
    assert await ids(api.Criterios(prioridades=["BAJA"])) == []
    # `con` narrows, never widens.
    assert api.Criterios(prioridades=["ALTA"]).con(prioridades=["ALTA", "MEDIA"]).prioridades == (
        Prioridad.ALTA,
    )
    # Inside the caller's unit of work: a failing check changes nothing.
    async with UnitOfWork(bus) as uow:
        assert await api.subir_nivel(uow, ticket.id, 1, comprobar=lambda t: False) is None
    async with UnitOfWork(bus) as uow:
        subida = await api.subir_nivel(uow, ticket.id, 2)
    assert subida is not None and subida.subido and (subida.anterior, subida.nivel) == (0, 2)
    async with UnitOfWork(bus) as uow:  # never down
        assert not (await api.subir_nivel(uow, ticket.id, 1)).subido
    assert (await api.obtener(ticket.id)).nivel_escalamiento == 2
    cambios = [e.cambios for e in soporte.events if isinstance(e, TicketActualizado)]
    assert cambios == [{"nivel_escalamiento": [0, 2]}]
    with pytest.raises(ValueError):
        async with UnitOfWork(bus) as uow:
            await api.subir_nivel(uow, ticket.id, 0)


async def test_api_crear_validates_as_the_rest_route_and_attaches_uploads(soporte):
    """``tickets.api.crear`` (the e-mail channel's way in): trimmed fields, the route's
    lengths and enums (400 naming the field), the file count (413), files attached in the
    same transaction; a frozen view back."""
    from core.api import PayloadTooLarge
    from core.storage import Upload
    from plugins.tickets.models import Adjunto

    ana = await soporte.usuario("ana")
    bus = soporte.app[keys.EVENTS]
    base = {"asunto": "  Pago  ", "descripcion": "No va", "categoria": Categoria.PAGOS}
    storage = soporte.app[keys.STORAGE]
    clave = storage.new_key()
    storage.path(clave).parent.mkdir(parents=True, exist_ok=True)
    storage.path(clave).write_bytes(b"%PDF")
    subida = Upload("correo", clave, "factura.pdf", "application/pdf", 4)
    vista = await api.crear(bus, ana, **base, adjuntos=[subida], max_archivos=1)
    assert isinstance(vista, api.TicketVista)
    assert (vista.asunto, vista.cliente_id, vista.estado) == ("Pago", ana.id, Estado.ABIERTO)
    assert vista.prioridad == Prioridad.MEDIA
    [adjunto] = await Adjunto.filter(ticket_id=vista.id)
    assert adjunto.clave == clave and adjunto.subido_por_id == ana.id
    for campo, valor in (("asunto", " "), ("asunto", "x" * 201), ("descripcion", "y" * 10_001)):
        with pytest.raises(BadRequest) as exc:
            await api.crear(bus, ana, **{**base, campo: valor})
        assert campo in exc.value.errors
    with pytest.raises(BadRequest) as exc:
        await api.crear(bus, ana, **{**base, "categoria": "OTRA"})  # type: ignore[arg-type]
    assert "categoria" in exc.value.errors
    with pytest.raises(PayloadTooLarge):
        await api.crear(bus, ana, **base, adjuntos=[subida, subida], max_archivos=1)
    assert await Ticket.filter(cliente_id=ana.id).count() == 1
