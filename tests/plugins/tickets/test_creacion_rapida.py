"""Ticket creation in one statement: the database assigns the id and the ``TK-…`` number
together, on its own when nothing can veto the creation, inside the unit of work otherwise."""

from __future__ import annotations

import pytest

from core import keys
from core.api.errors import Conflict
from core.auth.models import Rol
from core.events import Listener, UnitOfWork
from core.testing import SoporteClient
from plugins.tickets import service
from plugins.tickets.service import Categoria, Ticket, TicketCreado

pytestmark = pytest.mark.plugins("tickets")

NUEVO = {"asunto": "Pago", "categoria": "PAGOS", "descripcion": "No puedo pagar."}


async def test_numero_del_id_sin_reutilizar_ids_borrados(soporte: SoporteClient) -> None:
    cliente = await soporte.usuario("ana")
    r = await soporte.post("/api/soporte/tickets/", json=NUEVO, headers=soporte.auth(cliente))
    primero = await r.json()
    assert r.status == 201 and primero["numero"] == f"TK-{primero['id']:06d}"
    assert r.headers["Location"].endswith(f"/api/soporte/tickets/{primero['id']}/")
    assert primero["cliente"] == {"id": cliente.id, "nombre": cliente.nombre_visible}
    assert primero["agente_asignado"] is None and primero["valoracion"] is None
    guardado = await Ticket.get(id=primero["id"])
    assert guardado.numero == primero["numero"] and guardado.esperando_desde is not None
    await Ticket.filter(id=primero["id"]).delete()
    r = await soporte.post("/api/soporte/tickets/", json=NUEVO, headers=soporte.auth(cliente))
    segundo = await r.json()
    assert segundo["id"] > primero["id"]  # the id of a deleted ticket is never handed out again
    assert (await Ticket.get(id=segundo["id"])).numero == f"TK-{segundo['id']:06d}"
    assert [e.ticket_id for e in soporte.events if isinstance(e, TicketCreado)] == [
        primero["id"],
        segundo["id"],
    ]


async def test_un_oyente_en_la_transaccion_aun_puede_vetar(soporte: SoporteClient) -> None:
    def veto(evento: TicketCreado) -> None:
        raise Conflict("Vetado por un plugin.")

    bus = soporte.app[keys.EVENTS]
    oyente = Listener(TicketCreado, veto, "in_transaction")
    bus.subscribe(oyente)
    try:
        cliente = await soporte.usuario("ana", Rol.CLIENTE)
        r = await soporte.post("/api/soporte/tickets/", json=NUEVO, headers=soporte.auth(cliente))
        assert r.status == 409
    finally:
        bus.unsubscribe(oyente)
    assert await Ticket.all().count() == 0
    assert not [e for e in soporte.events if isinstance(e, TicketCreado)]


async def test_dentro_de_otra_unidad_de_trabajo_se_deshace_con_ella(
    soporte: SoporteClient,
) -> None:
    cliente = await soporte.usuario("ana")
    bus = soporte.app[keys.EVENTS]
    with pytest.raises(RuntimeError):
        async with UnitOfWork(bus):
            ticket = await service.crear_ticket(
                bus, cliente, asunto="a", descripcion="b", categoria=Categoria.GENERAL
            )
            assert ticket.numero == f"TK-{ticket.id:06d}"
            raise RuntimeError("la operación que la contiene falla")
    assert await Ticket.all().count() == 0
    assert not [e for e in soporte.events if isinstance(e, TicketCreado)]
