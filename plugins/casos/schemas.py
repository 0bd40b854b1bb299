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
from core.storage import ArchivoOut
from plugins.casos.models import EstadoCaso, Impacto, TipoCaso, Urgencia
from plugins.casos.service import MAX_RESERVAS, MAX_TICKETS

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from core.auth.models import Equipo, Usuario
    from core.storage import Links
    from plugins.casos.models import AdjuntoCaso, Caso
    from plugins.casos.service import RespuestaConArchivos

Titulo = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Descripcion = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
]
# Strict: JSON numbers only (no "5", no true); bounded so no id can overflow the database.
UsuarioId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
ReservaId = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Mensaje = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class CasoIn(BaseModel):
    """``POST /api/soporte/casos/``: the body as the guide's ``crearCasoSoporte`` sends it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "tipo_caso": "RECLAMO",
                    "urgencia": "CRITICA",
                    "titulo": "Cobro duplicado",
                    "descripcion": "Me cobraron dos veces la reserva 48213.",
                    "reservas_relacionadas": [48213],
                }
            ]
        },
    )

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
    agente_asignado: Id | None = Field(
        None, description="An active AGENTE/ADMIN (with a team: a member of it); null unassigns."
    )
    equipo: Id | None = Field(None, description="An active team id; null: no team.")
    tickets_relacionados: list[Id] | None = Field(
        None, max_length=MAX_TICKETS, description="Ticket ids (each must exist)."
    )
    reservas_relacionadas: list[ReservaId] | None = Field(
        None,
        max_length=MAX_RESERVAS,
        description="Booking ids, each new one checked by the plugins' validate_reserva hook.",
    )
    etiquetas: list[str] | None = Field(
        None,
        max_length=100,
        description="The whole new set of tag names (new names create the tag).",
    )

    _sin_nulos = field_validator(
        "estado",
        "urgencia",
        "tickets_relacionados",
        "reservas_relacionadas",
        "etiquetas",
        mode="before",
    )(_no_nulo)

    def otros(self) -> dict[str, Any]:
        """The fields besides ``estado``/``urgencia`` the client sent (``null`` included)."""
        return {
            campo: getattr(self, campo)
            for campo in (
                "agente_asignado",
                "equipo",
                "tickets_relacionados",
                "reservas_relacionadas",
                "etiquetas",
            )
            if campo in self.model_fields_set
        }


class RespuestaCasoIn(BaseModel):
    """``POST /api/soporte/casos/{id}/responder/``: JSON, or form data with files."""

    model_config = ConfigDict(extra="forbid")

    mensaje: Mensaje
    interna: bool = Field(False, description="An internal note (agents only; a customer: 403).")


class CasoQuery(PageQuery):
    """Filters of ``GET /api/soporte/casos/`` (empty values: no filter)."""

    tipo_caso: TipoCaso | None = None
    urgencia: Urgencia | None = None
    estado: EstadoCaso | None = None
    etiqueta: str | None = Field(
        None, max_length=50, description="A tag name (agents; case and accents ignored)."
    )


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


class EquipoCaso(BaseModel):
    """A team as a case shows it."""

    id: int
    nombre: str

    @classmethod
    def de(cls, equipo: Equipo | None) -> EquipoCaso | None:
        """``{id, nombre}`` of ``equipo``, or ``None``."""
        return None if equipo is None else cls(id=equipo.id, nombre=equipo.nombre)


class AutorCaso(BaseModel):
    """The author of a case's reply."""

    id: int
    nombre: str
    rol: str


class AdjuntoCasoOut(ArchivoOut):
    """A file; ``url`` is an absolute, signed, expiring download link (``miniatura`` and
    ``vista``: an image's previews)."""


class RespuestaCasoOut(BaseModel):
    """One message of a case's conversation (``interna``: a note, staff only)."""

    id: int
    autor: AutorCaso
    mensaje: str
    interna: bool
    fecha_creacion: Timestamp
    archivos_adjuntos: list[AdjuntoCasoOut]

    @classmethod
    def de(
        cls, vista: RespuestaConArchivos, url: Callable[[AdjuntoCaso], Links]
    ) -> RespuestaCasoOut:
        """Serialise a reply whose ``autor`` is loaded, signing its files with ``url``."""
        r = vista.respuesta
        return cls(
            id=r.id,
            autor=AutorCaso(id=r.autor.id, nombre=r.autor.nombre_visible, rol=str(r.autor.rol)),
            mensaje=r.mensaje,
            interna=r.interna,
            fecha_creacion=r.fecha_creacion,
            archivos_adjuntos=[AdjuntoCasoOut.de(a, url(a)) for a in vista.adjuntos],
        )


class TicketRelacionado(BaseModel):
    """A linked ticket; ``numero``/``asunto``/``estado`` are null when the tickets plugin is
    off or the ticket is gone."""

    id: int
    numero: str | None = None
    asunto: str | None = None
    estado: str | None = None


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
    agente_asignado: UsuarioCaso | None = None
    equipo: EquipoCaso | None = None
    fecha_creacion: Timestamp
    fecha_actualizacion: Timestamp
    etiquetas: list[str] = Field(
        default_factory=list,
        description="Tag names sorted by key (agents; always `[]` for customers: tags are the "
        "agents' internal vocabulary).",
    )

    @classmethod
    def de(cls, caso: Caso, etiquetas: Sequence[str] = ()) -> CasoOut:
        """Serialise a case whose ``cliente_afectado`` and ``creado_por`` are loaded, with its
        tag names (read in bulk by the caller)."""
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
            agente_asignado=UsuarioCaso.de(caso.agente_asignado),
            equipo=EquipoCaso.de(caso.equipo),
            fecha_creacion=caso.fecha_creacion,
            fecha_actualizacion=caso.fecha_actualizacion,
            etiquetas=list(etiquetas),
        )


class CasoDetalle(CasoOut):
    """``GET``/``PATCH /api/soporte/casos/{id}/``: the case with its conversation and links."""

    tickets_relacionados: list[TicketRelacionado]
    respuestas: list[RespuestaCasoOut]
    transiciones: list[EstadoCaso] = Field(
        description="The states the case may move to now (the state machine; [] when CERRADO)."
    )

    @classmethod
    def completo(
        cls,
        caso: Caso,
        tickets: Sequence[TicketRelacionado],
        respuestas: Sequence[RespuestaConArchivos],
        url: Callable[[AdjuntoCaso], Links],
        etiquetas: Sequence[str] = (),
    ) -> CasoDetalle:
        """The detail of ``caso`` (relations loaded) with its visible links, replies and
        tags."""
        from plugins.casos.service import TRANSICIONES

        return cls(
            **CasoOut.de(caso, etiquetas).model_dump(),
            tickets_relacionados=list(tickets),
            respuestas=[RespuestaCasoOut.de(r, url) for r in respuestas],
            transiciones=[e for e in EstadoCaso if e in TRANSICIONES[EstadoCaso(caso.estado)]],
        )


class EstadisticasCasos(BaseModel):
    """The cases' key of ``GET /api/soporte/dashboard/stats/``."""

    casos_criticos: int = Field(
        description="Open (ABIERTO, EN_INVESTIGACION) CRITICA cases, whatever their age.",
        examples=[2],
    )
