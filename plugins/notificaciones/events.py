"""The domain event of the ``notificaciones`` plugin, published after its transaction commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.events import Event

__all__ = ["NotificacionesLeidas"]


@dataclass(frozen=True, kw_only=True)
class NotificacionesLeidas(Event):
    """A user marked notifications read: ``ids``, or every one (``None``). ``no_leidas``: how
    many unread they have left — what the user's other sockets show."""

    name: ClassVar[str] = "notificaciones_leidas"
    usuario_id: int
    ids: list[int] | None
    no_leidas: int
