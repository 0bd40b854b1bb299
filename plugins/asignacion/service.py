"""Automatic assignment: who is eligible, the turn lock, the write, the sweep, presence.

One assignment is one transaction (:meth:`Asignador._asignar`):

1. outside it, the ticket's pool: the members of its team (``core.auth.equipos.miembros``),
   else every active agent; minus those with assignment switched off, off shift or — with
   ``require_online`` — not present;
2. inside it, the **turn**: ``UPDATE asignacion_contador SET valor = valor + 1``. That row lock
   is held until the commit, so the choices of every process run one after another and each
   sees the previous one's result (the round-robin state, the open-ticket counts);
3. under the lock: each candidate's open tickets and state, capacity applied, the policy's
   choice, then ``tickets.api.asignar`` — a conditional update (``agente_asignado_id IS NULL``,
   or still the agent being replaced) emitting ``TicketActualizado`` — and the chosen agent's
   ``ultima_asignacion``/``asignados``, all in the same transaction.

So a ticket is assigned exactly once however many processes try (the listener of the process
that created it, any process's sweep), and with ``round_robin`` the tickets spread evenly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from aiohttp import web
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from core.auth import equipos
from core.auth.models import Rol, Usuario
from core.events import UnitOfWork
from core.plugin_contract import await_me_maybe
from plugins.asignacion.models import CONTADOR_ID, AgenteAsignacion, Contador, Presencia
from plugins.asignacion.politicas import AgenteVista
from plugins.asignacion.turnos import Turno
from plugins.tickets import api as tickets

if TYPE_CHECKING:
    from collections.abc import Iterable

    from core.events import EventBus
    from plugins.asignacion.settings import AsignacionSettings

log = logging.getLogger("soporte.asignacion")

#: The application's assigner (only when a policy is configured).
ASIGNADOR: web.AppKey[Asignador] = web.AppKey("asignacion_asignador")
#: The application's presence heartbeat (only when a policy is configured).
LATIDO: web.AppKey[Latido] = web.AppKey("asignacion_latido")

#: Assignments are made on behalf of the system (history's channel).
CANAL = "SISTEMA"


async def miembros_de(equipo_id: int) -> list[int]:
    """The active AGENTE/ADMIN members of an active team (``core.auth.equipos.miembros``)."""
    return list(await equipos.miembros(equipo_id))


async def agentes_activos() -> list[int]:
    """Every active AGENTE/ADMIN, by id."""
    # tortoise types every values_list() as tuples; flat=True returns the bare ids.
    ids = cast(
        "list[int]",
        await Usuario.filter(activo=True, rol__in=[Rol.AGENTE, Rol.ADMIN]).values_list(
            "id", flat=True
        ),
    )
    return sorted(ids)


def en_turno(horario: Any, ahora: datetime) -> bool:
    """Whether a stored shift (``None``: always) includes ``ahora``; a broken one never does."""
    if not horario:
        return True
    try:
        return Turno.desde_dict(horario).en_turno(ahora)
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring an invalid shift %r", horario)
        return False


async def presentes(ids: Iterable[int], ahora: datetime, ventana: timedelta) -> set[int]:
    """Which of ``ids`` were seen with a socket open within ``ventana`` (any process)."""
    lista = list(ids)
    if not lista:
        return set()
    vistos = cast(
        "list[int]",
        await Presencia.filter(usuario_id__in=lista, visto__gte=ahora - ventana).values_list(
            "usuario_id", flat=True
        ),
    )
    return set(vistos)


async def marcar_presentes(ids: Iterable[int], ahora: datetime | None = None) -> None:
    """Record ``ids`` as seen now (one upsert): a socket opened, closed or is still open."""
    visto = ahora or datetime.now(UTC)
    filas = [Presencia(usuario_id=i, visto=visto) for i in sorted(set(ids))]
    if filas:
        await Presencia.bulk_create(filas, on_conflict=["usuario_id"], update_fields=["visto"])


async def asegurar_contador() -> None:
    """Create the turn counter's row if it is missing (two processes may race: one wins)."""
    if not await Contador.exists(id=CONTADOR_ID):
        with contextlib.suppress(IntegrityError):
            await Contador.create(id=CONTADOR_ID, valor=0)


@dataclass(frozen=True)
class Barrido:
    """What a sweep did: tickets assigned, tickets moved off an agent whose shift ended."""

    asignados: int = 0
    reasignados: int = 0


class Asignador:
    """Assigns tickets with one policy and the plugin's settings (one per application)."""

    def __init__(self, bus: EventBus, politica: Any, ajustes: AsignacionSettings) -> None:
        self.bus = bus
        self.politica = politica
        self.ajustes = ajustes
        self._contador_listo = False

    @property
    def ventana_presencia(self) -> timedelta:
        """How long after their last sign an agent still counts as present."""
        return timedelta(seconds=self.ajustes.presence_seconds)

    async def elegibles(
        self, ticket: tickets.TicketVista, ahora: datetime, *, excluir: int | None = None
    ) -> list[int]:
        """The agents who may get ``ticket`` now, before capacity (which is read under the
        turn lock): the pool, minus assignment off, off shift, absent (if required)."""
        pool = (
            await miembros_de(ticket.equipo_id)
            if ticket.equipo_id is not None
            else await agentes_activos()
        )
        pool = [i for i in pool if i != excluir]
        if not pool:
            return []
        ajustes = {a.usuario_id: a for a in await AgenteAsignacion.filter(usuario_id__in=pool)}
        pool = [
            i
            for i in pool
            if (a := ajustes.get(i)) is None or (a.activo and en_turno(a.horario, ahora))
        ]
        if self.ajustes.require_online:
            vistos = await presentes(pool, ahora, self.ventana_presencia)
            pool = [i for i in pool if i in vistos]
        return pool

    async def asignar_ticket(self, ticket_id: int, ahora: datetime | None = None) -> int | None:
        """Assign ``ticket_id`` if it is open and unassigned; the agent, or ``None``."""
        ticket = await tickets.obtener(ticket_id)
        if (
            ticket is None
            or ticket.agente_asignado_id is not None
            or ticket.estado not in tickets.ESTADOS_ABIERTOS
        ):
            return None
        return await self._asignar(ticket, ahora or datetime.now(UTC), anterior=None)

    async def _asignar(
        self, ticket: tickets.TicketVista, ahora: datetime, *, anterior: int | None
    ) -> int | None:
        """One assignment (see the module docstring); ``anterior``: the agent being replaced
        (``None``: only if the ticket is unassigned)."""
        pool = await self.elegibles(ticket, ahora, excluir=anterior)
        if not pool:
            return None
        if not self._contador_listo:
            await asegurar_contador()
            self._contador_listo = True
        await AgenteAsignacion.bulk_create(
            [AgenteAsignacion(usuario_id=i) for i in pool], ignore_conflicts=True
        )
        async with UnitOfWork(self.bus) as uow:
            conn = uow.connection
            # The turn: this row lock orders every process's choice (held until commit).
            await Contador.filter(id=CONTADOR_ID).using_db(conn).update(valor=F("valor") + 1)
            contador = await Contador.filter(id=CONTADOR_ID).using_db(conn).first()
            turno = contador.valor if contador is not None else 0
            estados = {
                a.usuario_id: a
                for a in await AgenteAsignacion.filter(usuario_id__in=pool).using_db(conn)
            }
            abiertos = await tickets.abiertos_por_agente(pool, conn=conn)
            nombres = dict(
                await Usuario.filter(id__in=pool).using_db(conn).values_list("id", "username")
            )
            vistos = await presentes(pool, ahora, self.ventana_presencia)
            agentes: list[AgenteVista] = []
            for i in pool:
                estado = estados.get(i)
                capacidad = estado.capacidad if estado and estado.capacidad is not None else None
                if capacidad is None and self.ajustes.capacity > 0:
                    capacidad = self.ajustes.capacity
                if capacidad is not None and capacidad > 0 and abiertos[i] >= capacidad:
                    continue
                agentes.append(
                    AgenteVista(
                        id=i,
                        username=str(nombres.get(i, "")),
                        abiertos=abiertos[i],
                        capacidad=capacidad if capacidad else None,
                        ultima_asignacion=estado.ultima_asignacion if estado else 0,
                        asignados=estado.asignados if estado else 0,
                        en_linea=i in vistos,
                    )
                )
            if not agentes:
                return None
            elegido = await await_me_maybe(self.politica.elegir(ticket, agentes, ahora))
            if elegido is None:
                return None
            if elegido not in {a.id for a in agentes}:
                log.error(
                    "assignment policy %r chose %r, not one of the eligible agents",
                    getattr(self.politica, "name", self.politica),
                    elegido,
                )
                return None
            hecho = await tickets.asignar(
                self.bus,
                ticket.id,
                elegido,
                solo_si_libre=anterior is None,
                anterior=anterior,
                canal=CANAL,
            )
            if not hecho:
                return None
            await (
                AgenteAsignacion.filter(usuario_id=elegido)
                .using_db(conn)
                .update(ultima_asignacion=turno, asignados=F("asignados") + 1)
            )
        log.info("ticket %s assigned to agent %s", ticket.id, elegido)
        return int(elegido)

    async def fuera_de_turno(self, ahora: datetime) -> list[int]:
        """Agents with a shift that does not include ``ahora``."""
        filas = await AgenteAsignacion.filter(horario__not_isnull=True).values_list(
            "usuario_id", "horario"
        )
        return sorted(int(u) for u, h in filas if h and not en_turno(h, ahora))

    async def barrer(self, ahora: datetime | None = None) -> Barrido:
        """Assign every unassigned open ticket that someone may take; with
        ``reassign_off_shift``, move open tickets of agents off shift to agents on shift (a
        ticket nobody on shift may take stays where it is)."""
        ahora = ahora or datetime.now(UTC)
        asignados = reasignados = 0
        async for lote in tickets.candidatos(tickets.Criterios(sin_agente=True)):
            for ticket in lote:
                if await self._asignar(ticket, ahora, anterior=None) is not None:
                    asignados += 1
        if self.ajustes.reassign_off_shift:
            fuera = await self.fuera_de_turno(ahora)
            if fuera:
                async for lote in tickets.candidatos(tickets.Criterios(agentes=tuple(fuera))):
                    for ticket in lote:
                        anterior = ticket.agente_asignado_id
                        if await self._asignar(ticket, ahora, anterior=anterior) is not None:
                            reasignados += 1
        return Barrido(asignados, reasignados)

    async def bucle(self, parar: asyncio.Event | None = None) -> None:
        """Sweep now and every ``sweep_seconds`` until ``parar`` is set (a failed sweep is
        logged and the loop goes on)."""
        parar = parar or asyncio.Event()
        while not parar.is_set():
            try:
                await self.barrer()
            except Exception:
                log.exception("the assignment sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(parar.wait(), self.ajustes.sweep_seconds)


class Latido:
    """Presence across processes: the agents with a socket open here are marked seen when
    their first socket opens, when their last one closes, and every third of
    ``presence_seconds`` while any is open (a dead process simply stops marking them)."""

    def __init__(self, sesiones: Any, ventana: float) -> None:
        self.sesiones = sesiones
        self.periodo = max(ventana / 3, 0.05)
        self._tareas: set[asyncio.Task[None]] = set()
        self._latido = asyncio.Event()

    def cambio(self, usuario_id: int, rol: str, conectado: bool) -> None:
        """The registry's presence callback: mark an agent seen, in the background."""
        if rol not in (Rol.AGENTE, Rol.ADMIN):
            return
        tarea = asyncio.ensure_future(self._marcar([usuario_id]))
        self._tareas.add(tarea)
        tarea.add_done_callback(self._tareas.discard)

    async def _marcar(self, ids: list[int]) -> None:
        try:
            await marcar_presentes(ids)
        except Exception:  # the database away: the next beat tries again
            log.exception("could not record the presence of %s", ids)

    def agentes(self) -> list[int]:
        """Agents with a socket open in this process now."""
        return [u for u, rol in self.sesiones.present().items() if rol in (Rol.AGENTE, Rol.ADMIN)]

    async def bucle(self, parar: asyncio.Event | None = None) -> None:
        """Mark this process's present agents every :attr:`periodo` until ``parar`` is set."""
        parar = parar or asyncio.Event()
        while not parar.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(parar.wait(), self.periodo)
            if ids := self.agentes():
                await self._marcar(ids)
            latido, self._latido = self._latido, asyncio.Event()
            latido.set()

    async def siguiente(self) -> None:
        """Wait until the next periodic beat has been written (tests, diagnostics)."""
        await self._latido.wait()

    async def esperar(self) -> None:
        """Wait for the marks scheduled so far (at shutdown; tests: "the socket is seen")."""
        if self._tareas:
            await asyncio.wait(set(self._tareas), timeout=5)
