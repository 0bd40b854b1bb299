"""Escalation rules, each ticket's escalation history and state, and alerts (app ``escalamiento``).

- :class:`Regla`: what the admins configure (contract, section "Escalation").
- :class:`Escalamiento`: one level reached by one ticket, once — the unique key
  ``(ticket, periodo, nivel)`` is what makes a level happen exactly once, however many
  processes evaluate it. ``periodo`` is the start of the clock the level belongs to (for the
  built-in policy, the ``esperando_desde`` of the waiting period): a new waiting period counts
  its levels afresh, the old rows stay as history.
- :class:`EstadoEscalamiento`: one row per escalated ticket with its latest escalation, so the
  monitor orders by it without scanning the history.
- :class:`Alerta`: what the monitor shows agents until one acknowledges it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from plugins.escalamiento import etiquetas  # noqa: F401  (registers the labels of these enums)
from plugins.escalamiento.horario import Horario

if TYPE_CHECKING:
    from core.auth.models import Usuario

# The foreign keys to tickets name their model by its label, "tickets.Ticket", which tortoise
# resolves at start-up: this plugin never imports tickets' models (only `plugins.tickets.api`
# and `.events`, see tests/core/test_boundaries.py). Their annotations therefore use the
# generic `Model`: ``escalamiento.ticket_id`` is what this plugin reads, never the relation.

#: Most levels a rule may have.
MAX_NIVELES = 5
#: The built-in policy, used when a rule names none.
POLITICA_POR_DEFECTO = "tiempo_respuesta"


class NivelAlerta(StrEnum):
    """An alert's severity; the guide uses it as a CSS class."""

    INFO = "info"
    ADVERTENCIA = "advertencia"
    CRITICA = "critica"


@dataclass(frozen=True)
class Nivel:
    """One level of a rule: its number (1..n), a name, and whom to notify (ids or roles)."""

    nivel: int
    nombre: str
    notificar: tuple[int | str, ...] = field(default=())


class Regla(Model):
    """An escalation rule: which tickets, how long they may wait, how many levels, which policy.

    ``niveles_escalamiento`` keeps the form the client sent (an integer or a list of levels);
    :attr:`niveles` always gives the list. ``categorias`` empty means every category;
    ``horario`` ``None`` means the clock always runs; ``parametros`` holds the values of the
    policy's own parameters, validated against its model when the rule is saved.
    """

    id = fields.IntField(primary_key=True)
    nombre = fields.CharField(max_length=200, default="")
    politica = fields.CharField(max_length=100, default=POLITICA_POR_DEFECTO)
    #: Hours (may be fractional) a ticket may wait per level.
    tiempo_respuesta_maximo = fields.FloatField()
    prioridades_escalamiento: Any = fields.JSONField()
    categorias: Any = fields.JSONField(default=list)
    niveles_escalamiento: Any = fields.JSONField()
    notificaciones_automaticas = fields.BooleanField(default=False)
    activa = fields.BooleanField(default=True, db_index=True)
    horario: Any = fields.JSONField(null=True)
    #: The values of the policy's own parameters (``None``: none stored, as before they existed).
    parametros: Any = fields.JSONField(null=True)
    fecha_creacion = fields.DatetimeField(auto_now_add=True)
    fecha_actualizacion = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "escalamiento_regla"

    def __str__(self) -> str:
        return self.nombre or f"regla {self.id}"

    @property
    def etiqueta(self) -> str:
        """How messages name the rule: its name, or ``#id``."""
        return self.nombre or f"#{self.id}"

    @property
    def niveles(self) -> list[Nivel]:
        """The levels as a list, whichever form was stored (``3`` → Nivel 1, Nivel 2, Nivel 3)."""
        valor = self.niveles_escalamiento
        if isinstance(valor, int):
            return [Nivel(n, f"Nivel {n}") for n in range(1, valor + 1)]
        return [
            Nivel(
                int(item["nivel"]),
                item.get("nombre") or f"Nivel {item['nivel']}",
                tuple(item.get("notificar") or ()),
            )
            for item in valor
        ]

    @property
    def total_niveles(self) -> int:
        """How many levels the rule has (1..5)."""
        valor = self.niveles_escalamiento
        return int(valor) if isinstance(valor, int) else len(valor)

    def nivel(self, numero: int) -> Nivel:
        """Level ``numero`` of this rule (a generic one beyond the configured levels)."""
        for item in self.niveles:
            if item.nivel == numero:
                return item
        return Nivel(numero, f"Nivel {numero}")

    @property
    def limite(self) -> timedelta:
        """``tiempo_respuesta_maximo`` as a duration."""
        # Rounded to the microsecond so that 3 × 0.1 h is exactly 1080 s.
        return timedelta(seconds=round(self.tiempo_respuesta_maximo * 3600, 6))

    @property
    def calendario(self) -> Horario | None:
        """The rule's business-hours calendar, or ``None`` when time always counts."""
        if not self.horario:
            return None
        cache = getattr(self, "_calendario", None)
        if cache is None or cache[0] != self.horario:
            cache = (self.horario, Horario.desde_dict(self.horario))
            self._calendario = cache
        return cache[1]


class Escalamiento(Model):
    """One level reached by one ticket within one clock period, never repeated nor deleted."""

    id = fields.IntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "tickets.Ticket", related_name="escalamientos", on_delete=fields.CASCADE
    )
    # History outlives the rule that caused it.
    regla: fields.ForeignKeyNullableRelation[Regla] = fields.ForeignKeyField(
        "escalamiento.Regla", related_name="escalamientos", null=True, on_delete=fields.SET_NULL
    )
    # The FK's id column, which tortoise sets on every instance; annotated for type checkers
    # only (a bare annotation is no field: the schema does not change).
    regla_id: int | None
    politica = fields.CharField(max_length=100)
    nivel = fields.SmallIntField()
    #: Start of the clock this level belongs to (the policy's period, e.g. ``esperando_desde``).
    periodo = fields.DatetimeField()
    fecha = fields.DatetimeField()

    class Meta:
        table = "escalamiento_escalamiento"
        unique_together = (("ticket", "periodo", "nivel"),)


class EstadoEscalamiento(Model):
    """A ticket's latest escalation (one row per ticket ever escalated)."""

    id = fields.IntField(primary_key=True)
    ticket: fields.OneToOneRelation[Model] = fields.OneToOneField(
        "tickets.Ticket", related_name="estado_escalamiento", on_delete=fields.CASCADE
    )
    nivel = fields.SmallIntField()
    fecha = fields.DatetimeField()
    escalamiento: fields.ForeignKeyNullableRelation[Escalamiento] = fields.ForeignKeyField(
        "escalamiento.Escalamiento", related_name=False, null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "escalamiento_estado"


class Alerta(Model):
    """A notice for agents (the monitor shows the unread ones)."""

    id = fields.IntField(primary_key=True)
    nivel = fields.CharEnumField(NivelAlerta, max_length=12)
    mensaje = fields.CharField(max_length=500)
    timestamp = fields.DatetimeField()
    ticket: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "tickets.Ticket", related_name="alertas", null=True, on_delete=fields.CASCADE
    )
    escalamiento: fields.ForeignKeyNullableRelation[Escalamiento] = fields.ForeignKeyField(
        "escalamiento.Escalamiento", related_name="alertas", null=True, on_delete=fields.CASCADE
    )
    leida = fields.BooleanField(default=False)
    leida_por: fields.ForeignKeyNullableRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="alertas_leidas", null=True, on_delete=fields.SET_NULL
    )
    # The FK id columns tortoise sets on every instance; annotated for type checkers only (a
    # bare annotation is no field: the schema does not change).
    ticket_id: int | None
    leida_por_id: int | None
    fecha_lectura = fields.DatetimeField(null=True)

    class Meta:
        table = "escalamiento_alerta"
        indexes = (("leida", "timestamp"),)


__models__ = [Regla, Escalamiento, EstadoEscalamiento, Alerta]
