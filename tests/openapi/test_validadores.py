"""The served OpenAPI document passes both validators: ``openapi-spec-validator`` (the OpenAPI
3.1 schema) and ``@redocly/cli lint`` with its recommended rules (``redocly.yaml`` turns off one
style rule, with its reason). Both read the document of a real server with every installed
plugin, so a route added anywhere is checked without editing this module.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openapi_spec_validator import validate

if TYPE_CHECKING:
    from tests.openapi.conftest import Servidor

AQUI = Path(__file__).resolve().parent
REDOCLY = AQUI / "node_modules" / ".bin" / "redocly"


def test_openapi_spec_validator_accepts_the_document(documento: dict[str, Any]) -> None:
    """No error at all (it raises on the first): names, defaults, references, media types."""
    assert documento["openapi"] == "3.1.0"
    validate(documento)


def test_redocly_lint_with_the_recommended_rules_finds_nothing(
    documento: dict[str, Any], tmp_path: Path
) -> None:
    """No error and no warning (``make openapi-deps`` installs the pinned CLI)."""
    assert REDOCLY.exists(), "run `make openapi-deps` (scripts/guide-deps.sh tests/openapi)"
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(documento))
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
    hecho = subprocess.run(
        [str(REDOCLY), "lint", str(spec), "--config", str(AQUI / "redocly.yaml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    salida = hecho.stdout + hecho.stderr
    assert hecho.returncode == 0, salida
    assert "Woohoo! Your API description is valid." in salida, salida
    assert "warning" not in salida.lower().replace("deprecation warning", ""), salida


def test_the_document_has_what_integrators_asked_for(
    documento: dict[str, Any], servidor: Servidor
) -> None:
    """The details of issue 19 the validators do not all require."""
    assert documento["servers"] and documento["info"]["license"]["identifier"] == "Apache-2.0"
    tags = {t["name"]: t["description"] for t in documento["tags"]}
    usados = {t for ops in documento["paths"].values() for op in ops.values() for t in op["tags"]}
    assert usados <= set(tags) and all(tags.values())
    esquemas = documento["components"]["schemas"]
    assert "PageTicketEnLista" in esquemas  # Page[TicketEnLista]: a valid component name
    for principal in ("LoginIn", "TokenOut", "TicketIn", "TicketOut", "TicketDetalle", "FAQOut"):
        assert esquemas[principal]["examples"], principal  # checked against the schema by redocly
    titulos = [s["title"] for s in esquemas.values() if "title" in s]
    assert len(titulos) == len(set(titulos)), "two components share a title"
    # "Absent, never null": optional, no null default.
    patch = esquemas["TicketPatch"]["properties"]
    assert "default" not in patch["estado"] and "required" not in esquemas["TicketPatch"]
    for path, ops in documento["paths"].items():
        for metodo, op in ops.items():
            donde = f"{metodo.upper()} {path}"
            assert op["description"], donde
            assert "security" in op, donde
            for status, respuesta in op["responses"].items():
                assert "X-Request-Id" in respuesta.get("headers", {}) or status == "101", donde
                if status == "401":
                    assert "WWW-Authenticate" in respuesta["headers"], donde
                if status == "429":
                    assert "Retry-After" in respuesta["headers"], donde
    assert documento["paths"]["/healthz"]["get"]["security"] == []
    crear = documento["paths"]["/api/soporte/tickets/"]["post"]
    form = crear["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    archivos = esquemas[form.rsplit("/", 1)[1]]["properties"]["archivos"]
    assert archivos == {
        **archivos,
        "type": "array",
        "items": {"type": "string", "format": "binary"},
    }
    assert "Location" in crear["responses"]["201"]["headers"]
    descarga = documento["paths"]["/api/descargas/{token}/"]["get"]["responses"]["200"]
    assert set(descarga["content"]) == {"application/octet-stream"}
    ordering = next(
        p
        for p in documento["paths"]["/api/soporte/tickets/"]["get"]["parameters"]
        if p["name"] == "ordering"
    )
    assert (ordering["style"], ordering["explode"]) == ("form", True)
    stats = documento["paths"]["/api/soporte/dashboard/stats/"]["get"]["responses"]["200"]
    ref = stats["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    declarado = esquemas[ref]["properties"]
    assert declarado["tickets_abiertos"]["type"] == "integer"
    assert declarado["tiempo_promedio_respuesta"]["type"] == "number"
    assert {"casos_criticos", "tickets_escalados"} <= set(declarado)
    assert esquemas[ref]["additionalProperties"] == {"type": "number"}
