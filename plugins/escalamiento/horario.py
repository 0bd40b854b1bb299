"""Business-hours calendars: when an escalation clock runs.

A rule's ``horario`` says in which local hours waiting counts: a time zone (IANA name), the
working days (``0`` = Monday … ``6`` = Sunday), one or more intervals a day (``09:00–14:00`` and
``15:00–18:00``; ``24:00`` ends an interval at midnight) and holidays (local dates on which
nothing counts). :func:`segundos_habiles` is the arithmetic, a pure function: it works on real
elapsed time, so an interval that spans a daylight-saving change counts the hours that really
passed (an interval inside the skipped hour counts nothing).

Stored form (JSON, as the API takes it)::

    {"zona": "Europe/Madrid", "dias": [0, 1, 2, 3, 4],
     "intervalos": [["09:00", "14:00"], ["15:00", "18:00"]], "festivos": ["2026-12-25"]}
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.i18n import gettext as _

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "DIAS_LABORABLES",
    "INTERVALOS_POR_DEFECTO",
    "Horario",
    "formato_hora",
    "minutos_de_hora",
    "segundos_habiles",
    "zona_valida",
]

#: Monday to Friday, the default working days.
DIAS_LABORABLES: tuple[int, ...] = (0, 1, 2, 3, 4)
#: 09:00–18:00, the default working hours.
INTERVALOS_POR_DEFECTO: tuple[tuple[str, str], ...] = (("09:00", "18:00"),)

_HORA = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$")
_MINUTOS_DIA = 24 * 60


def minutos_de_hora(texto: str) -> int:
    """``"09:30"`` → 570 minutes after local midnight; ``"24:00"`` → 1440. ``ValueError`` else."""
    m = _HORA.match(texto)
    if m is None:
        raise ValueError(
            _("hora inválida {hora}: use HH:MM (00:00–24:00)").format(hora=repr(texto))
        )
    if m.group(3):
        return _MINUTOS_DIA
    return int(m.group(1)) * 60 + int(m.group(2))


def formato_hora(minutos: int) -> str:
    """570 → ``"09:30"``; 1440 → ``"24:00"``."""
    return f"{minutos // 60:02d}:{minutos % 60:02d}"


def zona_valida(nombre: str) -> ZoneInfo:
    """The IANA time zone ``nombre`` (``Europe/Madrid``), or ``ValueError`` if unknown."""
    if not nombre or len(nombre) > 64 or nombre.startswith(("/", ".")) or ".." in nombre:
        raise ValueError(_("zona horaria desconocida: {zona}").format(zona=repr(nombre)))
    try:
        return ZoneInfo(nombre)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(_("zona horaria desconocida: {zona}").format(zona=repr(nombre))) from exc


@dataclass(frozen=True)
class Horario:
    """A business-hours calendar, ready for arithmetic.

    ``intervalos`` are ``(inicio, fin)`` minutes after local midnight, sorted, not overlapping,
    ``fin`` at most 1440. ``festivos`` are local dates.
    """

    zona: ZoneInfo
    dias: frozenset[int]
    intervalos: tuple[tuple[int, int], ...]
    festivos: frozenset[date]

    @classmethod
    def crear(
        cls,
        zona: str,
        dias: Iterable[int] = DIAS_LABORABLES,
        intervalos: Iterable[tuple[str, str] | list[str]] = INTERVALOS_POR_DEFECTO,
        festivos: Iterable[date | str] = (),
    ) -> Horario:
        """Build and check a calendar; ``ValueError`` says what is wrong."""
        dias_set = frozenset(int(d) for d in dias)
        if not dias_set or not dias_set <= set(range(7)):
            raise ValueError(_("dias: uno o más de 0 (lunes) a 6 (domingo)"))
        tramos: list[tuple[int, int]] = []
        for par in intervalos:
            inicio, fin = (minutos_de_hora(h) for h in par)
            if inicio >= fin:
                raise ValueError(
                    _("intervalo {intervalo}: el inicio debe ser anterior al fin").format(
                        intervalo=list(par)
                    )
                )
            tramos.append((inicio, fin))
        if not tramos:
            raise ValueError(_("intervalos: al menos uno"))
        tramos.sort()
        for (_inicio_a, fin_a), (inicio_b, _fin_b) in itertools.pairwise(tramos):
            if inicio_b < fin_a:
                raise ValueError(_("intervalos: se solapan"))
        fechas = frozenset(f if isinstance(f, date) else date.fromisoformat(f) for f in festivos)
        return cls(zona_valida(zona), dias_set, tuple(tramos), fechas)

    @classmethod
    def desde_dict(cls, data: Mapping[str, Any]) -> Horario:
        """The calendar of a rule's stored ``horario`` (see the module docstring)."""
        return cls.crear(
            data["zona"],
            data.get("dias", DIAS_LABORABLES),
            data.get("intervalos", INTERVALOS_POR_DEFECTO),
            data.get("festivos", ()),
        )

    def a_dict(self) -> dict[str, Any]:
        """The stored form: days and holidays sorted, intervals as ``["HH:MM", "HH:MM"]``."""
        return {
            "zona": self.zona.key,
            "dias": sorted(self.dias),
            "intervalos": [[formato_hora(a), formato_hora(b)] for a, b in self.intervalos],
            "festivos": [f.isoformat() for f in sorted(self.festivos)],
        }

    def laborable(self, dia: date) -> bool:
        """Whether the local date ``dia`` has working hours (a working day, not a holiday)."""
        return dia.weekday() in self.dias and dia not in self.festivos

    def _instante(self, dia: date, minutos: int) -> datetime:
        """The UTC instant of local ``dia`` + ``minutos`` (1440 = the next local midnight)."""
        if minutos >= _MINUTOS_DIA:
            dia, minutos = dia + timedelta(days=1), minutos - _MINUTOS_DIA
        local = datetime(
            dia.year, dia.month, dia.day, minutos // 60, minutos % 60, tzinfo=self.zona
        )
        return local.astimezone(UTC)


def segundos_habiles(desde: datetime, hasta: datetime, horario: Horario | None) -> float:
    """Seconds between ``desde`` and ``hasta`` that fall inside ``horario``'s working hours.

    Without a calendar, all the time counts. Both instants must be timezone-aware; ``hasta``
    before ``desde`` gives 0. The walk is one step per local day, so a wait of a year costs
    a few hundred cheap steps.
    """
    # Aware datetimes sharing a tzinfo compare and subtract by wall time: work in UTC.
    desde, hasta = desde.astimezone(UTC), hasta.astimezone(UTC)
    if hasta <= desde:
        return 0.0
    if horario is None:
        return (hasta - desde).total_seconds()
    dia = desde.astimezone(horario.zona).date()
    ultimo = hasta.astimezone(horario.zona).date()
    total = 0.0
    while dia <= ultimo:
        if horario.laborable(dia):
            for inicio, fin in horario.intervalos:
                a = max(horario._instante(dia, inicio), desde)
                b = min(horario._instante(dia, fin), hasta)
                if b > a:
                    total += (b - a).total_seconds()
        dia += timedelta(days=1)
    return total
