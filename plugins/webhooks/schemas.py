"""Request and response models of ``/api/soporte/webhooks/``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from core.api import PageQuery
from plugins.webhooks.models import EstadoEntrega

if TYPE_CHECKING:
    from plugins.webhooks.catalogo import TipoEvento
    from plugins.webhooks.models import Entrega, Suscripcion


class SuscripcionIn(BaseModel):
    """A new subscription. ``eventos``: event type names (``GET …/eventos/``) or ``["*"]``."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, examples=["https://example.com/soporte"])
    eventos: list[str] = Field(min_length=1, max_length=100, examples=[["ticket_creado"]])
    activa: bool = True
    descripcion: str = Field("", max_length=500)


class SuscripcionPatch(BaseModel):
    """Fields to change (those sent); switching ``activa`` on clears the failure record."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, min_length=1, max_length=2000)
    eventos: list[str] | None = Field(None, min_length=1, max_length=100)
    activa: bool | None = None
    descripcion: str | None = Field(None, max_length=500)


class SuscripcionOut(BaseModel):
    """A subscription, without its secret (shown once, on creation and rotation)."""

    id: int
    url: str
    eventos: list[str]
    activa: bool
    descripcion: str
    #: Since when every attempt has failed (``null``: the last one succeeded).
    fallando_desde: datetime | None
    motivo_desactivacion: str
    #: Until when the secret before the last rotation still signs.
    anterior_valido_hasta: datetime | None
    fecha_creacion: datetime

    @classmethod
    def de(cls, s: Suscripcion) -> SuscripcionOut:
        """From the model."""
        return cls(
            id=s.id,
            url=s.url,
            eventos=list(s.eventos),
            activa=s.activa,
            descripcion=s.descripcion,
            fallando_desde=s.fallando_desde,
            motivo_desactivacion=s.motivo_desactivacion,
            anterior_valido_hasta=s.anterior_hasta if s.secreto_anterior else None,
            fecha_creacion=s.fecha_creacion,
        )


class SuscripcionCreada(SuscripcionOut):
    """A subscription just created, with its signing secret — shown this once."""

    secreto: str


class SecretoRotado(BaseModel):
    """The new secret (shown this once); the previous one also signs until
    ``anterior_valido_hasta``."""

    secreto: str
    anterior_valido_hasta: datetime | None


class TipoEventoOut(BaseModel):
    """An event type a subscription may name."""

    tipo: str
    plugin: str
    descripcion: str

    @classmethod
    def de(cls, t: TipoEvento) -> TipoEventoOut:
        """From the catalogue."""
        return cls(tipo=t.nombre, plugin=t.plugin, descripcion=t.descripcion)


class EntregaQuery(PageQuery):
    """Filter of the delivery log (newest first)."""

    estado: EstadoEntrega | None = None


class EntregaOut(BaseModel):
    """One delivery and its latest attempt (request and response excerpts)."""

    id: int
    suscripcion_id: int
    #: The ``Soporte-Entrega`` header: the same on every attempt and redelivery.
    entrega: str
    tipo: str
    estado: EstadoEntrega
    intentos: int
    codigo: int | None
    duracion_ms: int | None
    peticion: str
    respuesta: str
    error: str
    fecha_creacion: datetime
    fecha_intento: datetime | None
    fecha_entrega: datetime | None

    @classmethod
    def de(cls, e: Entrega) -> EntregaOut:
        """From the model."""
        return cls(
            id=e.id,
            suscripcion_id=e.suscripcion_id,
            entrega=e.clave,
            tipo=e.tipo,
            estado=e.estado,
            intentos=e.intentos,
            codigo=e.codigo,
            duracion_ms=e.duracion_ms,
            peticion=e.peticion,
            respuesta=e.respuesta,
            error=e.error,
            fecha_creacion=e.fecha_creacion,
            fecha_intento=e.fecha_intento,
            fecha_entrega=e.fecha_entrega,
        )
