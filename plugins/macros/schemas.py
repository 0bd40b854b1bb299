"""Request and response models of the macros endpoints (they also feed OpenAPI)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from core.api import PageQuery
from core.api.fields import MAX_ID, Id, Timestamp
from core.tags import MAX_ETIQUETAS, MAX_LONGITUD
from plugins.macros.models import Ambito
from plugins.macros.plantillas import MAX_MENSAJE
from plugins.tickets.api import Estado, Prioridad


def _sin_nul(valor: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it here keeps bad input a 400, never a 500.
    if "\x00" in valor:
        raise ValueError("No puede contener el carácter NUL.")
    return valor


_Limpio = AfterValidator(_sin_nul)
Nombre = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _Limpio
]
Descripcion = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), _Limpio]
Plantilla = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MENSAJE), _Limpio
]
NombreEtiqueta = Annotated[str, StringConstraints(max_length=MAX_LONGITUD), _Limpio]


class Acciones(BaseModel):
    """The ticket fields a macro changes when applied (each optional; as ``PATCH`` takes them).

    ``equipo``/``agente_asignado``: an id, or ``null`` to clear it. Tags are added and removed,
    never replaced: a macro does not know which tags a ticket already carries.
    """

    model_config = ConfigDict(extra="forbid")

    estado: Estado = Field(None, description="A legal move of the state machine.")  # type: ignore[assignment]  # absent, never null
    prioridad: Prioridad = Field(None)  # type: ignore[assignment]  # absent, never null
    equipo: int | None = Field(None, ge=1, le=MAX_ID, description="An active team (`null`: none).")
    agente_asignado: int | None = Field(
        None, ge=1, le=MAX_ID, description="An active AGENTE/ADMIN (`null`: unassign)."
    )
    etiquetas_agregar: list[NombreEtiqueta] = Field(None, max_length=MAX_ETIQUETAS)  # type: ignore[arg-type]  # absent, never null
    etiquetas_quitar: list[NombreEtiqueta] = Field(None, max_length=MAX_ETIQUETAS)  # type: ignore[arg-type]  # absent, never null

    def cambios(self) -> dict[str, Any]:
        """The fields sent, as JSON values (what the macro stores and ``actualizar`` takes)."""
        return self.model_dump(mode="json", include=self.model_fields_set)


class MacroOut(BaseModel):
    """A macro."""

    id: int
    nombre: str
    descripcion: str
    mensaje: str = Field(description="The template (jinja2 syntax, plain text).")
    interna: bool = Field(description="The reply is an internal note (agents only).")
    acciones: dict[str, Any] = Field(description="Field changes applied with the reply.")
    ambito: Ambito
    propietario: int | None = Field(description="The owner's user id (PERSONAL).")
    equipo: int | None = Field(description="The team's id (EQUIPO).")
    activa: bool
    usos: int = Field(description="How many times it was applied.")
    editable: bool = Field(description="Whether the caller may change or delete it.")
    fecha_creacion: Timestamp
    fecha_actualizacion: Timestamp


class MacrosQuery(PageQuery):
    """Filters of ``GET /api/soporte/macros/`` (empty values mean "no filter")."""

    q: str | None = Field(None, max_length=100, description="Part of the name (any case).")
    ambito: Ambito | None = None
    activa: bool | None = Field(None, description="`true`: only active macros.")

    @field_validator("ambito", mode="before")
    @classmethod
    def _vacio(cls, valor: Any) -> Any:
        return None if valor == "" else valor


class MacroIn(BaseModel):
    """A new macro. ``equipo`` is required for EQUIPO; a PERSONAL macro is the caller's."""

    model_config = ConfigDict(extra="forbid")

    nombre: Nombre
    descripcion: Descripcion = ""
    mensaje: Plantilla
    interna: bool = False
    acciones: Acciones = Field(default_factory=Acciones)
    ambito: Ambito = Ambito.PERSONAL
    equipo: int | None = Field(None, ge=1, le=MAX_ID)
    activa: bool = True


class MacroPatch(BaseModel):
    """A partial change: only the fields sent change; ``acciones`` is replaced as a whole."""

    model_config = ConfigDict(extra="forbid")

    # The None defaults only mark a field the client did not send (``cambios`` reads
    # model_fields_set); ``_no_nulo`` rejects a null that was sent (``equipo`` excepted).
    nombre: Nombre = None  # type: ignore[assignment]  # absent, never null
    descripcion: Descripcion = None  # type: ignore[assignment]  # absent, never null
    mensaje: Plantilla = None  # type: ignore[assignment]  # absent, never null
    interna: bool = None  # type: ignore[assignment]  # absent, never null
    acciones: Acciones = None  # type: ignore[assignment]  # absent, never null
    ambito: Ambito = None  # type: ignore[assignment]  # absent, never null
    equipo: int | None = Field(None, ge=1, le=MAX_ID)
    activa: bool = None  # type: ignore[assignment]  # absent, never null

    @field_validator("*", mode="before")
    @classmethod
    def _no_nulo(cls, valor: object, info: Any) -> object:
        # Defaults are not validated, so this only sees values the client sent.
        if valor is None and info.field_name != "equipo":
            raise ValueError("Este campo no puede ser nulo.")
        return valor

    def cambios(self) -> dict[str, Any]:
        """The fields the client sent, with their validated values."""
        cambios = {n: getattr(self, n) for n in self.model_fields_set}
        if "acciones" in cambios:
            cambios["acciones"] = self.acciones.cambios()
        return cambios


class TicketIdIn(BaseModel):
    """The ticket a macro is previewed for or applied to."""

    ticket_id: Id


class VistaPreviaOut(BaseModel):
    """A macro rendered for one ticket, nothing applied."""

    mensaje: str
    interna: bool
    acciones: dict[str, Any]


class RespuestaMacroOut(BaseModel):
    """The reply (or internal note) a macro wrote."""

    id: int
    ticket_id: int
    mensaje: str
    interna: bool
    autor_id: int
    fecha_creacion: Timestamp


class TicketMacroOut(BaseModel):
    """The ticket after the macro: its fields a macro may change."""

    id: int
    numero: str
    asunto: str
    estado: Estado
    prioridad: Prioridad
    agente_asignado: int | None
    equipo: int | None
    fecha_actualizacion: Timestamp


class AplicadaOut(BaseModel):
    """What applying a macro did: the reply and the ticket as it now is."""

    macro: int
    respuesta: RespuestaMacroOut
    ticket: TicketMacroOut
