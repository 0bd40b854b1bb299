"""The tables of ``asignacion``: per-agent settings and turn, presence, and the turn counter.

- :class:`AgenteAsignacion`: what an admin sets per agent (capacity override, shift, whether
  they take tickets automatically) and the round-robin's memory — ``ultima_asignacion``, the
  value of the global counter at the agent's latest assignment, and ``asignados``, how many
  tickets were ever assigned to them automatically; both are written in the transaction of the
  assignment itself, so they never disagree with the tickets across processes.
- :class:`Presencia`: one row per agent with an open socket somewhere, ``visto`` refreshed by
  each process that holds one (a heartbeat); a process that dies stops refreshing and its
  agents fade out after ``presence_seconds``.
- :class:`Contador`: one row (``id = 1``), the assignments' turn counter. Every automatic
  assignment starts by incrementing it: that row lock is what serialises the choices of all
  processes, so two of them never both pick the agent whose turn it is.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

#: The id of the one :class:`Contador` row.
CONTADOR_ID = 1


class AgenteAsignacion(Model):
    """Assignment settings and round-robin state of one agent (created on first need)."""

    id = fields.IntField(primary_key=True)
    usuario: Any = fields.OneToOneField(
        "core.Usuario", on_delete=fields.CASCADE, related_name=False
    )
    usuario_id: int
    #: Most open tickets assigned automatically (``None``: the ``capacity`` setting).
    capacidad = fields.IntField(null=True)
    #: The shift (:class:`plugins.asignacion.turnos.Turno` stored form), ``None`` for always.
    horario: Any = fields.JSONField(null=True)
    #: ``False``: never assigned automatically.
    activo = fields.BooleanField(default=True)
    ultima_asignacion = fields.BigIntField(default=0)
    asignados = fields.BigIntField(default=0)
    fecha_actualizacion = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "asignacion_agente"


class Presencia(Model):
    """An agent seen with an open socket, and when last (the heartbeat)."""

    id = fields.IntField(primary_key=True)
    usuario: Any = fields.OneToOneField(
        "core.Usuario", on_delete=fields.CASCADE, related_name=False
    )
    usuario_id: int
    visto = fields.DatetimeField(db_index=True)

    class Meta:
        table = "asignacion_presencia"


class Contador(Model):
    """The turn counter (one row): incremented, under its row lock, by every assignment."""

    id = fields.IntField(primary_key=True)
    valor = fields.BigIntField(default=0)

    class Meta:
        table = "asignacion_contador"
