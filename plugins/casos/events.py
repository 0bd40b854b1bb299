"""The domain events of the ``casos`` plugin, published after their transaction commits.

Other plugins import them from here (the public face); :mod:`plugins.casos.service`
re-exports them for casos' own modules. Values are plain JSON types (ids, strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.events import Event

__all__ = ["CasoActualizado", "CasoCreado", "RespuestaCasoCreada"]


@dataclass(frozen=True, kw_only=True)
class CasoCreado(Event):
    """A case was opened (published after commit)."""

    name: ClassVar[str] = "caso_creado"
    caso_id: int
    numero: str
    tipo_caso: str
    urgencia: str
    impacto_estimado: str
    creado_por_id: int
    cliente_afectado_id: int | None


@dataclass(frozen=True, kw_only=True)
class CasoActualizado(Event):
    """An agent changed a case's ``estado`` and/or ``urgencia`` (published after commit).

    Changes of assignment or links alone publish nothing (they are in the case's history).
    """

    name: ClassVar[str] = "caso_actualizado"
    caso_id: int
    numero: str
    agente_id: int
    estado_anterior: str
    estado: str
    urgencia_anterior: str
    urgencia: str
    #: Who the case is about (its owner), ``None`` for a case about no particular customer.
    cliente_afectado_id: int | None = None
    #: The assignee and team after the change.
    agente_asignado_id: int | None = None
    equipo_id: int | None = None
    #: Names of every field the change touched (``estado``, ``agente_asignado``, …).
    campos: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RespuestaCasoCreada(Event):
    """Someone answered a case (published after commit).

    ``interna``: an internal note — a listener that tells the customer anything must skip it.
    """

    name: ClassVar[str] = "respuesta_caso_creada"
    caso_id: int
    numero: str
    respuesta_id: int
    autor_id: int
    interna: bool = False
    cliente_afectado_id: int | None = None
