"""OpenAPI 3.1, generated from the route table and the same pydantic models that validate.

Nothing here is written by hand per endpoint: paths, parameters, bodies, responses and
security come from each :class:`~core.api.routing.Endpoint`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aiohttp.web import FileResponse, StreamResponse
from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue

from core.api.errors import TITLES
from core.auth.models import Rol
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import applies as applies_idempotency

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from pydantic_core import core_schema

    from core.api.routing import Endpoint

REF = "#/components/schemas/{model}"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "request_id": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
}


#: Response headers the core sends, as OpenAPI header objects (see :func:`_headers`).
HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-Id": {
        "description": "The request's id (the client's own when it sent a safe one); "
        "logged with every line about the request.",
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "The URL of the resource just created.",
        "schema": {"type": "string", "format": "uri-reference"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "WWW-Authenticate": {
        "description": 'The scheme to authenticate with: `Bearer realm="soporte"`.',
        "schema": {"type": "string"},
    },
    "Content-Disposition": {
        "description": "`attachment` with the file's name (a download, never shown inline).",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "`no-store` (the answer carries a secret, or another user's data): "
        "no cache or proxy keeps it, and an Idempotency-Key retry never replays it.",
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": "`true` on the stored first answer to a retry with the same "
        "Idempotency-Key: nothing was created this time.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}

#: ``Page[TicketOut]``, ``dict[str, int]``: the characters that make no valid component name.
_NOT_NAME = re.compile(r"[^A-Za-z0-9]+")


def component_name(name: str) -> str:
    """A valid, stable component name for a model's name: ``Page[TicketOut]`` →
    ``PageTicketOut``, ``plugins.tickets.schemas.Estado`` → ``PluginsTicketsSchemasEstado``
    (the pattern ``^[a-zA-Z0-9._-]+$``, and a class name for every code generator)."""
    return "".join(p[:1].upper() + p[1:] for p in _NOT_NAME.split(name) if p) or "Schema"


def _allows_null(schema: Any) -> bool:
    """Whether ``schema`` accepts ``null`` (a ``$ref`` to a model or enum does not)."""
    if not isinstance(schema, dict):
        return False
    if not schema or set(schema) <= {"title", "description", "default", "examples"}:
        return True  # ``Any``: anything, null included
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if None in schema.get("enum", ()) or ("const" in schema and schema["const"] is None):
        return True
    return any(_allows_null(s) for key in ("anyOf", "oneOf") for s in schema.get(key, ()))


class SchemaGenerator(GenerateJsonSchema):
    """pydantic's JSON Schema, made valid OpenAPI 3.1 and friendly to code generators.

    - Component names are :func:`component_name` of the model's (no ``[``, ``]`` or ``,``).
    - A ``default`` the schema itself does not accept is left out: ``X = Field(None)`` (the
      "absent, never null" pattern of partial updates) means *optional*, not *null by default*
      — a client that sent the default would get a 400.
    """

    def normalize_name(self, name: str) -> str:
        """The component name of a model (see :func:`component_name`)."""
        return component_name(name)

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        """The field's schema with its default, unless that default is a null it refuses."""
        json_schema = super().default_schema(schema)
        if "default" in json_schema and json_schema["default"] is None:
            without = {k: v for k, v in json_schema.items() if k != "default"}
            if not _allows_null(without):
                return without
        return json_schema


def model_schema(annotation: Any, mode: JsonSchemaMode) -> dict[str, Any]:
    """The JSON Schema the document gives ``annotation`` (``$defs`` unregistered)."""
    schema: dict[str, Any] = TypeAdapter(annotation).json_schema(
        ref_template=REF, mode=mode, schema_generator=SchemaGenerator
    )
    return schema


class _Schemas:
    """Collects component schemas while endpoints are documented.

    Each model is generated on its own, so two plugins may both have a model called, say,
    ``ValorarIn`` or ``Estado``: a name already taken by a different schema gets a numbered
    twin (``ValorarIn2``) and every reference in the new schema follows the rename, so no
    endpoint is ever documented with another endpoint's model.
    """

    def __init__(self) -> None:
        self.components: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}

    def of(self, annotation: Any, mode: JsonSchemaMode) -> dict[str, Any]:
        """The schema of ``annotation``: a ``$ref`` for a model, inline otherwise."""
        return self.inline(model_schema(annotation, mode), as_component=True)

    def inline(self, schema: dict[str, Any], *, as_component: bool = False) -> dict[str, Any]:
        """Register ``schema``'s ``$defs`` (and, with ``as_component``, an object schema with a
        title) as components; returns it with references rewritten to the registered names."""
        defs = dict(schema.pop("$defs", {}))
        title = schema.get("title")
        top = as_component and schema.get("type") == "object" and "properties" in schema
        if top and isinstance(title, str) and component_name(title) not in defs:
            name = component_name(title)
            defs[name] = schema
            return {"$ref": REF.format(model=self._register(defs).get(name, name))}
        renamed: dict[str, Any] = renamed_refs(schema, self._register(defs))  # a dict stays a dict
        return renamed

    def named(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        """Register ``schema`` (references already registered) as ``name``, or a numbered twin
        of it if that name is taken by another schema; returns a ``$ref`` to it."""
        return {"$ref": REF.format(model=self._register({name: schema}).get(name, name))}

    def _register(self, defs: dict[str, Any]) -> dict[str, str]:
        """Add ``defs`` to the components, renaming those whose name another schema holds."""
        renames: dict[str, str] = {}
        for _ in range(len(defs) + 1):  # each pass settles at least one name
            # A component's title is its name: unique, so that no generator drops a model
            # whose title another one has (two bodies titled ``ValorarIn``).
            final = {
                renames.get(n, n): _titled(renamed_refs(d, renames), renames.get(n, n))
                for n, d in defs.items()
            }
            clashes = [
                n
                for n in defs
                if self.components.get(renames.get(n, n), final[renames.get(n, n)])
                != final[renames.get(n, n)]
            ]
            if not clashes:
                self.components.update(final)
                return renames
            # Rename first the clashes that refer to no other clash: a model that differs only
            # because it refers to a renamed one (``Estado`` → ``Estado2``) then stops clashing.
            leaves = [n for n in clashes if not _refs(defs[n]) & (set(clashes) - {n})]
            for name in leaves or clashes:
                i = 2
                while (twin := f"{name}{i}") in self.components and self.components[
                    twin
                ] != _titled(renamed_refs(defs[name], renames), twin):
                    i += 1
                renames[name] = twin
        raise RuntimeError(f"cannot name OpenAPI components {sorted(defs)}")  # pragma: no cover


def _titled(schema: Any, name: str) -> Any:
    """``schema`` titled ``name`` (when it has a title: enums and models do)."""
    if isinstance(schema, dict) and "title" in schema:
        return {**schema, "title": name}
    return schema


def _refs(schema: Any) -> set[str]:
    """The component names ``schema`` refers to."""
    if isinstance(schema, dict):
        found = set().union(*(_refs(v) for v in schema.values())) if schema else set()
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF.format(model="")):
            found.add(ref.rsplit("/", 1)[1])
        return found
    if isinstance(schema, list):
        return set().union(*(_refs(v) for v in schema)) if schema else set()
    return set()


def renamed_refs(schema: Any, renames: Mapping[str, str]) -> Any:
    """``schema`` with every ``$ref`` to a renamed component pointing at its new name (the
    AsyncAPI document renames its components by the same rule)."""
    if not renames:
        return schema
    if isinstance(schema, dict):
        out = {k: renamed_refs(v, renames) for k, v in schema.items()}
        ref = out.get("$ref")
        prefix = REF.format(model="")
        if isinstance(ref, str) and ref.startswith(prefix) and ref[len(prefix) :] in renames:
            out["$ref"] = REF.format(model=renames[ref[len(prefix) :]])
        return out
    if isinstance(schema, list):
        return [renamed_refs(v, renames) for v in schema]
    return schema


def _header_refs(*names: str) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _problem(description: str, *headers: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _header_refs("X-Request-Id", *headers),
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}},
    }


#: The files of a multipart body: any number of parts with a file name. The server takes every
#: file part whatever its name (the guide sends ``archivo_0``, ``archivo_1``…); generated clients
#: send each item of this array as one part named ``archivos``.
FILES_PROPERTY: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "format": "binary"},
    "description": "Files, one part each. Any part name is accepted (the guide's "
    "`archivo_0`, `archivo_1`, …); generated clients repeat `archivos`.",
}


def _query_parameter(name: str, schema: dict[str, Any], required: bool) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "query", "required": required, "schema": schema}
    if _is_array(schema):
        # Repeated keys (``?ordering=a&ordering=-b``) are what the server reads for a list;
        # saying so keeps generators from joining the values with commas their own way.
        param["style"] = "form"
        param["explode"] = True
    return param


def _is_array(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "array" or any(
        s.get("type") == "array" for s in schema.get("anyOf", ()) if isinstance(s, dict)
    )


def _request_body(endpoint: Endpoint, schemas: _Schemas) -> dict[str, Any] | None:
    content: dict[str, Any] = {}
    if endpoint.body is not None and endpoint.json_body:
        content["application/json"] = {"schema": schemas.of(endpoint.body, "validation")}
    if endpoint.multipart:
        if endpoint.body is not None:
            form = schemas.inline(model_schema(endpoint.body, "validation"))
            name = component_name(f"{form.get('title', 'Form')}Form")
        else:
            form = {"type": "object", "properties": {}}
            name = component_name(f"{endpoint.name}Form")
        form = {**form, "title": name}
        form.pop("additionalProperties", None)  # the file parts are no fields of the model
        if endpoint.files:
            form["properties"] = {**form.get("properties", {}), "archivos": FILES_PROPERTY}
        content["multipart/form-data"] = {"schema": schemas.named(name, form)}
    if endpoint.raw_body:
        content[endpoint.raw_body] = {"schema": {"type": "string", "format": "binary"}}
    if not content:
        return None
    return {"required": True, "content": content}


def _success(endpoint: Endpoint, schemas: _Schemas, annotation: Any) -> dict[str, Any]:
    """The success response, with the headers the handler declares it sends."""
    headers = ["X-Request-Id", *endpoint.headers]
    if applies_idempotency(endpoint):
        headers.append("Idempotent-Replayed")  # on a retry's replayed first answer
    if endpoint.websocket:
        return {"description": "WebSocket upgrade (the protocol: docs/api.md)."}
    if annotation in (None, type(None)):
        return {"description": "No content.", "headers": _header_refs(*headers)}
    if isinstance(annotation, type) and issubclass(annotation, StreamResponse):
        media = endpoint.media_type or "application/octet-stream"
        if issubclass(annotation, FileResponse) and "Content-Disposition" not in headers:
            headers.append("Content-Disposition")
        # Text is a string to generators (they decode it); anything else is bytes.
        text = media.startswith("text/")
        schema = {"type": "string"} if text else {"type": "string", "format": "binary"}
        return {
            "description": "A document." if text else "A file.",
            "headers": _header_refs(*headers),
            "content": {media: {"schema": schema}},
        }
    return {
        "description": "OK",
        "headers": _header_refs(*headers),
        "content": {"application/json": {"schema": schemas.of(annotation, "serialization")}},
    }


def _operation(
    endpoint: Endpoint, schemas: _Schemas, plugin: str, annotation: Any
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{plugin}.{endpoint.name}",
        "summary": endpoint.summary,
        # Every operation says what it does: the handler's docstring (its first line at least).
        "description": endpoint.description or endpoint.summary,
        "tags": [endpoint.tag or plugin],
        "x-plugin": plugin,
        # The API-key scope the route needs (core.auth.claves); "sesion": keys refused.
        "x-scope": endpoint.scope,
    }
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer" if typ is int else "string"},
        }
        for name, typ in endpoint.path_params.items()
    ]
    if endpoint.query is not None:
        props = schemas.inline(model_schema(endpoint.query, "validation"))
        for name, field in endpoint.query.model_fields.items():
            param = _query_parameter(name, props["properties"][name], field.is_required())
            if field.description:
                param["description"] = field.description
            params.append(param)
    if endpoint.websocket:
        params.append(
            {
                "name": "token",
                "in": "query",
                "required": True,
                "schema": {"type": "string"},
                "description": "API token.",
            }
        )
    if applies_idempotency(endpoint):
        params.append(
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                "description": "Retry safely: the first answer is replayed for 24 h.",
            }
        )
    if params:
        op["parameters"] = params
    body = _request_body(endpoint, schemas)
    if body is not None:
        op["requestBody"] = body

    status = "101" if endpoint.websocket else str(endpoint.status)
    if not endpoint.websocket and annotation in (None, type(None)):
        status = "204"
    responses: dict[str, Any] = {status: _success(endpoint, schemas, annotation)}
    has_body = body is not None
    if has_body or endpoint.query is not None:
        responses["400"] = _problem("Invalid input; every bad field is listed in `errors`.")
    if endpoint.websocket:
        responses["400"] = _problem("Not a WebSocket handshake.")
    if endpoint.auth == "integration":
        op["security"] = [{"bearerAuth": []}]
        responses["401"] = _problem(
            "Missing or invalid integration token (no user token).", "WWW-Authenticate"
        )
    elif not endpoint.websocket and endpoint.auth != "public":
        op["security"] = [{"bearerAuth": []}]
        responses["401"] = _problem("Missing, invalid or expired token.", "WWW-Authenticate")
        if isinstance(endpoint.auth, Rol):
            responses["403"] = _problem(f"Requires role {endpoint.auth.value}.")
    else:
        # Public: no token needed (a socket checks its own ``?token=``, and closes with 4401).
        op["security"] = []
        if not endpoint.websocket:
            # A token that is sent must be valid all the same.
            responses["401"] = _problem("An invalid or expired token was sent.", "WWW-Authenticate")
    if endpoint.path_params:
        responses["404"] = _problem("Unknown id, or not visible to the caller.")
    if has_body:
        responses["413"] = _problem("Body or file too large, or too many files.")
        responses["415"] = _problem("Unsupported content type.")
    if applies_idempotency(endpoint):
        responses["409"] = _problem(
            "The first request with this Idempotency-Key still runs; retry after `Retry-After`.",
            "Retry-After",
        )
        responses["422"] = _problem("This Idempotency-Key was used for another request.")
    if endpoint.files:
        responses["429"] = _problem("Too many uploads; wait `Retry-After` seconds.", "Retry-After")
    for code in endpoint.errors:
        extra = ("Retry-After",) if code == 429 else ("WWW-Authenticate",) if code == 401 else ()
        responses.setdefault(str(code), _problem(TITLES.get(code, "Error") + ".", *extra))
    op["responses"] = {**dict(sorted(responses.items())), "default": _problem("Error.")}
    return op


def _header_names(schema: Any) -> set[str]:
    """The header components ``schema`` refers to."""
    prefix = "#/components/headers/"
    if isinstance(schema, dict):
        found = set().union(*(_header_names(v) for v in schema.values())) if schema else set()
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix):
            found.add(ref[len(prefix) :])
        return found
    if isinstance(schema, list):
        return set().union(*(_header_names(v) for v in schema)) if schema else set()
    return set()


def build_openapi(
    endpoints: Iterable[tuple[str, Endpoint]],
    *,
    title: str,
    version: str,
    plugins: list[str],
    server: str = "/",
    responses: Mapping[tuple[str, str], Any] | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of an application's endpoints.

    ``server``: the API's base URL (``SOPORTE_PUBLIC_URL``; ``/``, relative to the document,
    when unset). ``responses``: by ``(method, path)``, the annotation to document for an
    endpoint whose answer depends on the app, such as the dashboard's keys (see
    :attr:`~core.api.routing.Endpoint.documented_response`).
    """
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, str] = {}
    for plugin, endpoint in endpoints:
        key = (endpoint.method, endpoint.openapi_path)
        annotation = (responses or {}).get(key, endpoint.response)
        paths.setdefault(endpoint.openapi_path, {})[endpoint.method.lower()] = _operation(
            endpoint, schemas, plugin, annotation
        )
        tag = endpoint.tag or plugin
        if endpoint.tag_description or tag not in tags:
            tags[tag] = tags.get(tag) or endpoint.tag_description
    used = _header_names(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": f"Enabled plugins: {', '.join(plugins) or 'none'}.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": server, "description": "This server."}],
        "tags": [
            {"name": tag, "description": text or f"Operations of `{tag}`."}
            for tag, text in sorted(tags.items())
        ],
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "headers": {name: h for name, h in HEADERS.items() if name in used},
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `POST /api/auth/token/`.",
                }
            },
        },
    }
