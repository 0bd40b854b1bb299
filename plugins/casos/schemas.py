"""Request and response models of the support-case endpoints (they also feed OpenAPI)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from core.api import PageQuery
from core.api.fields import MAX_ID, Timestamp
from plugins.casos.models import EstadoCaso, Impacto, TipoCaso, Urgencia
from plugins.casos.service import MAX_RESERVAS

if TYPE_CHECKING:
    from core.auth.models import Usuario
    from plugins.casos.models import Caso

Titulo = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Descripcion = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
]
# Strict: JSON numbers only (no "5", no true); bounded so no id can overflow the database.
UsuarioId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
ReservaId = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]


class CasoIn(BaseModel):
    """``POST /api/soporte/casos/``: the body as the guide's ``crearCasoSoporte`` sends it."""

    model_config = ConfigDict(extra="forbid")

    tipo_caso: TipoCaso
    urgencia: Urgencia
    titulo: Titulo
    descripcion: Descripcion
    cliente_afectado: UsuarioId | None = Field(
        None,
        description="User id the case is about. A customer: absent, null or their own id "
        "(anyone else is a 400). An agent: absent/null (no particular customer) or any user.",
    )
    reservas_relacionadas: list[ReservaId] = Field(
        default_factory=list,
        max_length=MAX_RESERVAS,
        description="Booking ids, each checked by the plugins' validate_reserva hook.",
    )
    impacto_estimado: Impacto = Impacto.INDIVIDUAL


def _no_nulo(value: Any) -> Any:
    if value is None:
        raise ValueError("Este campo no puede ser nulo.")
    return value


class CasoPatch(BaseModel):
    """``PATCH /api/soporte/casos/{id}/`` (agents): the fields to change; absent ones stay."""

    model_config = ConfigDict(extra="forbid")

    estado: EstadoCaso | None = None
    urgencia: Urgencia | None = None

    _sin_nulos = field_validator("estado", "urgencia", mode="before")(_no_nulo)


class CasoQuery(PageQuery):
    """Filters of ``GET /api/soporte/casos/`` (empty values: no filter)."""

    tipo_caso: TipoCaso | None = None
    urgencia: Urgencia | None = None
    estado: EstadoCaso | None = None


class UsuarioCaso(BaseModel):
    """A user as a case shows it."""

    id: int
    nombre: str

    @classmethod
    def de(cls, usuario: Usuario | None) -> UsuarioCaso | None:
        """``{id, nombre}`` of ``usuario`` (its display name), or ``None``."""
        if usuario is None:
            return None
        return cls(id=usuario.id, nombre=usuario.nombre_visible)


class CasoOut(BaseModel):
    """The case object of the contract (lists, urgent array and detail)."""

    id: int
    numero: str
    tipo_caso: TipoCaso
    urgencia: Urgencia
    titulo: str
    descripcion: str
    cliente_afectado: UsuarioCaso | None
    reservas_relacionadas: list[int]
    impacto_estimado: Impacto
    estado: EstadoCaso
    creado_por: UsuarioCaso
    fecha_creacion: Timestamp
    fecha_actualizacion: Timestamp

    @classmethod
    def de(cls, caso: Caso) -> CasoOut:
        """Serialise a case whose ``cliente_afectado`` and ``creado_por`` are loaded."""
        creado_por = UsuarioCaso.de(caso.creado_por)
        assert creado_por is not None  # a required foreign key
        return cls(
            id=caso.id,
            numero=caso.numero,
            tipo_caso=caso.tipo_caso,
            urgencia=caso.urgencia,
            titulo=caso.titulo,
            descripcion=caso.descripcion,
            cliente_afectado=UsuarioCaso.de(caso.cliente_afectado),
            reservas_relacionadas=list(caso.reservas_relacionadas or []),
            impacto_estimado=caso.impacto_estimado,
            estado=caso.estado,
            creado_por=creado_por,
            fecha_creacion=caso.fecha_creacion,
            fecha_actualizacion=caso.fecha_actualizacion,
        )
