"""Automatic assignment in a running app (SQLite, one process): new tickets, the sweep,
capacity, shifts, presence, teams, off-shift reassignment, a third party's policy, the routes.

The sweep's background task is off (``sweep_seconds=0``): tests call ``barrer()`` themselves.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from core import hookimpl
from core.auth.models import Equipo, Rol
from plugins.asignacion.api import ASIGNADOR, LATIDO, PoliticaBase, marcar_presentes
from plugins.asignacion.models import AgenteAsignacion, Presencia
from plugins.tickets.events import TicketActualizado
from plugins.tickets.models import Ticket

if TYPE_CHECKING:
    from core.auth.models import Usuario
    from core.testing import SoporteClient

TICKET = {"asunto": "No puedo pagar", "descripcion": "La tarjeta falla", "categoria": "PAGOS"}


def fuera_de_turno_hoy() -> dict[str, Any]:
    """A shift (UTC) that does not include now: only tomorrow's weekday."""
    manana = (datetime.now(UTC) + timedelta(days=1)).weekday()
    return {"zona": "UTC", "dias": [manana], "intervalos": [["00:00", "24:00"]]}


def siempre() -> dict[str, Any]:
    return {"zona": "UTC", "dias": list(range(7)), "intervalos": [["00:00", "24:00"]]}


async def crear(s: SoporteClient, cliente: Usuario, n: int = 1) -> list[int]:
    """``n`` tickets by ``cliente`` through the API, concurrently; their ids."""

    async def uno() -> int:
        r = await s.post("/api/soporte/tickets/", json=TICKET, headers=s.auth(cliente))
        assert r.status == 201, await r.text()
        return int((await r.json())["id"])

    return list(await asyncio.gather(*(uno() for _ in range(n))))


async def asignados(ids: list[int]) -> dict[int, int | None]:
    return dict(await Ticket.filter(id__in=ids).values_list("id", "agente_asignado_id"))


def asignaciones(s: SoporteClient) -> list[TicketActualizado]:
    return [
        e for e in s.events if isinstance(e, TicketActualizado) and "agente_asignado" in e.cambios
    ]


async def agentes(s: SoporteClient, *nombres: str) -> list[Usuario]:
    return [await s.usuario(n, Rol.AGENTE) for n in nombres]


async def test_sin_politica_nada_se_asigna(start_app: Any) -> None:
    """The default (``policy`` empty): existing behaviour, no listener, no sweep."""
    s = await start_app(["tickets", "asignacion"])
    await agentes(s, "ana")
    cliente = await s.usuario("cli")
    ids = await crear(s, cliente, 3)
    assert set((await asignados(ids)).values()) == {None}
    assert ASIGNADOR not in s.app


async def test_round_robin_reparte_cada_ticket_una_vez_por_igual(arrancar: Any) -> None:
    s = await arrancar("round_robin")
    equipo = await agentes(s, "ana", "beto", "carla")
    cliente = await s.usuario("cli")
    ids = await crear(s, cliente, 30)
    por_ticket = await asignados(ids)
    assert None not in por_ticket.values()
    assert Counter(por_ticket.values()) == {a.id: 10 for a in equipo}
    # Exactly once: one event per ticket, and the agents' counters add up to the tickets.
    eventos = asignaciones(s)
    assert sorted(e.ticket_id for e in eventos) == sorted(ids)
    assert all(e.cambios["agente_asignado"][0] is None and e.actor_id is None for e in eventos)
    assert sum(await AgenteAsignacion.all().values_list("asignados", flat=True)) == 30
    # A sweep finds nothing left to do, and never assigns a second time.
    hecho = await s.app[ASIGNADOR].barrer()
    assert (hecho.asignados, hecho.reasignados) == (0, 0)
    assert len(asignaciones(s)) == 30


async def test_menos_abiertos_iguala_la_carga(arrancar: Any) -> None:
    s = await arrancar("menos_abiertos")
    ana, beto = await agentes(s, "ana", "beto")
    cliente = await s.usuario("cli")
    # Ana already carries three open tickets (assigned by hand).
    previos = await crear(s, cliente, 3)
    await Ticket.filter(id__in=previos).update(agente_asignado_id=ana.id)
    nuevos = [x for _ in range(5) for x in await crear(s, cliente)]  # one after the other
    reparto = Counter((await asignados(nuevos)).values())
    assert reparto == {beto.id: 4, ana.id: 1}  # Beto catches up to 3 + 1, then they alternate


async def test_capacidad_deja_sin_asignar_y_el_barrido_asigna_al_liberarse(arrancar: Any) -> None:
    s = await arrancar("round_robin", capacity=1)
    ana, beto = await agentes(s, "ana", "beto")
    # An admin is an agent too: she takes no tickets automatically once switched off.
    admin = await s.usuario("jefa", Rol.ADMIN)
    r = await s.patch(
        f"/api/soporte/asignacion/agentes/{admin.id}/",
        json={"activo": False},
        headers=s.auth(admin),
    )
    assert r.status == 200
    cliente = await s.usuario("cli")
    ids = [x for _ in range(3) for x in await crear(s, cliente)]
    por_ticket = await asignados(ids)
    assert sorted(v for v in por_ticket.values() if v) == sorted([ana.id, beto.id])
    [libre] = [t for t, a in por_ticket.items() if a is None]
    # A per-agent override beats the default: Ana may take two.
    r = await s.patch(
        f"/api/soporte/asignacion/agentes/{ana.id}/", json={"capacidad": 2}, headers=s.auth(admin)
    )
    assert r.status == 200, await r.text()
    assert (await r.json())["capacidad_efectiva"] == 2
    assert (await s.app[ASIGNADOR].barrer()).asignados == 1
    assert (await asignados([libre]))[libre] == ana.id


async def test_capacidad_cuenta_solo_los_abiertos(arrancar: Any) -> None:
    s = await arrancar("round_robin", capacity=1)
    [ana] = await agentes(s, "ana")
    cliente = await s.usuario("cli")
    primero, segundo = [x for _ in range(2) for x in await crear(s, cliente)]
    assert await asignados([primero, segundo]) == {primero: ana.id, segundo: None}
    await Ticket.filter(id=primero).update(estado="RESUELTO")
    assert (await s.app[ASIGNADOR].barrer()).asignados == 1
    assert (await asignados([segundo]))[segundo] == ana.id


async def test_fuera_de_turno_o_desactivado_no_recibe(arrancar: Any) -> None:
    s = await arrancar("round_robin")
    ana, beto, carla = await agentes(s, "ana", "beto", "carla")
    await AgenteAsignacion.create(usuario_id=ana.id, horario=fuera_de_turno_hoy())
    await AgenteAsignacion.create(usuario_id=beto.id, horario=siempre())
    await AgenteAsignacion.create(usuario_id=carla.id, activo=False)
    cliente = await s.usuario("cli")
    ids = await crear(s, cliente, 4)
    assert set((await asignados(ids)).values()) == {beto.id}


async def test_exigir_presencia_asigna_solo_a_quien_tiene_un_socket(arrancar: Any) -> None:
    s = await arrancar("round_robin", require_online=True)
    ana, beto = await agentes(s, "ana", "beto")
    cliente = await s.usuario("cli")
    [antes] = await crear(s, cliente)
    assert (await asignados([antes]))[antes] is None  # nobody present
    ws = await s.ws("/ws/soporte/notificaciones/", beto)
    await s.recibir(ws, "sincronizado")
    await s.app[LATIDO].esperar()
    # A customer's socket is no presence.
    ws_cliente = await s.ws("/ws/soporte/notificaciones/", cliente)
    await s.recibir(ws_cliente, "sincronizado")
    await s.app[LATIDO].esperar()
    assert await Presencia.filter(usuario_id=cliente.id).count() == 0
    ids = await crear(s, cliente, 3)
    assert set((await asignados(ids)).values()) == {beto.id}
    assert (await s.app[ASIGNADOR].barrer()).asignados == 1  # the one created before
    assert (await asignados([antes]))[antes] == beto.id
    # After the last socket closes, the agent stays present for `presence_seconds`...
    await ws.close()
    await ws_cliente.close()
    await s.app[LATIDO].esperar()
    [otro] = await crear(s, cliente)
    assert (await asignados([otro]))[otro] == beto.id
    # ...and not after (as when the process holding the socket died: nobody refreshes it).
    await Presencia.filter(usuario_id=beto.id).update(
        visto=datetime.now(UTC) - timedelta(seconds=121)
    )
    [tarde] = await crear(s, cliente)
    assert (await asignados([tarde]))[tarde] is None
    # Another process's heartbeat is a row like any other.
    await marcar_presentes([ana.id])
    assert (await s.app[ASIGNADOR].barrer()).asignados == 1
    assert (await asignados([tarde]))[tarde] == ana.id


async def test_el_latido_refresca_la_presencia_mientras_el_socket_sigue_abierto(
    arrancar: Any,
) -> None:
    s = await arrancar("round_robin", require_online=True, presence_seconds=0.3)
    [ana] = await agentes(s, "ana")
    ws = await s.ws("/ws/soporte/notificaciones/", ana)
    await s.recibir(ws, "sincronizado")
    await s.app[LATIDO].esperar()
    primero = (await Presencia.get(usuario_id=ana.id)).visto
    # The heartbeat (every 0.1 s here) moves `visto` while the socket stays open.
    async with asyncio.timeout(5):
        await s.app[LATIDO].siguiente()
    assert (await Presencia.get(usuario_id=ana.id)).visto > primero
    await ws.close()


async def test_con_equipo_solo_sus_miembros(arrancar: Any) -> None:
    s = await arrancar("round_robin")
    ana, beto, carla = await agentes(s, "ana", "beto", "carla")
    equipo = await Equipo.create(nombre="Pagos", categorias=["PAGOS"])
    await equipo.miembros.add(beto, carla)
    cliente = await s.usuario("cli")
    ids = await crear(s, cliente, 4)
    # The tickets get the team (the teams branch does it at creation), and go back to the pool.
    await Ticket.filter(id__in=ids).update(equipo_id=equipo.id, agente_asignado_id=None)
    await AgenteAsignacion.all().update(ultima_asignacion=0)
    assert (await s.app[ASIGNADOR].barrer()).asignados == 4
    assert Counter((await asignados(ids)).values()) == {beto.id: 2, carla.id: 2}
    assert ana.id not in (await asignados(ids)).values()


async def test_reasigna_los_tickets_de_quien_salio_de_turno(arrancar: Any) -> None:
    s = await arrancar("round_robin", reassign_off_shift=True)
    ana, beto = await agentes(s, "ana", "beto")
    cliente = await s.usuario("cli")
    ids = await crear(s, cliente, 4)
    de_ana = [t for t, a in (await asignados(ids)).items() if a == ana.id]
    assert len(de_ana) == 2
    await Ticket.filter(id=de_ana[1]).update(estado="CERRADO")  # closed ones stay
    await AgenteAsignacion.filter(usuario_id=ana.id).update(horario=fuera_de_turno_hoy())
    hecho = await s.app[ASIGNADOR].barrer()
    assert (hecho.asignados, hecho.reasignados) == (0, 1)
    assert await asignados(de_ana) == {de_ana[0]: beto.id, de_ana[1]: ana.id}
    [movido] = [e for e in asignaciones(s) if e.cambios["agente_asignado"][0] is not None]
    assert movido.ticket_id == de_ana[0]
    assert movido.cambios["agente_asignado"] == [ana.id, beto.id]


async def test_sin_reasignar_fuera_de_turno_los_tickets_se_quedan(arrancar: Any) -> None:
    s = await arrancar("round_robin")
    ana, _beto = await agentes(s, "ana", "beto")
    cliente = await s.usuario("cli")
    ids = await crear(s, cliente, 2)
    await AgenteAsignacion.filter(usuario_id=ana.id).update(horario=fuera_de_turno_hoy())
    assert (await s.app[ASIGNADOR].barrer()).reasignados == 0
    assert ana.id in (await asignados(ids)).values()


class PorPrioridad(PoliticaBase):
    """A third party's policy: ALTA tickets to the agent with the lowest id, else nobody; it
    also tries to cheat once, naming an agent who is not eligible."""

    name: ClassVar[str] = "por_prioridad"
    description: ClassVar[str] = "Solo los tickets de prioridad alta, al primer agente."
    tramposa: ClassVar[list[int]] = []

    async def elegir(self, ticket: Any, agentes: Any, ahora: datetime) -> int | None:
        if self.tramposa:
            return self.tramposa.pop()
        return agentes[0].id if ticket.prioridad == "ALTA" else None


class Tercero:
    requires = ("asignacion",)
    name = "tercero"

    @hookimpl
    def register_assignment_policies(self) -> list[Any]:
        return [PorPrioridad]


async def test_una_politica_de_terceros_elige_y_no_puede_hacer_trampa(arrancar: Any) -> None:
    s = await arrancar("por_prioridad", extra=[Tercero()])
    ana, _beto = await agentes(s, "ana", "beto")
    cliente = await s.usuario("cli")
    r = await s.post(
        "/api/soporte/tickets/", json={**TICKET, "prioridad": "ALTA"}, headers=s.auth(cliente)
    )
    alta = (await r.json())["id"]
    [media] = await crear(s, cliente)
    assert await asignados([alta, media]) == {alta: ana.id, media: None}
    PorPrioridad.tramposa.append(cliente.id)  # a customer: not eligible, refused
    r = await s.post(
        "/api/soporte/tickets/", json={**TICKET, "prioridad": "ALTA"}, headers=s.auth(cliente)
    )
    otra = (await r.json())["id"]
    assert (await asignados([otra]))[otra] is None
    r = await s.get("/api/soporte/asignacion/politicas/", headers=s.auth(ana))
    assert r.status == 200
    assert {p["nombre"]: (p["plugin"], p["activa"]) for p in await r.json()} == {
        "round_robin": ("asignacion", False),
        "menos_abiertos": ("asignacion", False),
        "por_prioridad": ("tercero", True),
    }


async def test_ajustes_de_un_agente_por_la_api(arrancar: Any) -> None:
    s = await arrancar("round_robin", capacity=5)
    [ana] = await agentes(s, "ana")
    admin = await s.usuario("jefa", Rol.ADMIN)
    cliente = await s.usuario("cli")
    ruta = f"/api/soporte/asignacion/agentes/{ana.id}/"
    r = await s.get(ruta, headers=s.auth(admin))
    assert r.status == 200
    cuerpo = await r.json()
    assert cuerpo["activo"] is True and cuerpo["capacidad"] is None
    assert cuerpo["capacidad_efectiva"] == 5 and cuerpo["en_turno"] is True
    r = await s.patch(
        ruta,
        json={
            "horario": {"zona": "Europe/Madrid", "intervalos": [["09:00", "14:00"]]},
            "activo": False,
        },
        headers=s.auth(admin),
    )
    assert r.status == 200, await r.text()
    cuerpo = await r.json()
    assert cuerpo["activo"] is False
    assert cuerpo["horario"]["zona"] == "Europe/Madrid"
    assert cuerpo["horario"]["dias"] == [0, 1, 2, 3, 4]
    # Invalid shifts and values are 400s naming the field.
    for malo in ({"horario": {"zona": "Marte/Olimpo"}}, {"capacidad": -1}, {"activo": "si"}):
        r = await s.patch(ruta, json=malo, headers=s.auth(admin))
        assert r.status == 400, malo
        assert set((await r.json())["errors"]) == set(malo)
    r = await s.patch(ruta, json={"horario": None}, headers=s.auth(admin))
    assert (await r.json())["horario"] is None
    # A customer's id, or an unknown one, is no agent: 404.
    for otro in (cliente.id, 1_999_999):
        r = await s.get(f"/api/soporte/asignacion/agentes/{otro}/", headers=s.auth(admin))
        assert r.status == 404
