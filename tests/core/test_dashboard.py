"""``GET /api/soporte/dashboard/stats/``: agents only, fed by the plugins' ``dashboard_stats``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import BaseModel, Field

from core import hookimpl
from core.auth.models import Rol, Usuario

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SoporteClient

URL = "/api/soporte/dashboard/stats/"


class Contador:
    """A plugin contributing synchronously, and recording what it was asked."""

    name = "contador"

    def __init__(self) -> None:
        self.llamadas: list[tuple[str, datetime]] = []

    @hookimpl
    def dashboard_stats(self, usuario: Usuario, desde: datetime) -> dict[str, Any]:
        self.llamadas.append((usuario.username, desde))
        return {"tickets_abiertos": 3, "tiempo_promedio_respuesta": 1.5}


class Asincrono:
    """A plugin contributing through an ``async def`` implementation, using the database."""

    name = "asincrono"

    @hookimpl
    async def dashboard_stats(self, desde: datetime) -> dict[str, Any]:
        return {"usuarios": await Usuario.all().count(), "casos_criticos": 0}


class Silencioso:
    """A plugin with nothing to say."""

    name = "silencioso"

    @hookimpl
    def dashboard_stats(self) -> None:
        return None


@pytest.fixture
async def tablero(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> tuple[SoporteClient, Contador]:
    contador = Contador()
    return await arrancar(extra=[contador, Asincrono(), Silencioso()]), contador


async def test_hook_dashboard_stats_merges_every_plugin_over_http(
    tablero: tuple[SoporteClient, Contador],
) -> None:
    api, contador = tablero
    agente = await api.usuario("agente", Rol.AGENTE)
    antes = datetime.now(UTC)
    r = await api.get(URL, headers=api.auth(agente))
    assert r.status == 200, await r.text()
    assert await r.json() == {
        "tickets_abiertos": 3,
        "tiempo_promedio_respuesta": 1.5,
        "usuarios": 1,
        "casos_criticos": 0,
    }
    [(quien, desde)] = contador.llamadas
    assert quien == "agente"
    assert desde.tzinfo is not None
    assert abs(antes - timedelta(days=30) - desde) < timedelta(seconds=5)  # default: 30 days


async def test_dias_sets_the_period(tablero: tuple[SoporteClient, Contador]) -> None:
    api, contador = tablero
    admin = await api.usuario("admin", Rol.ADMIN)
    r = await api.get(f"{URL}?dias=7", headers=api.auth(admin))
    assert r.status == 200
    [(_, desde)] = contador.llamadas
    assert abs(datetime.now(UTC) - timedelta(days=7) - desde) < timedelta(seconds=5)
    r = await api.get(f"{URL}?dias=", headers=api.auth(admin))  # empty: the default
    assert r.status == 200
    assert abs(datetime.now(UTC) - timedelta(days=30) - contador.llamadas[1][1]) < timedelta(
        seconds=5
    )


@pytest.mark.parametrize("dias", ["0", "-1", "abc", "3651", "1.5"])
async def test_dias_is_validated(tablero: tuple[SoporteClient, Contador], dias: str) -> None:
    api, contador = tablero
    agente = await api.usuario("agente", Rol.AGENTE)
    r = await api.get(f"{URL}?dias={dias}", headers=api.auth(agente))
    assert r.status == 400
    assert list((await r.json())["errors"]) == ["dias"]
    assert contador.llamadas == []


async def test_only_agents_and_admins(tablero: tuple[SoporteClient, Contador]) -> None:
    api, contador = tablero
    cliente = await api.usuario("cliente", Rol.CLIENTE)
    r = await api.get(URL, headers=api.auth(cliente))
    assert r.status == 403 and r.content_type == "application/problem+json"
    r = await api.get(URL)
    assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert contador.llamadas == []


async def test_with_no_plugin_the_dashboard_is_empty(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(extra=[])
    agente = await api.usuario("agente", Rol.AGENTE)
    for path in (URL, URL.rstrip("/")):
        r = await api.get(path, headers=api.auth(agente))
        assert r.status == 200 and await r.json() == {}


class Declarado:
    """A plugin that declares its key's schema (hook ``dashboard_stats_schema``)."""

    name = "declarado"

    @hookimpl
    def dashboard_stats_schema(self) -> type[BaseModel]:
        class EstadisticasDeclaradas(BaseModel):
            usuarios_activos: int = Field(description="Active accounts.", examples=[7])

        return EstadisticasDeclaradas

    @hookimpl
    def dashboard_stats(self) -> dict[str, Any]:
        return {"usuarios_activos": 7}


async def test_hook_dashboard_stats_schema_types_the_keys_in_openapi(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    """A declared key is documented with its type and description; a plugin that declares
    nothing (``Asincrono``) still contributes, its keys documented as numbers."""
    api = await arrancar(extra=[Declarado(), Asincrono()])
    agente = await api.usuario("agente", Rol.AGENTE)
    r = await api.get(URL, headers=api.auth(agente))
    assert (await r.json())["usuarios_activos"] == 7
    assert "usuarios" in await r.json()  # undeclared, served all the same
    doc = await (await api.get("/api/openapi.json")).json()
    ok = doc["paths"][URL]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    esquema = doc["components"]["schemas"][ok["$ref"].rsplit("/", 1)[1]]
    assert esquema["properties"]["usuarios_activos"] == {
        "type": "integer",
        "title": "Usuarios Activos",
        "description": "Active accounts.",
        "examples": [7],
    }
    assert esquema["additionalProperties"] == {"type": "number"}
