"""The built-in policies and the shift calendar, as pure functions; the registry's checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from core import hookimpl
from core.plugins import PluginError
from plugins.asignacion.api import AgenteVista, MenosAbiertos, PoliticaBase, RoundRobin
from plugins.asignacion.turnos import Turno
from plugins.tickets.api import Categoria, Estado, Prioridad, TicketVista

AHORA = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)  # a Wednesday
TICKET = TicketVista(
    id=1,
    numero="TK-000001",
    asunto="x",
    estado=Estado.ABIERTO,
    prioridad=Prioridad.MEDIA,
    categoria=Categoria.PAGOS,
    cliente_id=9,
    agente_asignado_id=None,
    nivel_escalamiento=0,
    esperando_desde=AHORA,
    primera_respuesta_agente=None,
    fecha_creacion=AHORA,
    fecha_actualizacion=AHORA,
)


def agente(id: int, *, abiertos: int = 0, ultima: int = 0) -> AgenteVista:
    return AgenteVista(
        id=id,
        username=f"a{id}",
        abiertos=abiertos,
        capacidad=None,
        ultima_asignacion=ultima,
        asignados=0,
        en_linea=True,
    )


def test_round_robin_elige_al_que_hace_mas_que_no_recibe() -> None:
    rr = RoundRobin()
    assert (
        rr.elegir(TICKET, [agente(1, ultima=7), agente(2, ultima=3), agente(3, ultima=5)], AHORA)
        == 2
    )
    # Never assigned (0) goes first; ties by id.
    assert rr.elegir(TICKET, [agente(4, ultima=9), agente(3), agente(2)], AHORA) == 2
    # The open-ticket count does not matter to it.
    assert rr.elegir(TICKET, [agente(1, abiertos=50, ultima=1), agente(2, ultima=2)], AHORA) == 1


def test_round_robin_en_secuencia_reparte_por_igual() -> None:
    """Simulate the plugin's bookkeeping: the chosen one gets the next turn number."""
    ultimas = {1: 0, 2: 0, 3: 0}
    cuenta = dict.fromkeys(ultimas, 0)
    for turno in range(1, 31):
        elegido = RoundRobin().elegir(
            TICKET, [agente(i, ultima=u) for i, u in ultimas.items()], AHORA
        )
        assert elegido is not None
        ultimas[elegido] = turno
        cuenta[elegido] += 1
    assert cuenta == {1: 10, 2: 10, 3: 10}


def test_menos_abiertos_elige_al_de_menos_tickets_y_desempata_por_turno() -> None:
    ma = MenosAbiertos()
    assert (
        ma.elegir(
            TICKET, [agente(1, abiertos=3), agente(2, abiertos=1), agente(3, abiertos=2)], AHORA
        )
        == 2
    )
    tie = [agente(1, abiertos=1, ultima=8), agente(2, abiertos=1, ultima=4)]
    assert ma.elegir(TICKET, tie, AHORA) == 2


def test_turno_dentro_y_fuera_de_horario_en_su_zona() -> None:
    turno = Turno.desde_dict(
        {
            "zona": "Europe/Madrid",
            "dias": [0, 1, 2, 3, 4],
            "intervalos": [["09:00", "14:00"]],
            "festivos": ["2026-12-08"],
        }
    )
    assert turno.en_turno(AHORA)  # 11:30 in Madrid, a Wednesday
    assert not turno.en_turno(datetime(2026, 12, 2, 13, 30, tzinfo=UTC))  # 14:30 local
    assert not turno.en_turno(datetime(2026, 12, 5, 10, 0, tzinfo=UTC))  # Saturday
    assert not turno.en_turno(datetime(2026, 12, 8, 10, 0, tzinfo=UTC))  # holiday
    assert Turno.desde_dict(turno.a_dict()) == turno
    with pytest.raises(ValueError, match="zona"):
        Turno.desde_dict({"zona": "Marte/Olimpo"})
    with pytest.raises(ValueError, match="solapan"):
        Turno.desde_dict({"zona": "UTC", "intervalos": [["09:00", "12:00"], ["11:00", "13:00"]]})


class _SinElegir:
    name: ClassVar[str] = "rota"


class _Duplicada(PoliticaBase):
    name: ClassVar[str] = "round_robin"


class _Extra:
    """An ad-hoc plugin adding assignment policies (as a third party would)."""

    requires = ("asignacion",)

    def __init__(self, *politicas: Any) -> None:
        self.name = "extra"
        self.politicas = politicas

    @hookimpl
    def register_assignment_policies(self) -> list[Any]:
        return list(self.politicas)


@pytest.mark.parametrize(
    ("politica", "mensaje"),
    [
        (_SinElegir, "has no elegir"),
        (_Duplicada, "registered by both plugin 'asignacion' and plugin 'extra'"),
    ],
)
async def test_una_politica_rota_impide_arrancar(
    make_app: Any, politica: Any, mensaje: str
) -> None:
    with pytest.raises(PluginError, match=mensaje):
        make_app(plugins=["tickets", "asignacion"], extra=[_Extra(politica)])


async def test_una_politica_desconocida_impide_arrancar(make_app: Any) -> None:
    with pytest.raises(PluginError, match="'no_existe' is not a registered assignment policy"):
        make_app(
            plugins=["tickets", "asignacion"],
            plugin_settings={"asignacion": {"policy": "no_existe"}},
        )
