"""Tags through tickets' own change command (:func:`plugins.tickets.api.actualizar`): names
compared by key, new names created once, the history's one ``etiquetas`` entry, and a macro's
reply plus tags in one transaction."""

from __future__ import annotations

import pytest

from core import keys, tags
from core.api import BadRequest, Forbidden
from core.auth.models import Rol
from core.events import UnitOfWork
from core.tags_models import Etiqueta
from plugins.tickets import api
from plugins.tickets.service import Categoria, TicketActualizado

pytestmark = pytest.mark.plugins("tickets")


def test_la_clave_ignora_mayusculas_acentos_y_espacios():
    assert tags.clave("  Facturación   Duplicada ") == "facturacion duplicada"
    assert tags.limpiar("  Facturación   Duplicada ") == "Facturación Duplicada"
    assert tags.validar(["VIP", "vip", " Víp "]) == ["VIP"]
    with pytest.raises(BadRequest) as fallo:
        tags.validar(["", "x" * 51])
    assert len(fallo.value.errors["etiquetas"]) == 2


@pytest.fixture
async def mundo(soporte):
    bus = soporte.app[keys.EVENTS]
    lucia = await soporte.usuario("lucia")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await api.crear(
        bus, lucia, asunto="Pago", descripcion="No puedo pagar", categoria=Categoria.PAGOS
    )
    return soporte, bus, lucia, carla, ticket


def _diffs(soporte):
    return [e.cambios for e in soporte.events if isinstance(e, TicketActualizado)]


async def test_poner_agregar_y_quitar(mundo):
    soporte, bus, _, carla, ticket = mundo
    await api.actualizar(bus, carla, ticket.id, {"etiquetas": ["Pagos", "VIP"]})
    await api.actualizar(bus, carla, ticket.id, {"etiquetas_agregar": ["vip", "Urgente"]})
    await api.actualizar(bus, carla, ticket.id, {"etiquetas_quitar": ["PAGOS", "nunca"]})
    # The same set again changes nothing and records nothing.
    await api.actualizar(bus, carla, ticket.id, {"etiquetas": ["urgente", "Vip"]})
    assert _diffs(soporte) == [
        {"etiquetas": [[], ["Pagos", "VIP"]]},
        {"etiquetas": [["Pagos", "VIP"], ["Pagos", "Urgente", "VIP"]]},
        {"etiquetas": [["Pagos", "Urgente", "VIP"], ["Urgente", "VIP"]]},
    ]
    assert await Etiqueta.all().count() == 3  # "vip" found the existing VIP


async def test_el_cliente_no_etiqueta(mundo):
    _, bus, lucia, _, ticket = mundo
    with pytest.raises(Forbidden):
        await api.actualizar(bus, lucia, ticket.id, {"etiquetas": ["mio"]})
    assert await Etiqueta.all().count() == 0


async def test_demasiadas_etiquetas_es_400_sin_cambios(mundo):
    soporte, bus, _, carla, ticket = mundo
    await api.actualizar(bus, carla, ticket.id, {"etiquetas": [f"e{i}" for i in range(20)]})
    with pytest.raises(BadRequest):
        await api.actualizar(bus, carla, ticket.id, {"etiquetas_agregar": ["una mas"]})
    assert len(_diffs(soporte)) == 1


async def test_respuesta_y_etiquetas_en_una_transaccion(mundo):
    # What a macro does: a failing part rolls back the whole (the tag was never linked).
    _, bus, _, carla, ticket = mundo
    with pytest.raises(RuntimeError):
        async with UnitOfWork(bus):
            await api.responder(bus, carla, ticket.id, "Lo miramos")
            await api.actualizar(bus, carla, ticket.id, {"etiquetas_agregar": ["Revisado"]})
            raise RuntimeError("the macro's next step failed")
    assert await Etiqueta.filter(clave="revisado").count() == 0
    assert await api.historial(ticket.id, None, 10) == []
    [vista] = await api.leer([ticket.id])
    assert vista.estado == "ABIERTO"  # the reply's move to EN_PROGRESO rolled back too
