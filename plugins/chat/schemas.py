"""The frames of the chat protocol (docs/api.md, "Real-time chat"), as pydantic models.

They document the protocol and validate what clients send; the server builds its frames with
:func:`frame` helpers in ``service.py``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_CARACTERES = 5000


class FrameEntrante(BaseModel):
    """Any frame from a client: only ``tipo`` is required to route it."""

    model_config = ConfigDict(extra="allow")

    tipo: str


class MensajeEntrante(BaseModel):
    """``{"tipo": "mensaje", "mensaje": "...", "timestamp": "..."}`` as the guide sends it."""

    model_config = ConfigDict(extra="ignore")

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


class TypingEntrante(BaseModel):
    """``{"tipo": "typing", "escribiendo": true|false}``."""

    model_config = ConfigDict(extra="ignore")

    tipo: Literal["typing"]
    escribiendo: bool = True


class ChatQuery(BaseModel):
    """Query string of the chat socket."""

    token: str | None = None
    desde: int | None = Field(None, ge=0, description="Replay only messages with id > desde.")
    historial: int = Field(50, ge=0, le=500, description="How many past messages to replay.")
