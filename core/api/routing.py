"""Declaring endpoints: one decorator gives the route, its role guard, validation and OpenAPI.

A plugin writes::

    routes = Routes(tag="tickets")

    @routes.get("/api/soporte/tickets/{id}/", auth=TOKEN)
    async def detalle(request: web.Request, id: int) -> TicketDetalle: ...

    @routes.post("/api/soporte/tickets/", auth=TOKEN, status=201)
    async def crear(request: web.Request, body: TicketIn) -> TicketOut: ...

and returns ``routes`` from its ``register_routes`` hook. The handler's annotations are the single
source of truth: ``body`` (a pydantic model, from JSON or form data), ``query`` (a pydantic model
of the query string), path parameters (``int`` or ``str``), and the return annotation (the
response model; ``None`` means 204; ``Result[Model]`` when the handler also sets a status or
headers). The same models validate requests and feed OpenAPI, so the
document cannot drift from the code.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError

from core.api.errors import BadRequest, UnsupportedMediaType
from core.api.inbound import refuse_encoded_body
from core.api.validation_messages import message as validation_message
from core.auth.models import Rol
from core.i18n import N_
from core.i18n import gettext as _
from core.keys import STORAGE

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Iterator

    from multidict import MultiMapping

    from core.api.sockets import SocketProtocol
    from core.storage import Upload

#: Who may call an endpoint: anyone, anyone with a valid token, or a role (and those above it);
#: or ``integration``: a machine holding a credential of the endpoint's own (below).
Access = Literal["public", "token", "integration"] | Rol
PUBLIC: Access = "public"
TOKEN: Access = "token"
#: The endpoint verifies a credential of its own in ``Authorization`` (an integration's token,
#: such as a mail provider's webhook): the auth middleware does not read that header as a user
#: token there, no user is resolved, and the handler must check it (a 401 otherwise).
INTEGRATION: Access = "integration"

#: The scope of a route that API keys may not call at all: the caller's own session and
#: account (``/api/auth/yo/``, logout), and the management of API keys themselves.
SESSION_ONLY = "sesion"
#: Methods that only read: their derived scope is ``<area>:read`` (every other is ``:write``).
_READ_METHODS = frozenset({"GET", "HEAD"})


def default_scope(method: str, tag: str) -> str:
    """The API-key scope a route needs unless it declares one: ``<area>:read`` for GET and
    HEAD, ``<area>:write`` otherwise, the area being the route's tag (its plugin's name for
    the built-in plugins; ``sistema`` for a route without a tag)."""
    area = tag or "sistema"
    return f"{area}:{'read' if method.upper() in _READ_METHODS else 'write'}"


_PATH_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")

T = TypeVar("T")


@dataclass
class Result(Generic[T]):
    """A handler's answer with a status or headers other than the endpoint's defaults.

    A handler returning one is annotated ``-> Result[Model]``: ``Model`` is its response model.
    """

    value: T
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Encoded(Generic[T]):
    """A handler's answer already encoded as the JSON of its model ``T`` (200, no extra headers).

    For the hottest reads, which write their rows straight to JSON instead of building models
    to validate and dump (tests compare the bytes with the model's). A handler returning one is
    annotated ``-> Encoded[Model]``: ``Model`` is still its response model for OpenAPI.
    """

    body: bytes


@dataclass
class Endpoint:
    """One route, as declared by a plugin. Built by :class:`Routes`; read by the core."""

    method: str
    path: str
    handler: Callable[..., Awaitable[Any]]
    auth: Access
    summary: str
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    #: Path parameters and their Python types, in path order.
    path_params: dict[str, type] = field(default_factory=dict)
    #: Accepts ``multipart/form-data`` (fields validated by ``body``; files passed as ``files``).
    multipart: bool = False
    #: The handler takes a ``files`` argument (the uploads of a multipart request).
    files: bool = False
    #: Accepts a JSON body (``application/json``).
    json_body: bool = True
    websocket: bool = False
    tag: str = ""
    name: str = ""
    description: str = ""
    #: Error statuses the handler itself raises beyond those its declaration implies (400 for
    #: a body or query, 401/403 for its guard, 404 for path ids, 413/415 for a body): they are
    #: documented in OpenAPI, e.g. ``(403, 409)`` for a state change only some callers may make.
    errors: tuple[int, ...] = ()
    #: A WebSocket endpoint's frames, query string and close codes (``/api/asyncapi.json``).
    protocol: SocketProtocol | None = None
    #: The API-key scope the route needs (:func:`default_scope` unless declared with
    #: ``scope=``; :data:`SESSION_ONLY`: keys are refused). Login tokens ignore it.
    scope: str = ""
    #: Headers the success answer carries beyond ``X-Request-Id`` (every answer has it), named
    #: as in :data:`core.api.openapi.HEADERS`: e.g. ``("Location",)`` for a created resource.
    headers: tuple[str, ...] = ()
    #: The media type of an answer the handler builds itself (a ``web.Response`` or
    #: ``FileResponse``): ``application/octet-stream`` (a download) unless said.
    media_type: str = ""
    #: The media type of a raw body the handler reads itself (no model): e.g. ``message/rfc822``.
    raw_body: str = ""
    #: The description of the endpoint's tag (see :class:`Routes`).
    tag_description: str = ""
    #: For an answer whose keys depend on the app (the dashboard's, from its plugins): a function
    #: of the application giving the annotation OpenAPI documents instead of ``response``.
    documented_response: Callable[[web.Application], Any] | None = None

    @property
    def openapi_path(self) -> str:
        """The path with ``{id:\\d+}`` patterns reduced to ``{id}``."""
        return _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", self.path)


class Routes:
    """An ordered collection of endpoints, filled by decorators."""

    def __init__(self, tag: str = "", description: str = "") -> None:
        """``tag`` groups the endpoints in OpenAPI; ``description`` says what the group is for
        (the document's top-level ``tags``; one of the tag's ``Routes`` giving it is enough)."""
        self.tag = tag
        self.description = description
        self.endpoints: list[Endpoint] = []

    def __iter__(self) -> Iterator[Endpoint]:
        return iter(self.endpoints)

    def __len__(self) -> int:
        return len(self.endpoints)

    def route(
        self,
        method: str,
        path: str,
        *,
        auth: Access,
        status: int = 200,
        summary: str | None = None,
        multipart: bool = False,
        json_body: bool = True,
        websocket: bool = False,
        errors: Iterable[int] = (),
        protocol: SocketProtocol | None = None,
        scope: str | None = None,
        headers: Iterable[str] = (),
        media_type: str = "",
        raw_body: str = "",
        documented_response: Callable[[web.Application], Any] | None = None,
    ) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
        """Declare ``handler`` as the endpoint ``method path`` (see the module docstring).

        ``errors``: error statuses the handler raises that its declaration does not imply
        (see :attr:`Endpoint.errors`); ``protocol``: a socket's frames (:attr:`Endpoint.protocol`).
        ``scope``: the API-key scope it needs, when not the one :func:`default_scope`
        derives (see :attr:`Endpoint.scope`).
        ``headers``, ``media_type``, ``raw_body`` and ``documented_response``: what OpenAPI
        cannot read from the annotations (see :class:`Endpoint`).
        """

        def decorate(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            hints = typing.get_type_hints(handler)
            params = inspect.signature(handler).parameters
            names = _PATH_PARAM.findall(path)
            doc = inspect.getdoc(handler) or ""
            self.endpoints.append(
                Endpoint(
                    method=method,
                    path=path,
                    handler=handler,
                    auth=auth,
                    summary=summary or doc.split("\n", 1)[0] or handler.__name__,
                    description=doc,
                    status=status,
                    body=hints.get("body") if "body" in params else None,
                    query=hints.get("query") if "query" in params else None,
                    response=_response_model(hints.get("return")),
                    path_params={name: hints.get(name, str) for name in names},
                    multipart=multipart,
                    files="files" in params,
                    json_body=json_body,
                    websocket=websocket,
                    tag=self.tag,
                    name=handler.__name__,
                    errors=tuple(sorted(set(errors))),
                    protocol=protocol,
                    scope=scope or default_scope(method, self.tag),
                    headers=tuple(headers),
                    media_type=media_type,
                    raw_body=raw_body,
                    tag_description=self.description,
                    documented_response=documented_response,
                )
            )
            return handler

        return decorate

    def get(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare a GET endpoint."""
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare a POST endpoint."""
        return self.route("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare a PATCH endpoint."""
        return self.route("PATCH", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare a PUT endpoint."""
        return self.route("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare a DELETE endpoint."""
        return self.route("DELETE", path, **kw)

    def websocket(
        self, path: str, *, summary: str | None = None, protocol: SocketProtocol | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare a WebSocket endpoint; the handler authenticates with ``?token=`` itself.

        ``protocol``: its frames both ways, query string and close codes, documented in
        ``/api/asyncapi.json`` (:class:`core.api.sockets.SocketProtocol`).
        """
        return self.route(
            "GET", path, auth=PUBLIC, summary=summary, websocket=True, protocol=protocol
        )


# --- validation ------------------------------------------------------------------------------


def validation_errors(exc: ValidationError, prefix: str = "") -> dict[str, list[str]]:
    """Every bad field of a pydantic error, as ``{"campo": ["mensaje", ...]}``: the keys are
    the fields' locations as the contract names them, the messages sentences in the request's
    language that name the field by its label (:mod:`core.api.validation_messages`)."""
    errors: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        loc = [str(part) for part in err["loc"] if part != "__root__"]
        key = ".".join(loc) or prefix or "non_field_errors"
        errors.setdefault(key, []).append(validation_message(err))
    return errors


#: What a SQL ``BIGINT`` holds; a larger number in a request could only crash a query.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _unstorable(value: Any, loc: str) -> Iterator[tuple[str, str]]:
    """``(location, message)`` of the values in ``value`` that no database can store: integers
    beyond 64 bits, and text with a NUL character (PostgreSQL refuses it in any text column)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            yield loc, N_("Número fuera de rango.")
    elif isinstance(value, str):
        if "\x00" in value:
            yield loc, N_("No puede contener el carácter NUL.")
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _unstorable(getattr(value, name), f"{loc}.{name}" if loc else name)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _unstorable(item, loc)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unstorable(key, loc)
            yield from _unstorable(item, f"{loc}.{key}" if loc else str(key))


def validate_model(model: type[BaseModel], data: Any, *, where: str = "body") -> BaseModel:
    """Validate ``data`` against ``model`` or raise a 400 listing every bad field.

    Integers beyond 64 bits and text containing NUL are refused here too, whatever the model
    says, so that no input reaches the database as a value it cannot store (that would be a
    500, not a 400) — on every database alike.
    """
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(N_("Datos inválidos."), errors=validation_errors(exc)) from exc
    errors: dict[str, list[str]] = {}
    for loc, message in _unstorable(validated, ""):
        messages = errors.setdefault(loc or "non_field_errors", [])
        if message not in messages:
            messages.append(message)
    if errors:
        raise BadRequest(N_("Datos inválidos."), errors=errors)
    return validated


def query_dict(request: web.Request, model: type[BaseModel]) -> dict[str, Any]:
    """The query string as a dict: empty values dropped, repeated keys kept for list fields."""
    return query_values(request.query, model)


def query_values(query: MultiMapping[str], model: type[BaseModel]) -> dict[str, Any]:
    """:func:`query_dict` of any query string (one a signed link carried, say)."""
    data: dict[str, Any] = {}
    for key in query:
        values = [v for v in query.getall(key) if v != ""]
        if not values:
            continue  # the guide sends ``estado=`` to mean "no filter"
        annotation = model.model_fields[key].annotation if key in model.model_fields else None
        data[key] = values if _wants_list(annotation) else values[-1]
    return data


def query_names(model: type[BaseModel]) -> list[str]:
    """The query parameters ``model`` reads: each field's alias, or its name."""
    return [info.alias or name for name, info in model.model_fields.items()]


def refuse_unknown_parameters(query: MultiMapping[str], model: type[BaseModel]) -> None:
    """A 400 naming every query parameter ``model`` does not read, and the ones it does.

    Ignoring them would hide a client's mistake (``page_size=50`` reads as the default size,
    and was even copied into ``next``), so a list endpoint answers what it understood or
    nothing. A model that allows extra keys reads them all.
    """
    if model.model_config.get("extra") == "allow":
        return
    allowed = query_names(model)
    unknown = [key for key in dict.fromkeys(query) if key not in allowed]
    if not unknown:
        return
    names = ", ".join(unknown)
    raise BadRequest(
        _("Parámetro de consulta desconocido: {nombres}. Se admiten: {admitidos}.").format(
            nombres=names, admitidos=", ".join(allowed)
        ),
        errors={
            key: [
                _("Parámetro desconocido; se admiten: {admitidos}.").format(
                    admitidos=", ".join(allowed)
                )
            ]
            for key in unknown
        },
    )


_SEQUENCES = (list, set, frozenset, tuple)


def _wants_list(annotation: Any) -> bool:
    """Whether a field takes several values: ``list[X]``, ``set[X]``… or ``list[X] | None``."""
    if typing.get_origin(annotation) in _SEQUENCES:
        return True
    return annotation is not None and any(
        typing.get_origin(a) in _SEQUENCES for a in typing.get_args(annotation)
    )


def _content_type(request: web.Request) -> str:
    return request.content_type.lower() if request.body_exists else ""


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 saying why it is not one."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        # Python's own text is English: the position is what helps, said in the user's words.
        raise BadRequest(
            _("JSON mal formado: error en la línea {linea}, columna {columna}.").format(
                linea=exc.lineno, columna=exc.colno
            )
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(N_("JSON mal formado: el cuerpo no es texto UTF-8.")) from exc
    except RecursionError as exc:  # thousands of nested brackets: the client's fault, not a 500
        raise BadRequest(N_("JSON mal formado: demasiado anidado.")) from exc
    if not isinstance(data, dict):
        raise BadRequest(N_("El cuerpo debe ser un objeto JSON."))
    return data


def form_to_data(model: type[BaseModel], fields: dict[str, list[str]]) -> dict[str, Any]:
    """Turn form fields into model input: list fields collect every value (or a JSON array)."""
    data: dict[str, Any] = {}
    for key, values in fields.items():
        info = model.model_fields.get(key)
        annotation = info.annotation if info else None
        if _wants_list(annotation):
            items: list[Any] = []
            for value in values:
                stripped = value.strip()
                if stripped.startswith("["):
                    try:
                        items.extend(json.loads(stripped))
                        continue
                    except ValueError:
                        pass
                items.extend(part for part in stripped.split(",") if part.strip())
            data[key] = items
        else:
            value = values[-1]
            data[key] = None if value in ("null", "") and _nullable(annotation) else value
    return data


def _nullable(annotation: Any) -> bool:
    return annotation is None or type(None) in typing.get_args(annotation)


async def refuse_json_as_form(request: web.Request) -> None:
    """A 415 for a JSON object sent as a form: what ``curl -d '{…}'`` does without ``-H
    'Content-Type: application/json'``. Read as a form it is one field named by the whole text,
    and every real field would be reported missing — a puzzle instead of the actual mistake.
    (aiohttp keeps the body read here for the form parser.)"""
    raw = await request.read()
    if raw.lstrip()[:1] in (b"{", b"["):
        raise UnsupportedMediaType(
            "El cuerpo es JSON pero se envió como application/x-www-form-urlencoded; "
            "envíe la cabecera Content-Type: application/json "
            "(o un formulario multipart/form-data)."
        )


@dataclass
class ParsedBody:
    """A validated body and, for multipart requests, the uploaded files."""

    body: BaseModel | None
    files: list[Upload]


async def parse_body(request: web.Request, endpoint: Endpoint) -> ParsedBody:
    """Validate the body by content type: JSON, or form data where the endpoint accepts it."""
    from core.storage import read_multipart  # storage imports routing's helpers

    refuse_encoded_body(request)  # before a byte of the body is read
    ctype = _content_type(request)
    if endpoint.multipart and ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        if ctype == "application/x-www-form-urlencoded" and endpoint.json_body:
            await refuse_json_as_form(request)
        fields, files = await read_multipart(request)
        try:
            data = form_to_data(endpoint.body, fields) if endpoint.body else {}
            body = validate_model(endpoint.body, data) if endpoint.body else None
        except BaseException:
            # The files are already on disk; a form that fails validation must not leave them.
            for upload in files:
                request.app[STORAGE].delete(upload.key)
            raise
        return ParsedBody(body, files)
    if endpoint.json_body and (
        ctype in ("", "application/json", "text/plain") or ctype.endswith("+json")
    ):
        data = await read_json_object(request)
        return ParsedBody(validate_model(endpoint.body, data) if endpoint.body else None, [])
    accepted = ["application/json"] if endpoint.json_body else []
    if endpoint.multipart:
        accepted.append("multipart/form-data")
    if "Content-Type" not in request.headers:
        # aiohttp reads a missing header as application/octet-stream: name what is missing.
        raise UnsupportedMediaType(
            _("Falta la cabecera Content-Type; envíe Content-Type: {admitidos}.").format(
                admitidos=_(" o ").join(accepted)
            )
        )
    raise UnsupportedMediaType(
        _("Tipo de contenido «{tipo}» no soportado; use {admitidos}.").format(
            tipo=ctype, admitidos=_(" o ").join(accepted)
        )
    )


# --- responses -------------------------------------------------------------------------------


def _response_model(annotation: Any) -> Any:
    """The response model of a return annotation: ``Model`` of ``Result[Model]`` (or of
    ``Encoded[Model]``), else itself."""
    if typing.get_origin(annotation) in (Result, Encoded):
        return typing.get_args(annotation)[0]
    return annotation


@functools.cache
def adapter_for(annotation: Any) -> TypeAdapter[Any]:
    """A :class:`TypeAdapter` for a response annotation, built once per annotation."""
    return TypeAdapter(annotation)


def encoded(value: Any, annotation: Any = None) -> Encoded[Any]:
    """``value`` serialised once, straight to JSON bytes, as ``annotation`` (by default its own
    type) describes it: for a handler that returns :class:`Encoded` built from models."""
    shape: Any = type(value) if annotation is None else annotation
    return Encoded(adapter_for(shape).dump_json(value))


def render(endpoint: Endpoint, value: Any) -> web.StreamResponse:
    """Serialise a handler's return value with the endpoint's response model."""
    if isinstance(value, web.StreamResponse):
        return value
    if isinstance(value, Encoded):
        return web.Response(
            body=value.body, status=endpoint.status, content_type="application/json"
        )
    status, headers = endpoint.status, {}
    if isinstance(value, Result):
        status = value.status or status
        headers = value.headers
        value = value.value
    if endpoint.response in (None, type(None)) or status == 204:
        return web.Response(status=204, headers=headers)
    body = adapter_for(endpoint.response).dump_json(value)
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")
