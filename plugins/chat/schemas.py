"""The frames of the chat protocol (docs/api.md, "Real-time chat"), as pydantic models.

One source of truth: they validate what clients send, the server builds every frame it sends
through them (the ``*_frame`` helpers of ``service.py``), and ``/api/asyncapi.json`` documents
the socket from them (:data:`PROTOCOLO`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.api.sockets import Frame, Ping, Pong, SocketProtocol
from core.auth.models import Rol
from plugins.tickets.api import Canal

MAX_CARACTERES = 5000

#: The ``codigo`` of every ``error`` frame of the chat (docs/api.md, "Error codes").
CodigoError = Literal[
    "parametros",
    "formato",
    "json_invalido",
    "tipo_desconocido",
    "mensaje_invalido",
    "mensaje_vacio",
    "prohibido",
    "limite",
    "ticket_cerrado",
    "no_encontrado",
    "typing_invalido",
]


class FrameEntrante(BaseModel):
    """Any frame from a client: only ``tipo`` is required to route it."""

    model_config = ConfigDict(extra="allow")

    tipo: str


class MensajeEntrante(Frame):
    """Send a chat message: ``{"tipo": "mensaje", "mensaje": "...", "timestamp": "..."}``.

    Stored as a reply with ``canal: CHAT`` (the rules of ``/responder/``), then broadcast as a
    ``mensaje`` frame to every socket of the ticket, the sender included. ``mensaje``: 1 to 5000
    characters after trimming; ``timestamp`` is ignored (the server's time is authoritative).
    ``interna: true`` (agents only): an internal note, sent to staff sockets only.
    """

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "tipo": "mensaje",
                    "mensaje": "Gracias, quedo atenta",
                    "timestamp": "2026-11-26T10:00:00.000Z",
                }
            ]
        },
    )

    tipo: Literal["mensaje"]
    mensaje: str = Field(max_length=MAX_CARACTERES)
    timestamp: str | None = None
    #: An internal note (agents only; a customer's gets an error frame, nothing is stored).
    interna: bool = False

    @field_validator("mensaje")
    @classmethod
    def _sin_nul(cls, value: str) -> str:
        # PostgreSQL text cannot hold NUL: refused here, as REST refuses it, never a crash.
        if "\x00" in value:
            raise ValueError("No puede contener el carácter NUL.")
        return value


class TypingEntrante(Frame):
    """The user is typing (``escribiendo: true``) or stopped; relayed to the other sockets.

    ``interna``: the agent is writing an internal note (told to the staff only). Past the typing
    rate limit it is dropped silently.
    """

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"tipo": "typing", "escribiendo": True, "interna": False}]},
    )

    tipo: Literal["typing"]
    escribiendo: bool = True
    interna: bool = False


class Participante(BaseModel):
    """How a user is shown in frames."""

    id: int
    nombre: str
    rol: Rol


class EstadoConexion(Frame):
    """The first frame after opening: the caller and who is connected (in this process)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tipo": "connection_status",
                    "conectado": True,
                    "ticket_id": 12,
                    "usuario": {"id": 3, "nombre": "Lucía Fernández", "rol": "CLIENTE"},
                    "participantes": [
                        {"id": 3, "nombre": "Lucía Fernández", "rol": "CLIENTE"},
                        {"id": 2, "nombre": "Carla Ruiz", "rol": "AGENTE"},
                    ],
                }
            ]
        }
    )

    tipo: Literal["connection_status"] = "connection_status"
    conectado: bool = True
    ticket_id: int
    usuario: Participante
    #: The distinct users connected to this ticket in this server process, the caller too.
    participantes: list[Participante]


class MensajeSaliente(Frame):
    """A stored reply: the history replay on opening, then each new one live.

    ``autor`` is a display-name string here (an object in REST); ``id``: keep the highest for
    ``?desde=``; ``canal``: ``CHAT``, ``TICKET`` (``/responder/``) or ``CORREO`` (by e-mail);
    ``interna``: an internal note (only staff sockets ever receive one).
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tipo": "mensaje",
                    "id": 41,
                    "ticket_id": 12,
                    "autor": "Carla Ruiz",
                    "autor_id": 2,
                    "rol": "AGENTE",
                    "contenido": "Hola Lucía, lo reviso ahora",
                    "canal": "CHAT",
                    "timestamp": "2026-11-26T10:00:00.123456+00:00",
                    "interna": False,
                }
            ]
        }
    )

    tipo: Literal["mensaje"] = "mensaje"
    id: int
    ticket_id: int
    autor: str
    autor_id: int
    rol: Rol
    contenido: str
    canal: Canal
    #: ``datetime.isoformat()`` (``+00:00``, not ``Z``): the wire format the guide reads.
    timestamp: str = Field(json_schema_extra={"format": "date-time"})
    interna: bool


class TypingSaliente(Frame):
    """Another user is typing (or stopped); never sent back to the socket that typed.

    Treat it as over when no ``typing`` frame of that author arrived for about 6 s.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tipo": "typing",
                    "autor": "Lucía Fernández",
                    "autor_id": 3,
                    "escribiendo": True,
                    "interna": False,
                }
            ]
        }
    )

    tipo: Literal["typing"] = "typing"
    autor: str
    autor_id: int
    escribiendo: bool
    #: A note is being written: only staff sockets ever receive those.
    interna: bool


class Presencia(Frame):
    """A user's first socket on the ticket opened (``conectado: true``) or their last one
    closed; not sent to the joining socket itself."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tipo": "presencia",
                    "usuario": {"id": 2, "nombre": "Carla Ruiz", "rol": "AGENTE"},
                    "conectado": True,
                }
            ]
        }
    )

    tipo: Literal["presencia"] = "presencia"
    usuario: Participante
    conectado: bool


class ViendoSaliente(Frame):
    """Who is viewing the ticket now, in every server process: to staff sockets opened with
    ``?viendo=true`` only, after the replay and whenever the list changes."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tipo": "viendo",
                    "ticket_id": 12,
                    "usuarios": [
                        {"id": 3, "nombre": "Lucía Fernández", "rol": "CLIENTE"},
                        {"id": 2, "nombre": "Carla Ruiz", "rol": "AGENTE"},
                    ],
                }
            ]
        }
    )

    tipo: Literal["viendo"] = "viendo"
    ticket_id: int
    usuarios: list[Participante]


class ErrorChat(Frame):
    """A frame the server could not act on; the socket stays open."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"tipo": "error", "codigo": "mensaje_vacio", "detalle": "El mensaje está vacío."}
            ]
        }
    )

    tipo: Literal["error"] = "error"
    codigo: CodigoError
    detalle: str


class ChatQuery(BaseModel):
    """Query string of the chat socket."""

    token: str | None = None
    desde: int | None = Field(None, ge=0, description="Replay only messages with id > desde.")
    historial: int = Field(50, ge=0, le=500, description="How many past messages to replay.")
    viendo: bool = Field(
        False, description="Agents and admins: also receive `viendo` frames (who is viewing)."
    )


#: The chat socket's protocol, declared with its route (``/api/asyncapi.json``).
PROTOCOLO = SocketProtocol(
    server_frames=(
        EstadoConexion,
        MensajeSaliente,
        TypingSaliente,
        Presencia,
        ViendoSaliente,
        Pong,
        ErrorChat,
    ),
    client_frames=(MensajeEntrante, TypingEntrante, Ping),
    query=ChatQuery,
    close_codes={
        4404: "`ticket no encontrado`: unknown ticket, or one the caller may not see.",
        4400: (
            "`parametros invalidos`: bad `desde`/`historial`/`viendo`; an `error` frame with "
            "`codigo: parametros` (its `detalle` the bad parameters as JSON) comes first."
        ),
        4429: (
            "`demasiadas conexiones abiertas seguidas` / `demasiadas conexiones a la vez`: too "
            "many sockets opened per minute, or held open at once, by the user."
        ),
        1009: "A frame over 64 KiB.",
    },
    description=(
        "On opening the server sends `connection_status`, then the replay (`mensaje` frames, "
        "oldest first: the last `historial`, or those after `desde`), then (staff with "
        "`?viendo=true`) a `viendo` frame, then live frames. Frames a client sends that are not "
        "valid get an `error` frame; the socket stays open."
    ),
)
