"""OpenAPI 3.1, generated from the route table and the same pydantic models that validate.

Nothing here is written by hand per endpoint: paths, parameters, bodies, responses and
security come from each :class:`~core.api.routing.Endpoint`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp.web import StreamResponse
from pydantic import TypeAdapter

from core.auth.models import Rol

if TYPE_CHECKING:
    from collections.abc import Iterable

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


class _Schemas:
    """Collects component schemas while endpoints are documented."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}

    def of(self, annotation: Any, mode: str) -> dict[str, Any]:
        schema = TypeAdapter(annotation).json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
        self.components.update(schema.pop("$defs", {}))
        title = schema.get("title")
        if schema.get("type") == "object" and title and "properties" in schema:
            self.components.setdefault(title, schema)
            return {"$ref": REF.format(model=title)}
        return schema


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}},
    }


def _operation(endpoint: Endpoint, schemas: _Schemas, plugin: str) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{plugin}.{endpoint.name}",
        "summary": endpoint.summary,
        "tags": [endpoint.tag or plugin],
        "x-plugin": plugin,
    }
    if endpoint.description and endpoint.description != endpoint.summary:
        op["description"] = endpoint.description
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
        props = endpoint.query.model_json_schema(ref_template=REF)
        schemas.components.update(props.pop("$defs", {}))
        for name, field in endpoint.query.model_fields.items():
            param = {
                "name": name,
                "in": "query",
                "required": field.is_required(),
                "schema": props["properties"][name],
            }
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
    if params:
        op["parameters"] = params

    if endpoint.body is not None:
        content: dict[str, Any] = {}
        if endpoint.json_body:
            content["application/json"] = {"schema": schemas.of(endpoint.body, "validation")}
        if endpoint.multipart:
            form = endpoint.body.model_json_schema(ref_template=REF)
            schemas.components.update(form.pop("$defs", {}))
            form["title"] = f"{form.get('title', 'Form')}Form"
            form.setdefault("properties", {})["archivo_N"] = {
                "type": "string",
                "format": "binary",
                "description": "Files: any number of parts archivo_0, archivo_1, …",
            }
            content["multipart/form-data"] = {"schema": form}
        op["requestBody"] = {"required": True, "content": content}
    elif endpoint.multipart:
        op["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": {"type": "string", "format": "binary"},
                    }
                }
            },
        }

    responses: dict[str, Any] = {}
    if endpoint.websocket:
        responses["101"] = {"description": "WebSocket upgrade; see the chat protocol."}
    elif endpoint.response in (None, type(None)):
        responses["204"] = {"description": "No content."}
    elif isinstance(endpoint.response, type) and issubclass(endpoint.response, StreamResponse):
        responses[str(endpoint.status)] = {
            "description": "A page or a file.",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    else:
        schema = schemas.of(endpoint.response, "serialization")
        responses[str(endpoint.status)] = {
            "description": "OK",
            "content": {"application/json": {"schema": schema}},
        }
    if endpoint.body is not None or endpoint.query is not None or endpoint.multipart:
        responses["400"] = _problem("Invalid input; every bad field is listed in `errors`.")
    if endpoint.auth != "public" and not endpoint.websocket:
        op["security"] = [{"bearerAuth": []}]
        responses["401"] = _problem("Missing, invalid or expired token.")
        if isinstance(endpoint.auth, Rol):
            responses["403"] = _problem(f"Requires role {endpoint.auth.value}.")
    if endpoint.path_params:
        responses["404"] = _problem("Unknown id, or not visible to the caller.")
    responses["default"] = _problem("Error.")
    op["responses"] = responses
    return op


def build_openapi(
    endpoints: Iterable[tuple[str, Endpoint]], *, title: str, version: str, plugins: list[str]
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of an application's endpoints."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for plugin, endpoint in endpoints:
        paths.setdefault(endpoint.openapi_path, {})[endpoint.method.lower()] = _operation(
            endpoint, schemas, plugin
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": f"Enabled plugins: {', '.join(plugins) or 'none'}.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
