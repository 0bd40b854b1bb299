"""The settings of ``asignacion``: ``SOPORTE_ASIGNACION_*`` or ``[plugins.asignacion]`` in
soporte.toml (docs/configuration.md, "Plugin settings")."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class AsignacionSettings(BaseSettings):
    """Which policy assigns new and unassigned tickets, and to whom it may."""

    policy: str = Field(
        "",
        max_length=100,
        description="The assignment policy (`round_robin`, `menos_abiertos` or one a plugin "
        "registers); empty: no automatic assignment.",
    )
    capacity: int = Field(
        0,
        ge=0,
        description="Most open tickets an agent is assigned automatically, unless their own "
        "setting says otherwise (`0`: unlimited).",
    )
    require_online: bool = Field(
        False,
        description="Assign only to agents present: with a socket open (chat or "
        "notifications) or seen within `presence_seconds`.",
    )
    reassign_off_shift: bool = Field(
        False,
        description="The sweep moves open tickets of agents whose shift has ended to an agent "
        "on shift.",
    )
    sweep_seconds: float = Field(
        60,
        ge=0,
        description="Seconds between sweeps of unassigned open tickets (and off-shift "
        "reassignment); `0`: no sweep.",
    )
    presence_seconds: float = Field(
        120,
        gt=0,
        description="An agent counts as present this long after their last socket was seen "
        "open (sockets are re-marked every third of it).",
    )
