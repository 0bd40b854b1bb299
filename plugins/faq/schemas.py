"""Request and response models of the FAQ endpoints (they also feed OpenAPI)."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from core.api import PageQuery
from core.api.fields import Timestamp


def _sin_nul(valor: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it here keeps bad input a 400, never a 500.
    if "\x00" in valor:
        raise ValueError("No puede contener el carácter NUL.")
    return valor


_Limpio = AfterValidator(_sin_nul)
Pregunta = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), _Limpio
]
Respuesta = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000), _Limpio
]
Categoria = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _Limpio
]
Orden = Annotated[int, Field(ge=-1_000_000, le=1_000_000, description="Display order (low first).")]


class FAQOut(BaseModel):
    """A FAQ as the contract and the guide's FAQ component read it."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 5,
                    "pregunta": "¿Puedo pagar mi reserva con tarjeta de crédito?",
                    "respuesta": "Sí: aceptamos Visa y Mastercard.",
                    "categoria": "Pagos",
                    "valoraciones_positivas": 12,
                    "valoraciones_negativas": 1,
                    "activa": True,
                    "fecha_actualizacion": "2026-05-20T08:00:00Z",
                }
            ]
        },
    )

    id: int
    pregunta: str
    respuesta: str
    categoria: str
    valoraciones_positivas: int
    valoraciones_negativas: int
    activa: bool
    fecha_actualizacion: Timestamp


class CategoriaOut(BaseModel):
    """A category and how many active FAQs it has."""

    categoria: str
    total: int


class FAQQuery(PageQuery):
    """Filters of ``GET /api/soporte/faqs/`` (empty values mean "no filter")."""

    categoria: Annotated[str, _Limpio] | None = Field(
        None, max_length=100, description="Exact category name."
    )
    q: str | None = Field(
        None,
        max_length=200,
        description="Full-text search over pregunta and respuesta, ranked by relevance; "
        "case- and accent-insensitive; every word must match (as a prefix).",
    )
    activas: bool | None = Field(
        None,
        description="`true`: only active FAQs. Non-admins only ever see active ones; "
        "an ADMIN sees inactive ones too unless this is `true`.",
    )


class FAQIn(BaseModel):
    """A new FAQ (ADMIN)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pregunta": "¿Puedo pagar mi reserva con tarjeta de crédito?",
                    "respuesta": "Sí: aceptamos Visa y Mastercard.",
                    "categoria": "Pagos",
                }
            ]
        }
    )

    pregunta: Pregunta
    respuesta: Respuesta
    categoria: Categoria
    activa: bool = True
    orden: Orden = 0


class FAQPatch(BaseModel):
    """A partial change of a FAQ (ADMIN): only the fields sent change; none may be null."""

    # The None defaults only mark a field the client did not send (``cambios`` reads
    # model_fields_set); ``_no_nulo`` rejects a null that was sent. Typing them ``X | None``
    # would make the OpenAPI document advertise null as a valid value, which it is not.
    pregunta: Pregunta = None  # type: ignore[assignment]  # absent, never null
    respuesta: Respuesta = None  # type: ignore[assignment]  # absent, never null
    categoria: Categoria = None  # type: ignore[assignment]  # absent, never null
    activa: bool = None  # type: ignore[assignment]  # absent, never null
    orden: Orden = None  # type: ignore[assignment]  # absent, never null

    @field_validator("*", mode="before")
    @classmethod
    def _no_nulo(cls, valor: object) -> object:
        # Defaults are not validated, so this only sees values the client sent.
        if valor is None:
            raise ValueError("Este campo no puede ser nulo.")
        return valor

    def cambios(self) -> dict[str, object]:
        """The fields the client sent, with their validated values."""
        return self.model_dump(include=self.model_fields_set)


class ValorarIn(BaseModel):
    """A helpful/unhelpful vote, as the guide's ``valorarFAQ`` sends it."""

    es_util: bool
