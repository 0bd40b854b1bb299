"""An agent's shift: the business hours in which they take tickets.

The stored form is the one of escalation rules' ``horario`` (docs/api.md)::

    {"zona": "Europe/Madrid", "dias": [0, 1, 2, 3, 4],
     "intervalos": [["09:00", "14:00"], ["15:00", "18:00"]], "festivos": ["2026-12-25"]}

Kept here rather than imported from ``escalamiento`` so that assignment works with escalation
disabled; only the question "is this instant inside the shift?" is needed.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Turno"]

_HORA = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$")
_DIAS_LABORABLES = (0, 1, 2, 3, 4)
_INTERVALOS = (("09:00", "18:00"),)


def _minutos(texto: str) -> int:
    """``"09:30"`` → 570; ``"24:00"`` → 1440; ``ValueError`` otherwise."""
    m = _HORA.match(str(texto))
    if m is None:
        raise ValueError(f"hora inválida {texto!r}: use HH:MM (00:00–24:00)")
    return 1440 if m.group(3) else int(m.group(1)) * 60 + int(m.group(2))


def _zona(nombre: str) -> ZoneInfo:
    if not nombre or len(nombre) > 64 or nombre.startswith(("/", ".")) or ".." in nombre:
        raise ValueError(f"zona horaria desconocida: {nombre!r}")
    try:
        return ZoneInfo(nombre)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"zona horaria desconocida: {nombre!r}") from exc


@dataclass(frozen=True)
class Turno:
    """A shift calendar: local working days, intervals (minutes after midnight), holidays."""

    zona: ZoneInfo
    dias: frozenset[int]
    intervalos: tuple[tuple[int, int], ...]
    festivos: frozenset[date]

    @classmethod
    def desde_dict(cls, data: Mapping[str, Any]) -> Turno:
        """Build and check a shift from its stored form; ``ValueError`` says what is wrong."""
        dias = frozenset(int(d) for d in data.get("dias", _DIAS_LABORABLES))
        if not dias or not dias <= set(range(7)):
            raise ValueError("dias: uno o más de 0 (lunes) a 6 (domingo)")
        tramos = sorted((_minutos(a), _minutos(b)) for a, b in data.get("intervalos", _INTERVALOS))
        if not tramos:
            raise ValueError("intervalos: al menos uno")
        for inicio, fin in tramos:
            if inicio >= fin:
                raise ValueError("intervalos: el inicio debe ser anterior al fin")
        for (_, fin_a), (inicio_b, _) in itertools.pairwise(tramos):
            if inicio_b < fin_a:
                raise ValueError("intervalos: se solapan")
        festivos = frozenset(date.fromisoformat(str(f)) for f in data.get("festivos", ()))
        return cls(_zona(str(data.get("zona", ""))), dias, tuple(tramos), festivos)

    def a_dict(self) -> dict[str, Any]:
        """The stored form, normalised."""
        return {
            "zona": self.zona.key,
            "dias": sorted(self.dias),
            "intervalos": [
                [f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"]
                for a, b in self.intervalos
            ],
            "festivos": [f.isoformat() for f in sorted(self.festivos)],
        }

    def en_turno(self, instante: datetime) -> bool:
        """Whether the aware ``instante`` falls inside the shift (local time of ``zona``)."""
        local = instante.astimezone(self.zona)
        if local.weekday() not in self.dias or local.date() in self.festivos:
            return False
        minuto = local.hour * 60 + local.minute
        return any(inicio <= minuto < fin for inicio, fin in self.intervalos)
