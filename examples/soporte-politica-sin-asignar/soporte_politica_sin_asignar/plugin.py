"""Hook implementations of ``politica_sin_asignar``: it registers one escalation policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookimpl
from soporte_politica_sin_asignar import name, requires, version

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["name", "requires", "version"]


@hookimpl
def register_escalation_policies() -> Iterable[type]:
    """The policy ``sin_asignar`` (see :mod:`soporte_politica_sin_asignar.politica`)."""
    from soporte_politica_sin_asignar.politica import SinAsignar

    return [SinAsignar]
