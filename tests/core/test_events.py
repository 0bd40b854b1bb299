"""Domain events: the unit of work publishes after commit, drops on rollback, isolates failing
listeners, and lets ``in_transaction`` listeners veto the work."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import FrozenInstanceError, dataclass
from typing import TYPE_CHECKING, ClassVar

import pytest

from core import keys
from core.api import Conflict
from core.auth.models import Usuario
from core.events import Event, EventBus, Listener, UnitOfWork
from tests.core.pruebas import Pruebas, UsuarioCreado

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SoporteClient


@dataclass(frozen=True, kw_only=True)
class Creado(Event):
    """A test event."""

    name: ClassVar[str] = "creado"
    username: str


@dataclass(frozen=True, kw_only=True)
class CreadoEspecial(Creado):
    """A subclass: listeners of :class:`Creado` get it too."""

    name: ClassVar[str] = "creado_especial"


@dataclass(frozen=True, kw_only=True)
class Otro(Event):
    name: ClassVar[str] = "otro"


async def test_unit_of_work_publishes_after_commit(api: SoporteClient) -> None:
    bus = api.app[keys.EVENTS]
    vistos: list[tuple[str, bool]] = []

    async def despues(event: Creado) -> None:
        # Runs once the row is committed: a fresh query (no transaction) sees it.
        vistos.append((event.username, await Usuario.filter(username=event.username).exists()))

    bus.subscribe(Listener(Creado, despues))
    async with UnitOfWork(bus) as uow:
        await Usuario.create(username="ana", password_hash="x", using_db=uow.connection)
        await uow.emit(Creado(username="ana"))
        await asyncio.sleep(0)
        assert vistos == [] and api.events == []  # nothing published inside the transaction
    assert vistos == [("ana", True)]
    assert api.events == [Creado(username="ana")]


async def test_events_are_dropped_when_the_work_rolls_back(api: SoporteClient) -> None:
    bus = api.app[keys.EVENTS]
    with pytest.raises(RuntimeError, match="falla"):
        async with UnitOfWork(bus) as uow:
            await Usuario.create(username="ana", password_hash="x", using_db=uow.connection)
            await uow.emit(Creado(username="ana"))
            raise RuntimeError("falla")
    assert api.events == []
    assert not await Usuario.filter(username="ana").exists()
    # The same unit of work class is fine afterwards (nothing left pending anywhere).
    async with UnitOfWork(bus) as uow:
        await uow.emit(Creado(username="bea"))
    assert api.events == [Creado(username="bea")]


async def test_a_failing_after_commit_listener_is_logged_and_breaks_nothing(
    arrancar: Callable[..., Awaitable[SoporteClient]], caplog: pytest.LogCaptureFixture
) -> None:
    recibidos: list[str] = []

    def falla(event: UsuarioCreado) -> None:
        raise ValueError("listener roto")

    async def bien(event: UsuarioCreado) -> None:
        recibidos.append(event.username)

    api = await arrancar(
        extra=[Pruebas([Listener(UsuarioCreado, falla), Listener(UsuarioCreado, bien)])]
    )
    with caplog.at_level(logging.ERROR, logger="soporte.events"):
        r = await api.post("/api/pruebas/notas/", json={"username": "ana"})
    assert r.status == 201, await r.text()
    assert recibidos == ["ana"]
    assert await Usuario.filter(username="ana").exists()
    [record] = [rec for rec in caplog.records if rec.name == "soporte.events"]
    assert "falla" in record.getMessage() and "usuario_creado" in record.getMessage()
    assert record.exc_info is not None and "listener roto" in str(record.exc_info[1])


async def test_an_in_transaction_listener_can_veto_the_work(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    def veto(event: UsuarioCreado) -> None:
        if event.username == "prohibido":
            raise Conflict("Nombre reservado.")

    api = await arrancar(extra=[Pruebas([Listener(UsuarioCreado, veto, "in_transaction")])])
    r = await api.post("/api/pruebas/notas/", json={"username": "prohibido"})
    assert r.status == 409
    assert (await r.json())["detail"] == "Nombre reservado."
    assert not await Usuario.filter(username="prohibido").exists()
    assert api.events == []
    r = await api.post("/api/pruebas/notas/", json={"username": "permitido"})
    assert r.status == 201
    assert [e.username for e in api.events] == ["permitido"]  # type: ignore[attr-defined]  # UsuarioCreado


async def test_in_transaction_listeners_write_inside_the_transaction(api: SoporteClient) -> None:
    """An in_transaction listener's own writes roll back with the work it vetoes."""
    bus = api.app[keys.EVENTS]

    async def registra(event: Creado) -> None:
        await Usuario.create(username=f"sombra-{event.username}", password_hash="x")

    def veto(event: Creado) -> None:
        if event.username == "malo":
            raise Conflict("no")

    bus.subscribe(Listener(Creado, registra, "in_transaction"))
    bus.subscribe(Listener(Creado, veto, "in_transaction"))
    with pytest.raises(Conflict):
        async with UnitOfWork(bus) as uow:
            await uow.emit(Creado(username="malo"))
    assert not await Usuario.filter(username="sombra-malo").exists()
    async with UnitOfWork(bus) as uow:
        await uow.emit(Creado(username="bueno"))
    assert await Usuario.filter(username="sombra-bueno").exists()


@pytest.mark.plugins()
async def test_the_soporte_fixture_captures_published_events(soporte: SoporteClient) -> None:
    assert soporte.app[keys.PLUGINS].names == []
    bus = soporte.app[keys.EVENTS]
    async with UnitOfWork(bus) as uow:
        await uow.emit(Creado(username="uno"))
    with pytest.raises(KeyError):
        async with UnitOfWork(bus) as uow:
            await uow.emit(Creado(username="nunca"))
            raise KeyError("rollback")
    await bus.emit(Otro())
    assert soporte.events == [Creado(username="uno"), Otro()]


async def test_listeners_are_chosen_by_event_type_and_phase() -> None:
    log: list[str] = []
    bus = EventBus(
        [
            Listener(Creado, lambda e: log.append(f"despues:{e.name}")),
            Listener(Creado, lambda e: log.append(f"dentro:{e.name}"), "in_transaction"),
            Listener(Otro, lambda e: log.append("otro")),
        ]
    )
    await bus.emit(CreadoEspecial(username="x"))
    assert log == ["dentro:creado_especial", "despues:creado_especial"]
    log.clear()
    await bus.publish(Creado(username="x"))
    assert log == ["despues:creado"]


async def test_subscribe_checks_the_phase_and_unsubscribe_removes() -> None:
    bus = EventBus()
    with pytest.raises(ValueError, match="phase"):
        bus.subscribe(Listener(Creado, print, "antes"))  # type: ignore[arg-type]  # a bad phase, on purpose
    log: list[Event] = []
    listener = Listener(Event, log.append)
    bus.subscribe(listener)
    await bus.emit(Otro())
    bus.unsubscribe(listener)
    await bus.emit(Otro())
    assert log == [Otro()]


async def test_an_in_transaction_failure_propagates_from_a_plain_emit() -> None:
    def veto(event: Event) -> None:
        raise Conflict("no")

    despues: list[Event] = []
    bus = EventBus([Listener(Otro, veto, "in_transaction"), Listener(Otro, despues.append)])
    with pytest.raises(Conflict):
        await bus.emit(Otro())
    assert despues == []


def test_events_are_frozen_keyword_only_dataclasses() -> None:
    evt = Creado(username="ana")
    assert evt.to_dict() == {"username": "ana"} and evt.name == "creado"
    with pytest.raises(FrozenInstanceError):
        evt.username = "otra"  # type: ignore[misc]  # frozen: must raise
    with pytest.raises(TypeError):
        Creado("ana")  # type: ignore[call-arg]  # keyword-only: must raise


@pytest.mark.plugins("tickets", "chat")
async def test_the_plugins_marker_chooses_the_plugins_of_the_soporte_fixture(
    soporte: SoporteClient,
) -> None:
    assert soporte.app[keys.PLUGINS].names == ["tickets", "chat"]


async def test_a_nested_unit_of_work_publishes_only_when_the_outer_one_commits(
    api: SoporteClient,
) -> None:
    """A service that opens its own unit of work may be called inside another one: its events
    must wait for the outermost commit, and vanish if the outer work rolls back."""
    bus = api.app[keys.EVENTS]
    with pytest.raises(RuntimeError):
        async with UnitOfWork(bus):
            async with UnitOfWork(bus) as inner:
                await Usuario.create(username="ana", password_hash="x", using_db=inner.connection)
                await inner.emit(Creado(username="ana"))
            assert api.events == []  # the inner block ended, but nothing is committed yet
            raise RuntimeError("the outer work fails")
    assert api.events == []
    assert not await Usuario.filter(username="ana").exists()

    async with UnitOfWork(bus) as outer:
        async with UnitOfWork(bus) as inner:
            await inner.emit(Creado(username="dentro"))
        assert api.events == []
        await outer.emit(Creado(username="fuera"))
    assert api.events == [Creado(username="dentro"), Creado(username="fuera")]
