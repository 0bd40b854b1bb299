"""What a WebSocket endpoint speaks: its frames in each direction, query string and close codes.

A plugin declares it with the route, and the same pydantic models validate what clients send
and build what the server sends, so ``/api/asyncapi.json`` (:mod:`core.api.asyncapi`) cannot
drift from the sockets::

    class Eco(Frame):
        tipo: Literal["eco"] = "eco"
        texto: str

    @routes.websocket(
        "/ws/mi-plugin/eco/",
        protocol=SocketProtocol(
            server_frames=(Eco, Pong), client_frames=(Eco, Ping), query=EcoQuery,
            close_codes={4429: "too many sockets"},
        ),
    )
    async def eco(request: web.Request) -> web.WebSocketResponse:
        ...
        await ws.send_json(frame(Eco(texto=entrante.texto)))

Every socket of every plugin also has the close codes of :data:`CORE_CLOSE_CODES` (the core's
session check and shutdown), documented without being declared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class Frame(BaseModel):
    """Base of a frame's model: JSON in both directions, one model per frame type.

    Fields with defaults are still *required* in the document's schema of a frame the server
    sends (they are always sent); a field named ``tipo`` typed ``Literal["x"]`` names the frame.
    Put ``tipo`` first: frames are serialised in field order, and consumers filter on the
    ``{"tipo": "…"`` prefix of the serialised text.
    """

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Ping(Frame):
    """An application-level keep-alive from the client; answered with ``pong``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"tipo": "ping"}]})

    #: Required (no default): a frame without ``tipo`` is no ``ping``.
    tipo: Literal["ping"]


class Pong(Frame):
    """The answer to ``ping``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"tipo": "pong"}]})

    tipo: Literal["pong"] = "pong"


def frame(value: BaseModel) -> dict[str, Any]:
    """A frame model as the dict a socket or the channel layer sends (JSON types only)."""
    return value.model_dump(mode="json")


#: Close codes any socket can get, set by the core: the token check and session end
#: (``core.sessions``), shutdown and clients too slow to keep up (``core.realtime``), and
#: frames over the socket's size limit.
CORE_CLOSE_CODES: Mapping[int, str] = {
    4401: (
        "`token invalido o caducado`: missing, unknown or expired token (on opening); "
        "`sesion terminada`: on an open socket, its session ended (logout, expiry, password "
        "change, deactivation). Do not reconnect with the same token."
    ),
    1001: "`server shutdown`: the server is stopping; reconnect.",
    1013: (
        "`demasiado lento: reconecte`: the client stopped reading and its buffers stayed full "
        "for 2 s (`core.realtime.SLOW_SOCKET_SECONDS`); reconnect (the chat with `?desde=`, "
        "to be replayed what was missed)."
    ),
    1009: "A frame over the socket's size limit.",
}

#: The close code of a socket whose path id names nothing (``core.app``), for sockets with
#: path parameters.
PATH_NOT_FOUND: Mapping[int, str] = {4404: "`no encontrado`: a path id no table can hold."}


@dataclass(frozen=True)
class SocketProtocol:
    """The protocol of one WebSocket endpoint, as ``/api/asyncapi.json`` documents it.

    ``server_frames``: the frames the server sends; ``client_frames``: those a client may send
    (one :class:`Frame` model each, usually with a ``tipo`` literal); ``query``: the query
    string's model (``token`` is always documented, as the core's sessions read it);
    ``close_codes``: the endpoint's own close codes and when each happens (the core's,
    :data:`CORE_CLOSE_CODES`, are added); ``description``: prose for the channel beyond the
    handler's docstring.
    """

    server_frames: tuple[type[BaseModel], ...] = ()
    client_frames: tuple[type[BaseModel], ...] = ()
    query: type[BaseModel] | None = None
    close_codes: Mapping[int, str] = field(default_factory=dict)
    description: str = ""
