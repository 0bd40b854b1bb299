"""``core.history``: rows written in the caller's transaction, read back in order with names."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tortoise.transactions import in_transaction

from core.auth.guards import public_change
from core.auth.models import Equipo, Rol
from core.history import CREADO, Canal, history, record
from core.history_models import Cambio

if TYPE_CHECKING:
    from core.testing import SoporteClient


async def test_record_writes_one_row_per_field_and_history_reads_them_in_order(
    api: SoporteClient,
) -> None:
    agente = await api.usuario("ana", Rol.AGENTE, nombre="Ana Pérez")
    otro = await api.usuario("luis", Rol.AGENTE, nombre="")
    equipo = await Equipo.create(nombre="Pagos")
    async with in_transaction() as conn:
        await record(conn, entidad="ticket", entidad_id=7, cambios={CREADO: [None, "ABIERTO"]},
                     autor_id=None, canal=Canal.API)  # fmt: skip
        await record(
            conn,
            entidad="ticket",
            entidad_id=7,
            cambios={
                "estado": ["ABIERTO", "EN_PROGRESO"],
                "agente_asignado": [None, otro.id],
                "equipo": [None, equipo.id],
            },
            autor_id=agente.id,
            canal=Canal.CHAT,
        )
    # Another object's history is not mixed in.
    await record(None, entidad="caso", entidad_id=7, cambios={"estado": ["A", "B"]},
                 autor_id=None, canal=Canal.SISTEMA)  # fmt: skip
    todo = await history("ticket", 7, solo_publico=False)
    assert [(c.campo, c.anterior, c.nuevo) for c in todo] == [
        (CREADO, None, "ABIERTO"),
        ("estado", "ABIERTO", "EN_PROGRESO"),
        ("agente_asignado", None, otro.id),
        ("equipo", None, equipo.id),
    ]
    assert [c.autor_nombre for c in todo] == [None, "Ana Pérez", "Ana Pérez", "Ana Pérez"]
    assert [c.canal for c in todo] == ["API", "CHAT", "CHAT", "CHAT"]
    # Ids are shown with names: a user's visible name (the username when nombre is blank).
    assert todo[2].nuevo_nombre == "luis" and todo[2].anterior_nombre is None
    assert todo[3].nuevo_nombre == "Pagos"
    # Teams are internal: the customer's timeline leaves them out.
    publico = await history("ticket", 7, solo_publico=True)
    assert [c.campo for c in publico] == [CREADO, "estado", "agente_asignado"]


async def test_record_joins_the_callers_transaction(api: SoporteClient) -> None:
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await record(conn, entidad="ticket", entidad_id=1, cambios={"estado": ["A", "B"]},
                         autor_id=None, canal=Canal.API)  # fmt: skip
            raise RuntimeError("rolled back")
    assert await Cambio.all().count() == 0


async def test_record_with_nothing_changed_writes_nothing(api: SoporteClient) -> None:
    await record(None, entidad="ticket", entidad_id=1, cambios={}, autor_id=None, canal="API")
    assert await Cambio.all().count() == 0


def test_the_public_timeline_is_an_allow_list() -> None:
    assert public_change("ticket", "estado") and public_change("caso", CREADO)
    assert not public_change("ticket", "equipo")
    assert not public_change("ticket", "nivel_escalamiento")
    assert not public_change("ticket", "un_campo_nuevo")
