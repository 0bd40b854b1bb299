"""AsyncAPI 3.0 for the WebSocket endpoints, generated from their :class:`SocketProtocol`.

One channel per WebSocket endpoint of the route table (a third-party plugin's too), with its
address and path parameters, its query string as the ``ws`` channel binding, its close codes
(``x-close-codes`` and the description), and its frames as messages whose payloads are the JSON
Schemas of the same pydantic models the socket validates and builds frames with. The document
describes the server: ``send`` operations carry what the server sends, ``receive`` operations
what it accepts from clients.
"""

from __future__ import annotations

import inspect
import typing
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from core.api.openapi import renamed_refs
from core.api.sockets import CORE_CLOSE_CODES, PATH_NOT_FOUND

if TYPE_CHECKING:
    from collections.abc import Iterable

    from core.api.routing import Endpoint

ASYNCAPI_VERSION = "3.0.0"
REF = "#/components/schemas/{model}"
#: The version of the WebSockets bindings the channels' ``bindings.ws`` follow.
WS_BINDING_VERSION = "0.1.0"

TOKEN_DESCRIPTION = (
    "The API token (as `Authorization: Bearer` in REST), in the query string: browsers cannot "
    "set headers on a WebSocket. A bad token closes the socket with 4401."
)


class _Schemas:
    """Component schemas of the frame models; a name another plugin's different model holds
    gets the plugin's name in front (``chat.Error`` never documents ``notificaciones.Error``)."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def of(self, model: type[BaseModel], mode: JsonSchemaMode, plugin: str) -> dict[str, Any]:
        """A ``$ref`` to ``model``'s schema, registered with the models it refers to."""
        schema = model.model_json_schema(ref_template=REF, mode=mode)
        defs: dict[str, Any] = schema.pop("$defs", {})
        defs[model.__name__] = schema
        renames = self._register(defs, plugin)
        return {"$ref": REF.format(model=renames.get(model.__name__, model.__name__))}

    def inline(self, model: type[BaseModel], mode: JsonSchemaMode, plugin: str) -> dict[str, Any]:
        """``model``'s schema itself (only the models it refers to become components)."""
        schema = model.model_json_schema(ref_template=REF, mode=mode)
        renames = self._register(schema.pop("$defs", {}), plugin)
        inlined: dict[str, Any] = _commonmark(renamed_refs(schema, renames))
        return inlined

    def _register(self, defs: dict[str, Any], plugin: str) -> dict[str, str]:
        renames = {
            name: f"{plugin}.{name}"
            for name, sub in defs.items()
            if self.components.get(name, sub) != sub
        }
        for name, sub in defs.items():
            self.components[renames.get(name, name)] = _commonmark(renamed_refs(sub, renames))
        return renames


def _commonmark(schema: Any) -> Any:
    """``schema`` with its descriptions (pydantic takes models' docstrings) as CommonMark."""
    if isinstance(schema, dict):
        return {
            k: markdown(v) if k == "description" and isinstance(v, str) else _commonmark(v)
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_commonmark(v) for v in schema]
    return schema


def frame_name(model: type[BaseModel]) -> str:
    """What names a frame on the wire: the value of its first single-value ``Literal`` field
    (``tipo: Literal["mensaje"]`` → ``mensaje``), else the model's name."""
    for info in model.model_fields.values():
        args = typing.get_args(info.annotation)
        if typing.get_origin(info.annotation) is Literal and len(args) == 1:
            return str(args[0])
    return model.__name__


def markdown(doc: str) -> str:
    """A docstring as CommonMark, which AsyncAPI descriptions are: reST's ````x```` → ```x```."""
    return doc.replace("``", "`")


def summary_of(doc: str) -> str:
    """A docstring's first paragraph on one line (a summary may wrap in the source)."""
    return " ".join(markdown(doc).split("\n\n", 1)[0].split())


def _doc(model: type[BaseModel]) -> str:
    return inspect.getdoc(model) or ""


def _message(model: type[BaseModel], schemas: _Schemas, plugin: str, sent: bool) -> dict[str, Any]:
    doc = _doc(model)
    message: dict[str, Any] = {
        "name": frame_name(model),
        "title": model.__name__,
        "contentType": "application/json",
        # What the server sends is documented as it serialises; what it reads, as it validates.
        "payload": schemas.of(model, "serialization" if sent else "validation", plugin),
    }
    if doc:
        message["summary"] = summary_of(doc)
        if "\n\n" in doc:
            message["description"] = markdown(doc)
    examples = (model.model_config.get("json_schema_extra") or {}).get("examples")  # type: ignore[union-attr]
    if isinstance(examples, list) and examples:
        message["examples"] = [{"payload": e} for e in examples]
    return message


def channel_id(plugin: str, endpoint: Endpoint) -> str:
    """The channel's key: the plugin and the handler, as OpenAPI's ``operationId``."""
    return f"{plugin}.{endpoint.name}"


def close_codes(endpoint: Endpoint) -> dict[int, str]:
    """Every close code of ``endpoint``: its own, then the core's (path ids, session, shutdown)."""
    codes: dict[int, str] = {}
    if endpoint.protocol is not None:
        codes.update(endpoint.protocol.close_codes)
    for extra in (PATH_NOT_FOUND if endpoint.path_params else {}, CORE_CLOSE_CODES):
        for code, text in extra.items():
            codes.setdefault(code, text)
    return codes


def _query_schema(endpoint: Endpoint, schemas: _Schemas, plugin: str) -> dict[str, Any]:
    """The query string as the ``ws`` binding's object schema (``token`` always required)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    protocol = endpoint.protocol
    if protocol is not None and protocol.query is not None:
        query = schemas.inline(protocol.query, "validation", plugin)
        properties.update(query.get("properties", {}))
        required.extend(query.get("required", []))
    properties["token"] = {"type": "string", "description": TOKEN_DESCRIPTION}
    if "token" not in required:
        required.insert(0, "token")
    return {"type": "object", "properties": properties, "required": required}


def _channel(
    plugin: str, endpoint: Endpoint, schemas: _Schemas
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The channel of one WebSocket endpoint and its operations."""
    cid = channel_id(plugin, endpoint)
    protocol = endpoint.protocol
    codes = close_codes(endpoint)
    prose = [markdown(endpoint.description or endpoint.summary)]
    if protocol is not None and protocol.description:
        prose.append(protocol.description)
    prose.append(
        "Close codes:\n\n| code | when |\n|---|---|\n"
        + "\n".join(f"| {code} | {text} |" for code, text in codes.items())
    )
    channel: dict[str, Any] = {
        "address": endpoint.openapi_path,
        "title": summary_of(endpoint.description or endpoint.summary),
        "description": "\n\n".join(prose),
        "messages": {},
        "bindings": {
            "ws": {
                "method": "GET",
                "query": _query_schema(endpoint, schemas, plugin),
                "bindingVersion": WS_BINDING_VERSION,
            }
        },
        "x-plugin": plugin,
        "x-close-codes": {str(code): text for code, text in codes.items()},
    }
    if endpoint.path_params:
        channel["parameters"] = {
            name: {
                "description": f"Path parameter `{name}`"
                + (" (an integer id)." if typ is int else ".")
            }
            for name, typ in endpoint.path_params.items()
        }
    operations: dict[str, Any] = {}
    directions = (
        ("send", "server_frames", "Frames the server sends on this socket."),
        ("receive", "client_frames", "Frames a client may send on this socket."),
    )
    for action, attribute, summary in directions:
        models: tuple[type[BaseModel], ...] = getattr(protocol, attribute, ())
        refs = []
        for model in models:
            key = f"{'servidor' if action == 'send' else 'cliente'}.{frame_name(model)}"
            channel["messages"][key] = _message(model, schemas, plugin, sent=action == "send")
            refs.append({"$ref": f"#/channels/{cid}/messages/{key}"})
        if refs:
            operations[f"{cid}.{action}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{cid}"},
                "summary": summary,
                "messages": refs,
                "x-plugin": plugin,
            }
    return channel, operations


def build_asyncapi(
    endpoints: Iterable[tuple[str, Endpoint]],
    *,
    title: str,
    version: str,
    host: str,
    secure: bool,
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of an application's WebSocket endpoints.

    ``host``: the ``host[:port]`` the document is served from (its servers); ``secure``: the
    request came over TLS, so ``wss`` is listed first.
    """
    schemas = _Schemas()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for plugin, endpoint in endpoints:
        if not endpoint.websocket:
            continue
        channel, ops = _channel(plugin, endpoint, schemas)
        channels[channel_id(plugin, endpoint)] = channel
        operations.update(ops)
    security = [{"$ref": "#/components/securitySchemes/token"}]
    servers = {
        "ws": {
            "host": host,
            "protocol": "ws",
            "description": "Plain WebSocket (this host, no TLS).",
            "security": security,
        },
        "wss": {
            "host": host,
            "protocol": "wss",
            "description": "WebSocket over TLS (this host behind HTTPS).",
            "security": security,
        },
    }
    if secure:
        servers = {"wss": servers["wss"], "ws": servers["ws"]}
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": f"{title} WebSockets",
            "version": version,
            "description": (
                "The WebSocket protocols of this server (only enabled plugins): one channel per "
                "socket, the frames of each direction as JSON messages. The HTTP API is "
                "described at /api/openapi.json."
            ),
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        },
        "defaultContentType": "application/json",
        "servers": servers,
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "token": {
                    "type": "httpApiKey",
                    "name": "token",
                    "in": "query",
                    "description": TOKEN_DESCRIPTION,
                }
            },
        },
    }
