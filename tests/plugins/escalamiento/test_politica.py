"""The built-in policy ``tiempo_respuesta``: its arithmetic on a fixed clock (with and without
business hours, with the clock stopped), and real passes at chosen instants — levels, clock
stops and restarts, business hours with pauses, several rules. Nothing here sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core import keys
from plugins.escalamiento.horario import Horario
from plugins.escalamiento.models import Alerta, Escalamiento, Regla
from plugins.escalamiento.politicas import TiempoRespuesta
from plugins.tickets.models import Canal, Ticket
from plugins.tickets.service import responder
from tests.plugins.escalamiento.ayudas import Kit, ahora

pytestmark = pytest.mark.plugins("tickets", "escalamiento")

MADRID = ZoneInfo("Europe/Madrid")


async def test_nivel_k_tras_k_veces_el_limite(kit: Kit) -> None:
    await kit.regla(tiempo_respuesta_maximo=2, niveles_escalamiento=3)
    ticket = await kit.ticket()
    t0 = (await Ticket.get(id=ticket)).esperando_desde
    assert await kit.pasada(t0 + timedelta(hours=1, minutes=59)) == []
    assert await kit.nivel(ticket) == 0

    (uno,) = await kit.pasada(t0 + timedelta(hours=2))
    assert (uno.ticket_id, uno.nivel) == (ticket, 1)
    assert await kit.nivel(ticket) == 1
    assert await kit.pasada(t0 + timedelta(hours=3, minutes=59)) == []

    (dos,) = await kit.pasada(t0 + timedelta(hours=4))
    assert dos.nivel == 2 and await kit.nivel(ticket) == 2
    # Never above the rule's number of levels, however long the wait.
    (tres,) = await kit.pasada(t0 + timedelta(hours=500))
    assert tres.nivel == 3
    assert await kit.pasada(t0 + timedelta(hours=900)) == []
    assert await kit.nivel(ticket) == 3
    assert [e.nivel for e in kit.eventos("ticket_escalado")] == [1, 2, 3]


async def test_una_pasada_tardia_aplica_cada_nivel_en_orden(kit: Kit) -> None:
    regla = await kit.regla(tiempo_respuesta_maximo=1, niveles_escalamiento=3)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=7))
    hechos = await kit.pasada()
    assert [(e.ticket_id, e.nivel) for e in hechos] == [(ticket, 1), (ticket, 2), (ticket, 3)]
    assert all(e.regla_id == regla["id"] and e.politica == "tiempo_respuesta" for e in hechos)
    # Severity grows with the level: the last one is critical.
    assert [e.alerta_nivel for e in hechos] == ["advertencia", "advertencia", "critica"]
    assert await Alerta.filter(ticket_id=ticket).count() == 3
    eventos = kit.eventos("ticket_escalado")
    assert [(e.ticket_id, e.nivel, e.nivel_anterior) for e in eventos] == [
        (ticket, 1, 0),
        (ticket, 2, 1),
        (ticket, 3, 2),
    ]
    cambios = [e.cambios for e in kit.eventos("ticket_actualizado")]
    assert {"nivel_escalamiento": [2, 3]} in cambios


async def test_horas_fraccionarias_sin_errores_de_redondeo(kit: Kit) -> None:
    await kit.regla(tiempo_respuesta_maximo=0.1, niveles_escalamiento=3)
    ticket = await kit.ticket()
    t0 = (await Ticket.get(id=ticket)).esperando_desde
    hechos = await kit.pasada(t0 + timedelta(seconds=1080))  # exactly 3 × 6 min
    assert [e.nivel for e in hechos] == [1, 2, 3]


async def test_solo_prioridades_y_categorias_de_la_regla(kit: Kit) -> None:
    await kit.regla(prioridades_escalamiento=["ALTA"], categorias=["PAGOS"])
    hace = timedelta(hours=3)
    pagos_alta = await kit.ticket("ALTA", "PAGOS", esperando_hace=hace)
    await kit.ticket("BAJA", "PAGOS", esperando_hace=hace)
    await kit.ticket("ALTA", "TECNICO", esperando_hace=hace)
    hechos = await kit.pasada()
    assert [e.ticket_id for e in hechos] == [pagos_alta]


async def test_la_respuesta_de_un_agente_para_el_reloj(kit: Kit) -> None:
    await kit.regla(tiempo_respuesta_maximo=2)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=3))
    assert [e.nivel for e in await kit.pasada()] == [1]
    await kit.responder(ticket, kit.agente, "Lo estamos revisando")
    assert (await Ticket.get(id=ticket)).esperando_desde is None
    assert await kit.pasada(ahora() + timedelta(days=30)) == []
    # The level reached stays as history.
    assert await kit.nivel(ticket) == 1


async def test_la_respuesta_por_chat_tambien_para_el_reloj(kit: Kit) -> None:
    await kit.regla(tiempo_respuesta_maximo=2)
    ticket_id = await kit.ticket(esperando_hace=timedelta(hours=1))
    ticket = await Ticket.get(id=ticket_id)
    # The chat plugin stores its messages through this same service call (canal CHAT).
    await responder(kit.soporte.app[keys.EVENTS], ticket, kit.agente, "Hola", canal=Canal.CHAT)
    assert await kit.pasada(ahora() + timedelta(days=30)) == []


async def test_un_nuevo_mensaje_del_cliente_reinicia_el_reloj(kit: Kit) -> None:
    await kit.regla(tiempo_respuesta_maximo=2, niveles_escalamiento=3)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=5))
    assert [e.nivel for e in await kit.pasada()] == [1, 2]
    await kit.responder(ticket, kit.agente, "¿Puede darnos más datos?")
    # While the customer is being waited on, nothing counts.
    assert await kit.pasada(ahora() + timedelta(hours=10)) == []

    await kit.responder(ticket, kit.cliente, "Aquí están")
    nuevo = (await Ticket.get(id=ticket)).esperando_desde
    assert nuevo is not None
    # A second customer message does not restart a clock that already runs.
    await kit.responder(ticket, kit.cliente, "¿Hay novedades?")
    assert (await Ticket.get(id=ticket)).esperando_desde == nuevo

    # The new waiting period counts from the customer's message, levels from 1 again.
    assert await kit.pasada(nuevo + timedelta(hours=1, minutes=59)) == []
    hechos = await kit.pasada(nuevo + timedelta(hours=2))
    assert [e.nivel for e in hechos] == [1]
    assert await kit.nivel(ticket) == 2  # the ticket keeps its highest level
    assert kit.eventos("ticket_escalado")[-1].nivel_anterior == 2
    hechos = await kit.pasada(nuevo + timedelta(hours=6))
    assert [e.nivel for e in hechos] == [2, 3]
    assert await kit.nivel(ticket) == 3
    periodos = (
        await Escalamiento.filter(ticket_id=ticket).order_by("id").values_list("periodo", "nivel")
    )
    assert [n for _, n in periodos] == [1, 2, 1, 2, 3]
    assert len({p for p, _ in periodos}) == 2
    assert await Alerta.filter(ticket_id=ticket).count() == 5


@pytest.mark.parametrize("estado", ["RESUELTO", "CERRADO"])
async def test_resuelto_o_cerrado_no_cuenta(kit: Kit, estado: str) -> None:
    await kit.regla(tiempo_respuesta_maximo=2)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=1))
    r = await kit.soporte.patch(
        f"/api/soporte/tickets/{ticket}/",
        json={"estado": estado},
        headers=kit.soporte.auth(kit.agente),
    )
    assert r.status == 200, await r.text()
    assert await kit.pasada(ahora() + timedelta(days=3)) == []
    # Even a clock left running on a resolved ticket is ignored.
    await kit.esperando(ticket, ahora() - timedelta(days=3))
    assert await kit.pasada() == []


async def test_horario_laboral_noches_fines_de_semana_y_festivos(kit: Kit) -> None:
    await kit.regla(
        tiempo_respuesta_maximo=2.5,
        niveles_escalamiento=3,
        horario={
            "zona": "Europe/Madrid",
            "dias": [0, 1, 2, 3, 4],
            "intervalos": [["09:00", "14:00"], ["15:00", "18:00"]],
            "festivos": ["2026-03-09"],
        },
    )
    ticket = await kit.ticket()
    # Waiting since Friday 2026-03-06 at 17:00 (Madrid); Monday the 9th is a holiday.
    await kit.esperando(ticket, datetime(2026, 3, 6, 17, tzinfo=MADRID).astimezone(UTC))

    def martes(hh: int, mm: int = 0) -> datetime:
        return datetime(2026, 3, 10, hh, mm, tzinfo=MADRID)

    async def niveles(cuando: datetime) -> list[int]:
        return [e.nivel for e in await kit.pasada(cuando)]

    # Friday 17–18 (1 h), nothing on the weekend nor the holiday, Tuesday from 09:00.
    assert await niveles(martes(10, 29)) == []
    assert await niveles(martes(10, 30)) == [1]  # 2.5 h
    assert await niveles(martes(12, 59)) == []
    assert await niveles(martes(13)) == [2]  # 5 h
    # 14:00 makes 6 h; the 14–15 break does not count; 7.5 h are reached at 16:30.
    assert await niveles(martes(16, 29)) == []
    assert await niveles(martes(16, 30)) == [3]


async def test_varias_reglas_gana_el_nivel_mas_alto(kit: Kit) -> None:
    lenta = await kit.regla(tiempo_respuesta_maximo=4, niveles_escalamiento=3)
    rapida = await kit.regla(tiempo_respuesta_maximo=1, niveles_escalamiento=2, nombre="Rápida")
    ticket = await kit.ticket(esperando_hace=timedelta(hours=2, minutes=30))
    hechos = await kit.pasada()
    assert [(e.nivel, e.regla_id) for e in hechos] == [(1, rapida["id"]), (2, rapida["id"])]
    # Later the slow rule reaches 3: only the missing level is applied, by that rule.
    hechos = await kit.pasada(ahora() + timedelta(hours=10))
    assert [(e.nivel, e.regla_id) for e in hechos] == [(3, lenta["id"])]
    assert "«Rápida»" in (await Alerta.filter(ticket_id=ticket).order_by("id").first()).mensaje


async def test_reglas_inactivas_o_de_politicas_ausentes_no_escalan(kit: Kit) -> None:
    inactiva = await kit.regla(activa=False)
    await kit.ticket(esperando_hace=timedelta(days=2))
    assert await kit.pasada() == []
    # A rule naming a policy whose plugin was disabled later is skipped; the others still run.
    await Regla.filter(id=inactiva["id"]).update(activa=True, politica="de_un_plugin_quitado")
    await kit.regla(niveles_escalamiento=1)
    assert [e.nivel for e in await kit.pasada()] == [1]


async def test_una_regla_de_un_nivel_da_una_alerta_critica(kit: Kit) -> None:
    await kit.regla(niveles_escalamiento=1)
    await kit.ticket(esperando_hace=timedelta(hours=3))
    (hecho,) = await kit.pasada()
    assert hecho.alerta_nivel == "critica"


# --- the arithmetic alone, on a fixed clock ----------------------------------------------------

OFICINA = Horario.crear("Europe/Madrid")  # Monday–Friday 09:00–18:00


def _regla(horas: float, niveles: int = 3, calendario: Horario | None = None) -> Any:
    """What ``nivel_objetivo`` reads of a rule (the same attributes ``Regla`` has)."""
    return SimpleNamespace(
        limite=timedelta(hours=horas),
        total_niveles=niveles,
        calendario=calendario,
        prioridades_escalamiento=["ALTA"],
        categorias=[],
    )


def _ticket(esperando_desde: datetime | None, estado: str = "ABIERTO") -> Any:
    return SimpleNamespace(
        estado=estado, prioridad="ALTA", categoria="TECNICO", esperando_desde=esperando_desde
    )


@pytest.mark.parametrize(
    ("esperado", "nivel"),
    [
        (timedelta(0), 0),
        (timedelta(hours=1, minutes=59, seconds=59), 0),
        (timedelta(hours=2), 1),
        (timedelta(hours=5, minutes=59), 2),
        (timedelta(hours=6), 3),
        (timedelta(days=400), 3),  # capped at the rule's levels
        (-timedelta(hours=3), 0),  # a clock set in the future counts nothing
    ],
)
def test_aritmetica_sin_horario(esperado: timedelta, nivel: int) -> None:
    ahora_fija = datetime(2026, 3, 7, 23, 30, tzinfo=UTC)  # a Saturday night: no calendar here
    ticket = _ticket(ahora_fija - esperado)
    assert TiempoRespuesta().nivel_objetivo(ticket, _regla(2), ahora_fija) == nivel


@pytest.mark.parametrize(
    ("desde", "hasta", "nivel"),
    [
        # Monday 17:00 → Tuesday 09:59: 1 h 59 min of office time.
        (datetime(2026, 3, 2, 17, tzinfo=MADRID), datetime(2026, 3, 3, 9, 59, tzinfo=MADRID), 0),
        (datetime(2026, 3, 2, 17, tzinfo=MADRID), datetime(2026, 3, 3, 10, tzinfo=MADRID), 1),
        # Friday 17:00 → Monday 11:59: the weekend does not count (1 h + 2 h 59 min).
        (datetime(2026, 3, 6, 17, tzinfo=MADRID), datetime(2026, 3, 9, 11, 59, tzinfo=MADRID), 1),
        (datetime(2026, 3, 6, 17, tzinfo=MADRID), datetime(2026, 3, 9, 12, tzinfo=MADRID), 2),
        # Saturday 10:00 → Sunday 23:00: a whole weekend of waiting, nothing counted.
        (datetime(2026, 3, 7, 10, tzinfo=MADRID), datetime(2026, 3, 8, 23, tzinfo=MADRID), 0),
    ],
)
def test_aritmetica_con_horario(desde: datetime, hasta: datetime, nivel: int) -> None:
    regla = _regla(2, calendario=OFICINA)
    assert TiempoRespuesta().nivel_objetivo(_ticket(desde), regla, hasta) == nivel


def test_aritmetica_con_el_reloj_parado() -> None:
    """A stopped clock (an agent answered, or the ticket is resolved) counts nothing at all."""
    fija = datetime(2026, 3, 3, 12, tzinfo=UTC)
    politica = TiempoRespuesta()
    assert politica.nivel_objetivo(_ticket(None), _regla(1), fija) == 0
    hace_un_mes = fija - timedelta(days=30)
    for estado in ("RESUELTO", "CERRADO"):
        assert politica.nivel_objetivo(_ticket(hace_un_mes, estado), _regla(1), fija) == 0
    assert politica.nivel_objetivo(_ticket(hace_un_mes, "EN_PROGRESO"), _regla(1), fija) == 3


async def test_pausas_con_horario_laboral(kit: Kit) -> None:
    """Business hours and pauses together: each waiting period counts only its office time."""
    await kit.regla(
        tiempo_respuesta_maximo=2,
        niveles_escalamiento=3,
        horario={"zona": "Europe/Madrid", "intervalos": [["09:00", "18:00"]]},  # Monday–Friday
    )
    ticket = await kit.ticket()

    def madrid(dia: int, hh: int, mm: int = 0) -> datetime:
        return datetime(2026, 3, dia, hh, mm, tzinfo=MADRID)

    async def niveles(cuando: datetime) -> list[int]:
        return [e.nivel for e in await kit.pasada(cuando)]

    # First period: since Monday 2 at 17:00.
    await kit.esperando(ticket, madrid(2, 17).astimezone(UTC))
    assert await niveles(madrid(3, 9, 59)) == []
    assert await niveles(madrid(3, 10)) == [1]
    # Pause: an agent answers. Days pass; nothing counts.
    await kit.responder(ticket, kit.agente, "Lo miramos")
    assert await niveles(madrid(5, 17)) == []
    # The customer writes on Thursday 5 at 17:30: a new period (levels from 1, office time).
    await kit.responder(ticket, kit.cliente, "¿Alguna novedad?")
    await kit.esperando(ticket, madrid(5, 17, 30).astimezone(UTC))
    assert await niveles(madrid(6, 10, 29)) == []  # 30 min + 1 h 29 min
    assert await niveles(madrid(6, 10, 30)) == [1]
    # Pause again: resolved. A resolved ticket's time never counts.
    r = await kit.soporte.patch(
        f"/api/soporte/tickets/{ticket}/",
        json={"estado": "RESUELTO"},
        headers=kit.soporte.auth(kit.agente),
    )
    assert r.status == 200, await r.text()
    assert await niveles(madrid(20, 12)) == []
    # The customer reopens it by writing; that period starts Friday 6 at 17:00: the weekend
    # does not count, so level 1 arrives on Monday 9 at 10:00 and level 2 at 12:00.
    await kit.responder(ticket, kit.cliente, "Sigue sin funcionar")
    assert (await Ticket.get(id=ticket)).estado == "EN_PROGRESO"
    await kit.esperando(ticket, madrid(6, 17).astimezone(UTC))
    assert await niveles(madrid(9, 9, 59)) == []
    assert await niveles(madrid(9, 12)) == [1, 2]
    assert await kit.nivel(ticket) == 2
    periodos = await Escalamiento.filter(ticket_id=ticket).values_list("periodo", flat=True)
    assert len(set(periodos)) == 3
