"""OpenAPI 3.1, generated from the route table and the same pydantic models that validate.

Nothing here is written by hand per endpoint: paths, parameters, bodies, responses and
security come from each :class:`~core.api.routing.Endpoint`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp.web import StreamResponse
from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from core.api.errors import TITLES
from core.auth.models import Rol
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import applies as applies_idempotency

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
        schema = TypeAdapter(annotation).json_schema(ref_template=REF, mode=mode)
        return self.inline(schema, as_component=True)

    def inline(self, schema: dict[str, Any], *, as_component: bool = False) -> dict[str, Any]:
        """Register ``schema``'s ``$defs`` (and, with ``as_component``, an object schema with a
        title) as components; returns it with references rewritten to the registered names."""
        defs = dict(schema.pop("$defs", {}))
        title = schema.get("title")
        top = as_component and schema.get("type") == "object" and "properties" in schema
        if top and isinstance(title, str) and title not in defs:
            defs[title] = schema
            return {"$ref": REF.format(model=self._register(defs).get(title, title))}
        renamed: dict[str, Any] = _renamed(schema, self._register(defs))  # a dict stays a dict
        return renamed

    def _register(self, defs: dict[str, Any]) -> dict[str, str]:
        """Add ``defs`` to the components, renaming those whose name another schema holds."""
        renames: dict[str, str] = {}
        for _ in range(len(defs) + 1):  # each pass settles at least one name
            final = {renames.get(n, n): _renamed(d, renames) for n, d in defs.items()}
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
                wanted = _renamed(defs[name], renames)
                i = 2
                while (twin := f"{name}{i}") in self.components and self.components[twin] != wanted:
                    i += 1
                renames[name] = twin
        raise RuntimeError(f"cannot name OpenAPI components {sorted(defs)}")  # pragma: no cover


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


def _renamed(schema: Any, renames: dict[str, str]) -> Any:
    """``schema`` with every ``$ref`` to a renamed component pointing at its new name."""
    if not renames:
        return schema
    if isinstance(schema, dict):
        out = {k: _renamed(v, renames) for k, v in schema.items()}
        ref = out.get("$ref")
        prefix = REF.format(model="")
        if isinstance(ref, str) and ref.startswith(prefix) and ref[len(prefix) :] in renames:
            out["$ref"] = REF.format(model=renames[ref[len(prefix) :]])
        return out
    if isinstance(schema, list):
        return [_renamed(v, renames) for v in schema]
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
        # The API-key scope the route needs (core.auth.claves); "sesion": keys refused.
        "x-scope": endpoint.scope,
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
        props = schemas.inline(endpoint.query.model_json_schema(ref_template=REF))
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

    if endpoint.body is not None:
        content: dict[str, Any] = {}
        if endpoint.json_body:
            content["application/json"] = {"schema": schemas.of(endpoint.body, "validation")}
        if endpoint.multipart:
            form = schemas.inline(endpoint.body.model_json_schema(ref_template=REF))
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
    has_body = endpoint.body is not None or endpoint.multipart
    if has_body or endpoint.query is not None:
        responses["400"] = _problem("Invalid input; every bad field is listed in `errors`.")
    if endpoint.auth == "integration":
        op["security"] = [{"bearerAuth": []}]
        responses["401"] = _problem("Missing or invalid integration token (no user token).")
    elif not endpoint.websocket and endpoint.auth != "public":
        op["security"] = [{"bearerAuth": []}]
        responses["401"] = _problem("Missing, invalid or expired token.")
        if isinstance(endpoint.auth, Rol):
            responses["403"] = _problem(f"Requires role {endpoint.auth.value}.")
    elif not endpoint.websocket:
        # A public endpoint needs no token, but a token that is sent must be valid.
        responses["401"] = _problem("An invalid or expired token was sent.")
    if endpoint.path_params:
        responses["404"] = _problem("Unknown id, or not visible to the caller.")
    if has_body:
        responses["413"] = _problem("Body or file too large, or too many files.")
        responses["415"] = _problem("Unsupported content type.")
    if applies_idempotency(endpoint):
        responses["409"] = _problem("The first request with this Idempotency-Key still runs.")
        responses["422"] = _problem("This Idempotency-Key was used for another request.")
    for status in endpoint.errors:
        responses.setdefault(str(status), _problem(TITLES.get(status, "Error") + "."))
    op["responses"] = {**dict(sorted(responses.items())), "default": _problem("Error.")}
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
