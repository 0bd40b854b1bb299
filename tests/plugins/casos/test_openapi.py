"""The case endpoints are documented from the same models that validate them."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.plugins("casos")


async def test_rutas_y_esquemas_en_openapi(soporte):
    r = await soporte.get("/api/openapi.json")
    doc = await r.json()
    paths = doc["paths"]
    assert set(paths["/api/soporte/casos/"]) == {"get", "post"}
    assert set(paths["/api/soporte/casos/urgentes/"]) == {"get"}
    assert set(paths["/api/soporte/casos/{id}/"]) == {"get", "patch"}
    responder = paths["/api/soporte/casos/{id}/responder/"]["post"]
    assert {"application/json", "multipart/form-data"} <= set(responder["requestBody"]["content"])
    assert {"201", "403", "404", "409"} <= set(responder["responses"])
    crear = paths["/api/soporte/casos/"]["post"]
    assert "201" in crear["responses"]
    esquemas = doc["components"]["schemas"]
    assert set(esquemas["CasoIn"]["required"]) == {"tipo_caso", "urgencia", "titulo", "descripcion"}
    caso = esquemas["CasoOut"]["properties"]
    assert caso["fecha_creacion"]["type"] == "string"
    assert caso["fecha_creacion"]["format"] == "date-time"
    detalle = esquemas["CasoDetalle"]["properties"]
    assert {"respuestas", "tickets_relacionados", "transiciones", "agente_asignado"} <= set(detalle)
    assert set(esquemas["Urgencia"]["enum"]) == {"CRITICA", "ALTA", "MEDIA", "BAJA"}
    filtros = {p["name"] for p in paths["/api/soporte/casos/"]["get"]["parameters"]}
    assert {"tipo_caso", "urgencia", "estado", "page", "size"} <= filtros
