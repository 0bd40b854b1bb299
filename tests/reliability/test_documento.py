"""The OpenAPI document describes each endpoint with *its own* models, whatever their names.

Plugins are written independently, so two of them may name a model alike (``ValorarIn`` in
tickets and in faq; ``Estado``, a ticket state and a health answer): the document must not
describe one endpoint with another's model. Each body, response and query parameter, fully
dereferenced in the served document, must equal the schema of the model the handler declares.
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any

from aiohttp.web import StreamResponse

from core import keys
from core.api.openapi import REF, model_schema

if TYPE_CHECKING:
    from core.testing import SoporteClient

_PREFIJO = REF.format(model="")


def resolver(schema: Any, componentes: dict[str, Any], profundidad: int = 0) -> Any:
    """``schema`` with every ``$ref`` replaced by what it names (recursively)."""
    assert profundidad < 50, "reference cycle"
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            assert ref.startswith(_PREFIJO), ref
            return resolver(componentes[ref[len(_PREFIJO) :]], componentes, profundidad + 1)
        return {k: resolver(v, componentes, profundidad) for k, v in schema.items()}
    if isinstance(schema, list):
        return [resolver(v, componentes, profundidad) for v in schema]
    return schema


def sin_titulos(schema: Any) -> Any:
    """``schema`` without ``title`` keywords: a component is titled by its (unique) name, so a
    renamed twin's title (``ValorarIn2``) is not the model's own."""
    if isinstance(schema, dict):
        return {
            k: (
                {n: sin_titulos(v) for n, v in valor.items()}
                if k == "properties"
                else sin_titulos(valor)
            )
            for k, valor in schema.items()
            if not (k == "title" and isinstance(valor, str))
        }
    if isinstance(schema, list):
        return [sin_titulos(v) for v in schema]
    return schema


def propio(annotation: Any, modo: str) -> Any:
    """The schema the document's generator gives ``annotation`` on its own, dereferenced."""
    schema = model_schema(annotation, modo)  # type: ignore[arg-type]  # a JsonSchemaMode
    return sin_titulos(resolver(schema, schema.pop("$defs", {})))


async def test_every_endpoint_is_documented_with_its_own_models(soporte: SoporteClient) -> None:
    documento = await (await soporte.get("/api/openapi.json")).json()
    componentes = documento["components"]["schemas"]
    revisados = 0
    for _plugin, e in soporte.app[keys.ENDPOINTS]:
        if e.websocket:
            continue
        operacion = documento["paths"][e.openapi_path][e.method.lower()]
        donde = f"{e.method} {e.openapi_path}"
        if e.body is not None and e.json_body:
            cuerpo = operacion["requestBody"]["content"]["application/json"]["schema"]
            assert sin_titulos(resolver(cuerpo, componentes)) == propio(e.body, "validation"), donde
            revisados += 1
        documentada = e.documented_response
        respuesta = documentada(soporte.app) if documentada else e.response
        es_archivo = isinstance(respuesta, type) and issubclass(respuesta, StreamResponse)
        if respuesta not in (None, type(None)) and not es_archivo:
            contenido = operacion["responses"][str(e.status)]["content"]["application/json"]
            assert sin_titulos(resolver(contenido["schema"], componentes)) == propio(
                respuesta, "serialization"
            ), donde
            revisados += 1
        if e.query is not None:
            propias = propio(e.query, "validation")["properties"]
            for parametro in operacion["parameters"]:
                if parametro["in"] == "query":
                    nombre = parametro["name"]
                    assert (
                        sin_titulos(resolver(parametro["schema"], componentes)) == propias[nombre]
                    ), (
                        donde,
                        nombre,
                    )
                    revisados += 1
    assert revisados > 50


async def test_same_named_models_of_different_plugins_get_distinct_components(
    soporte: SoporteClient,
) -> None:
    documento = await (await soporte.get("/api/openapi.json")).json()
    componentes = documento["components"]["schemas"]
    paths = documento["paths"]

    def cuerpo(path: str) -> dict[str, Any]:
        schema = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        return typing.cast("dict[str, Any]", resolver(schema, componentes))

    assert set(cuerpo("/api/soporte/faqs/{id}/valorar/")["properties"]) == {"es_util"}
    assert set(cuerpo("/api/soporte/tickets/{id}/valorar/")["properties"]) == {
        "puntuacion",
        "comentario",
    }
    salud = paths["/healthz"]["get"]["responses"]["200"]["content"]["application/json"]
    assert resolver(salud["schema"], componentes)["properties"] == {
        "status": {"title": "Status", "type": "string"}
    }
    assert componentes["Estado"]["enum"] == ["ABIERTO", "EN_PROGRESO", "RESUELTO", "CERRADO"]
