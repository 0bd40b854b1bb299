"""Business-hours arithmetic: ``segundos_habiles`` across nights, weekends, holidays and DST."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from plugins.escalamiento.horario import Horario, minutos_de_hora, segundos_habiles

MADRID = ZoneInfo("Europe/Madrid")
H = 3600


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A Madrid wall-clock time (2026-03-02 is a Monday)."""
    return datetime(y, m, d, hh, mm, tzinfo=MADRID)


OFICINA = Horario.crear("Europe/Madrid")  # Monday–Friday 09:00–18:00
PARTIDO = Horario.crear("Europe/Madrid", intervalos=[["15:00", "18:00"], ["09:00", "14:00"]])


def test_sin_horario_cuenta_todo_y_nunca_negativo() -> None:
    desde = datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert segundos_habiles(desde, desde + timedelta(hours=30), None) == 30 * H
    assert segundos_habiles(desde, desde - timedelta(hours=1), None) == 0
    assert segundos_habiles(desde, desde - timedelta(hours=1), OFICINA) == 0


def test_dentro_de_un_mismo_dia() -> None:
    assert segundos_habiles(local(2026, 3, 2, 10), local(2026, 3, 2, 12), OFICINA) == 2 * H
    # Before opening and after closing nothing counts.
    assert segundos_habiles(local(2026, 3, 2, 6), local(2026, 3, 2, 20), OFICINA) == 9 * H


def test_la_noche_no_cuenta() -> None:
    # Monday 17:00 → Tuesday 10:00: one hour each side of the night.
    assert segundos_habiles(local(2026, 3, 2, 17), local(2026, 3, 3, 10), OFICINA) == 2 * H


def test_el_fin_de_semana_no_cuenta() -> None:
    # Friday 17:00 → Monday 10:00.
    assert segundos_habiles(local(2026, 3, 6, 17), local(2026, 3, 9, 10), OFICINA) == 2 * H
    # Waiting since Saturday: the clock starts on Monday at 09:00.
    assert segundos_habiles(local(2026, 3, 7, 11), local(2026, 3, 9, 9, 30), OFICINA) == H / 2


def test_festivos_no_cuentan() -> None:
    festivo = Horario.crear("Europe/Madrid", festivos=["2026-03-09"])  # that Monday
    assert segundos_habiles(local(2026, 3, 6, 17), local(2026, 3, 10, 10), festivo) == 2 * H
    assert festivo.laborable(date(2026, 3, 10)) and not festivo.laborable(date(2026, 3, 9))


def test_varios_intervalos_al_dia() -> None:
    # 13:00 → 16:00 with a lunch break 14:00–15:00.
    assert segundos_habiles(local(2026, 3, 2, 13), local(2026, 3, 2, 16), PARTIDO) == 2 * H
    # A whole working day is 8 hours.
    assert segundos_habiles(local(2026, 3, 2), local(2026, 3, 3), PARTIDO) == 8 * H


def test_semanas_completas() -> None:
    # Four weeks of Monday–Friday 9–18.
    assert segundos_habiles(local(2026, 3, 2), local(2026, 3, 30), OFICINA) == 4 * 5 * 9 * H


def test_cambio_de_hora_cuenta_el_tiempo_real() -> None:
    noche = Horario.crear("Europe/Madrid", dias=[6], intervalos=[["00:00", "06:00"]])
    # 2026-03-29: clocks jump 02:00 → 03:00, that night lasts 5 real hours.
    assert segundos_habiles(local(2026, 3, 29), local(2026, 3, 30), noche) == 5 * H
    # 2026-10-25: clocks go back 03:00 → 02:00, that night lasts 7 real hours.
    assert segundos_habiles(local(2026, 10, 25), local(2026, 10, 26), noche) == 7 * H
    # Office hours across the spring change: Friday 17:00 CET → Monday 10:00 CEST.
    assert segundos_habiles(local(2026, 3, 27, 17), local(2026, 3, 30, 10), OFICINA) == 2 * H
    # An interval inside the skipped hour counts nothing.
    hueco = Horario.crear("Europe/Madrid", dias=[6], intervalos=[["02:00", "03:00"]])
    assert segundos_habiles(local(2026, 3, 29), local(2026, 3, 30), hueco) == 0


def test_intervalo_hasta_medianoche_y_otras_zonas() -> None:
    tarde = Horario.crear("Europe/Madrid", dias=range(7), intervalos=[["20:00", "24:00"]])
    assert segundos_habiles(local(2026, 3, 2, 23), local(2026, 3, 3, 1), tarde) == H
    # Instants in any zone (here UTC) give the same answer.
    desde = local(2026, 3, 2, 17).astimezone(UTC)
    hasta = local(2026, 3, 3, 10).astimezone(ZoneInfo("America/New_York"))
    assert segundos_habiles(desde, hasta, OFICINA) == 2 * H


def test_una_espera_de_un_anio_es_barata() -> None:
    inicio = time.perf_counter()
    total = segundos_habiles(local(2025, 3, 2), local(2026, 3, 2), OFICINA)
    assert time.perf_counter() - inicio < 0.1
    assert 250 * 9 * H < total < 262 * 9 * H


def test_forma_guardada_normalizada() -> None:
    horario = Horario.crear(
        "Europe/Madrid", [4, 0], [["15:00", "18:00"], ["09:00", "14:00"]], ["2026-12-25"]
    )
    assert horario.a_dict() == {
        "zona": "Europe/Madrid",
        "dias": [0, 4],
        "intervalos": [["09:00", "14:00"], ["15:00", "18:00"]],
        "festivos": ["2026-12-25"],
    }
    assert Horario.desde_dict(horario.a_dict()) == horario
    assert minutos_de_hora("24:00") == 1440 and minutos_de_hora("09:30") == 570


@pytest.mark.parametrize(
    ("zona", "dias", "intervalos", "mensaje"),
    [
        ("Marte/Base", [0], [["09:00", "18:00"]], "zona"),
        ("../../etc/passwd", [0], [["09:00", "18:00"]], "zona"),
        ("Europe/Madrid", [], [["09:00", "18:00"]], "dias"),
        ("Europe/Madrid", [7], [["09:00", "18:00"]], "dias"),
        ("Europe/Madrid", [0], [["18:00", "09:00"]], "inicio"),
        ("Europe/Madrid", [0], [["09:00", "25:00"]], "hora"),
        ("Europe/Madrid", [0], [["09:00", "14:00"], ["13:00", "18:00"]], "solapan"),
        ("Europe/Madrid", [0], [], "al menos"),
    ],
)
def test_horarios_invalidos(
    zona: str, dias: list[int], intervalos: list[list[str]], mensaje: str
) -> None:
    with pytest.raises(ValueError, match=mensaje):
        Horario.crear(zona, dias, intervalos)
