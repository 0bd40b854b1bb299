"""Request and response models of the ``/api/soporte/notificaciones/`` endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.api import Page, PageQuery


class NotificacionOut(BaseModel):
    """One notification (docs/api.md, "Notificaciones")."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    tipo: str
    titulo: str
    mensaje: str
    #: A path of the portal or the console, e.g. ``/tickets/12/``.
    url: str
    ticket_id: int | None
    leida: bool
    fecha_creacion: datetime


class PaginaNotificaciones(Page[NotificacionOut]):
    """A page of the caller's notifications, plus how many are unread in all."""

    no_leidas: int


class NotificacionesQuery(PageQuery):
    """``?no_leidas=true``: only the unread ones."""

    no_leidas: bool | None = None


class Canales(BaseModel):
    """Where one type of notification reaches the user."""

    app: bool
    email: bool


class CambioCanales(BaseModel):
    """A partial change of one type's channels."""

    model_config = ConfigDict(extra="forbid")

    app: bool | None = None
    email: bool | None = None


class PreferenciasOut(BaseModel):
    """Every type the caller can receive, with its channels."""

    preferencias: dict[str, Canales]


class PreferenciasIn(BaseModel):
    """``{"preferencias": {tipo: {"app"?: bool, "email"?: bool}}}``; types left out keep theirs."""

    model_config = ConfigDict(extra="forbid")

    preferencias: dict[str, CambioCanales] = Field(max_length=50)


class VistaPreviaOut(BaseModel):
    """A notification e-mail rendered with sample data."""

    asunto: str
    texto: str
    html: str | None
    cabeceras: dict[str, str]
