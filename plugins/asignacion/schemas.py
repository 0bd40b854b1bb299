"""Bodies and responses of ``/api/soporte/asignacion/`` (docs/api.md, "Assignment")."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator
from pydantic_core import PydanticCustomError

from plugins.asignacion.turnos import Turno


def _error(mensaje: str) -> PydanticCustomError:
    """A validation error whose message is shown as is."""
    return PydanticCustomError("valor_invalido", mensaje)


class HorarioIn(BaseModel):
    """A shift: the agent takes tickets on these local days and intervals, not on holidays."""

    model_config = ConfigDict(extra="forbid")

    zona: str = Field(max_length=64, description="IANA time zone, e.g. Europe/Madrid.")
    dias: list[int] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4],
        max_length=7,
        description="Working days, 0 = Monday … 6 = Sunday (default Monday–Friday).",
    )
    intervalos: list[tuple[str, str]] = Field(
        default_factory=lambda: [("09:00", "18:00")],
        min_length=1,
        max_length=12,
        description='Local intervals, e.g. [["09:00", "14:00"], ["15:00", "18:00"]] '
        '(start before end, no overlaps; "24:00" ends at midnight). Default 09:00–18:00.',
    )
    festivos: list[date] = Field(
        default_factory=list, max_length=1000, description="Holidays, YYYY-MM-DD (local dates)."
    )

    def a_dict(self) -> dict[str, Any]:
        """The stored (normalised) form; a :class:`ValueError` in Spanish if it is invalid."""
        return Turno.desde_dict(self.model_dump(mode="json")).a_dict()

    @field_validator("festivos")
    @classmethod
    def _festivos(cls, value: list[date]) -> list[date]:
        return sorted(set(value))


class AgentePatch(BaseModel):
    """Change an agent's assignment settings (only the fields sent)."""

    model_config = ConfigDict(extra="forbid")

    capacidad: StrictInt | None = Field(
        None,
        ge=0,
        le=100_000,
        description="Most open tickets assigned automatically; 0: unlimited; null: the "
        "plugin's `SOPORTE_ASIGNACION_CAPACITY`.",
    )
    horario: HorarioIn | None = Field(None, description="The shift; null: always on shift.")
    activo: StrictBool = Field(
        True, description="false: this agent is never assigned tickets automatically."
    )

    def validar(self) -> dict[str, Any]:
        """The sent fields as stored; a 400 naming ``horario`` for an invalid shift."""
        from core.api.errors import BadRequest

        datos: dict[str, Any] = {c: getattr(self, c) for c in self.model_fields_set}
        if "horario" in datos and self.horario is not None:
            try:
                datos["horario"] = self.horario.a_dict()
            except ValueError as exc:
                raise BadRequest("Datos inválidos.", errors={"horario": [str(exc)]}) from exc
        return datos


class AgenteOut(BaseModel):
    """An agent's assignment settings and state."""

    usuario_id: int
    username: str
    activo: bool
    capacidad: int | None = Field(description="The agent's own limit (null: the default).")
    capacidad_efectiva: int | None = Field(description="The limit that applies (null: none).")
    horario: dict[str, Any] | None
    en_turno: bool
    en_linea: bool
    abiertos: int = Field(description="Open tickets assigned to the agent now.")
    asignados: int = Field(description="Tickets ever assigned to the agent automatically.")


class PoliticaOut(BaseModel):
    """A registered assignment policy, its plugin, and whether it is the one in use."""

    nombre: str
    descripcion: str
    plugin: str
    activa: bool
