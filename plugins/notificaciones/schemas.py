"""Request and response models of the ``/api/soporte/notificaciones/`` endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.api import Page, PageQuery
from core.api.sockets import Frame, Ping, Pong, SocketProtocol


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


# --- the socket's frames (``/ws/soporte/notificaciones/``, :data:`PROTOCOLO`) -----------------


class NotificacionEnVivo(NotificacionOut):
    """A notification as the socket sends it: ``fecha_creacion`` is ``datetime.isoformat()``
    (``+00:00``) there."""

    fecha_creacion: str = Field(json_schema_extra={"format": "date-time"})  # type: ignore[assignment]


class NotificacionFrame(Frame):
    """One notification: the replay of the unread ones on opening (oldest first, at most 50),
    then each new one; a notification is sent once to a socket, never twice."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tipo": "notificacion",
                    "notificacion": {
                        "id": 7,
                        "tipo": "respuesta_agente",
                        "titulo": "Nueva respuesta en TK-000012",
                        "mensaje": "Carla Ruiz: Hola Lucía, lo reviso ahora",
                        "url": "/tickets/12/",
                        "ticket_id": 12,
                        "leida": False,
                        "fecha_creacion": "2026-11-26T10:00:00.123456+00:00",
                    },
                }
            ]
        }
    )

    tipo: Literal["notificacion"] = "notificacion"
    notificacion: NotificacionEnVivo


class Sincronizado(Frame):
    """The replay is over (also after a lost Redis connection): how many are unread."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"tipo": "sincronizado", "no_leidas": 2}]}
    )

    tipo: Literal["sincronizado"] = "sincronizado"
    no_leidas: int


class Leidas(Frame):
    """Notifications were read elsewhere (another tab, ``POST …/leer/``): their ids, or
    ``"todas"``, and how many are left unread."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"tipo": "leidas", "ids": [7, 8], "no_leidas": 0}]}
    )

    tipo: Literal["leidas"] = "leidas"
    ids: list[int] | Literal["todas"]
    no_leidas: int


class TicketFrame(Frame):
    """A live change of a ticket, to its customer and to every agent (never about a ticket the
    recipient cannot see). ``evento``: ``ticket_creado``, ``ticket_actualizado`` or
    ``respuesta_creada``; ``cambios``: ``{campo: [antes, despues]}`` as in
    ``TicketActualizado`` (``{}`` otherwise)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tipo": "ticket",
                    "evento": "ticket_actualizado",
                    "ticket_id": 12,
                    "cambios": {"estado": ["ABIERTO", "EN_PROGRESO"]},
                }
            ]
        }
    )

    tipo: Literal["ticket"] = "ticket"
    evento: str
    ticket_id: int | None
    cambios: dict[str, Any]


class ErrorNotificaciones(Frame):
    """A client frame other than ``ping``; the socket stays open."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tipo": "error",
                    "codigo": "tipo_desconocido",
                    "detalle": "Este socket solo admite frames ping.",
                }
            ]
        }
    )

    tipo: Literal["error"] = "error"
    codigo: Literal["tipo_desconocido"]
    detalle: str


#: The notification socket's protocol, declared with its route (``/api/asyncapi.json``).
PROTOCOLO = SocketProtocol(
    server_frames=(NotificacionFrame, Sincronizado, Leidas, TicketFrame, Pong, ErrorNotificaciones),
    client_frames=(Ping,),
    close_codes={
        4429: (
            "`demasiadas conexiones abiertas seguidas` / `demasiadas conexiones a la vez`: too "
            "many sockets opened per minute (shared with the chat's), or notification sockets "
            "held open at once, by the user."
        ),
        1009: "A frame over 4 KiB.",
    },
    description=(
        "On opening the server sends the caller's unread notifications (`notificacion`, oldest "
        "first, at most 50), then `sincronizado`, then live frames. Clients only send `ping`."
    ),
)
