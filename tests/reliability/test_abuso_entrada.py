"""Abusive input on every endpoint: login brute force, huge and deeply nested JSON, giant
query values, NUL characters, absurd ids and headers. Each is refused with the contract's
status (429, 413, 400, 404, 401) — never a 500 — and nothing is stored.

The body and query cases are generated from the route table, so a new endpoint is covered
the day it is declared.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from core import keys
from core.auth.models import Rol, Token
from core.testing import TEST_PASSWORD, token_of
from tests.reliability.ayudas import archivos, media_de, todas_las_filas

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.api.routing import Endpoint
    from core.auth.models import Usuario
    from core.testing import SoporteClient

_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def concreta(endpoint: Endpoint) -> str:
    """The endpoint's path with every parameter set to ``1``."""
    return _PARAM.sub("1", endpoint.path)


def endpoints(soporte: SoporteClient, que: str) -> list[Endpoint]:
    """The app's REST endpoints that take a JSON body (``json``), form data (``multipart``) or a
    query model (``query``)."""
    todos = [e for _, e in soporte.app[keys.ENDPOINTS] if not e.websocket]
    if que == "json":
        return [e for e in todos if e.body is not None and e.json_body]
    if que == "multipart":
        return [e for e in todos if e.multipart]
    return [e for e in todos if e.query is not None]


async def admin(soporte: SoporteClient) -> Usuario:
    """An admin: passes every role guard, so the answers are about the input."""
    return await soporte.usuario("jefa", Rol.ADMIN)


# --- login brute force -----------------------------------------------------------------------


async def test_login_brute_force_is_throttled_even_for_the_right_password(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    soporte = await start_app(login_max_failures=5, login_window_seconds=300)
    await soporte.usuario("ana")
    await soporte.usuario("beto")
    tokens = await Token.all().count()

    async def login(username: str, password: str, **headers: str) -> Any:
        body = {"username": username, "password": password}
        return await soporte.post("/api/auth/token/", json=body, headers=headers)

    for i in range(5):
        r = await login("ana", f"adivina{i}")
        assert r.status == 401
    r = await login("ana", "otra-vez")
    assert r.status == 429
    espera = int(r.headers["Retry-After"])
    assert 1 <= espera <= 301
    assert (await r.json())["status"] == 429
    # Throttled: the right password is refused too, however it is dressed up.
    for username, headers in (
        ("ana", {}),
        ("ANA", {}),
        ("Ana", {"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"}),
    ):
        r = await login(username, TEST_PASSWORD, **headers)
        assert r.status == 429, username
        assert "Retry-After" in r.headers
    for i in range(30):
        assert (await login("ana", f"x{i}")).status == 429
    assert await Token.all().count() == tokens  # no token issued while throttled
    # The throttle is per username: someone else can still log in from the same address.
    assert (await login("beto", TEST_PASSWORD)).status == 200


# --- bodies ----------------------------------------------------------------------------------


async def test_every_json_body_over_one_mib_is_413_and_stores_nothing(
    soporte: SoporteClient,
) -> None:
    jefa = await admin(soporte)
    relleno = "x" * (1024 * 1024 + 1)
    cuerpo = json.dumps({"asunto": relleno, "pregunta": relleno, "username": relleno})
    antes = await todas_las_filas(soporte)
    probados = endpoints(soporte, "json")
    assert len(probados) >= 10
    for e in probados:
        r = await soporte.request(e.method, concreta(e), data=cuerpo, headers=soporte.auth(jefa))
        assert r.status == 413, (e.method, e.path, r.status)
        assert r.content_type == "application/problem+json"
    assert await todas_las_filas(soporte) == antes


async def test_a_form_field_over_one_mib_is_413_and_stores_nothing(soporte: SoporteClient) -> None:
    jefa = await admin(soporte)
    antes = await todas_las_filas(soporte)
    for e in endpoints(soporte, "multipart"):
        campos = {"mensaje": "x" * (1024 * 1024 + 10), "asunto": "y", "descripcion": "z"}
        headers = {"Authorization": f"Bearer {token_of(jefa)}"}
        fd = aiohttp.FormData()
        for nombre, valor in campos.items():
            fd.add_field(nombre, valor)
        fd.add_field("archivo_0", b"datos", filename="a.txt")  # forces multipart/form-data
        r = await soporte.request(e.method, concreta(e), data=fd, headers=headers)
        assert r.status == 413, (e.path, r.status, await r.text())
    assert await todas_las_filas(soporte) == antes
    assert archivos(media_de(soporte)) == []


def anidado(profundidad: int) -> str:
    """``[[[…]]]`` nested ``profundidad`` times."""
    return "[" * profundidad + "]" * profundidad


@pytest.mark.parametrize("profundidad", [100_000, 900])
async def test_deeply_nested_json_is_400_on_every_endpoint(
    soporte: SoporteClient, profundidad: int
) -> None:
    """Deeper than the parser's stack, and just under it (parsed, then refused by the
    models): a 400 for every JSON endpoint, as the whole body and in its fields (every field,
    for the shallower one), and nothing stored."""
    jefa = await admin(soporte)
    antes = await todas_las_filas(soporte)
    valor = anidado(profundidad)
    for e in endpoints(soporte, "json"):
        assert e.body is not None
        campos = list(e.body.model_fields)
        if profundidad > 1000:
            campos = campos[:1]  # keeps the body under the 1 MiB limit
        cuerpos = [valor, "{" + ", ".join(f'"{c}": {valor}' for c in campos) + "}"]
        for cuerpo in cuerpos:
            r = await soporte.request(
                e.method, concreta(e), data=cuerpo, headers=soporte.auth(jefa)
            )
            assert r.status == 400, (e.method, e.path, r.status, await r.text())
    assert await todas_las_filas(soporte) == antes


async def test_nul_characters_are_400_everywhere(soporte: SoporteClient) -> None:
    """PostgreSQL text cannot hold NUL: every database refuses it alike, as a 400."""
    ana = await soporte.usuario("ana")
    jefa = await admin(soporte)
    antes = await todas_las_filas(soporte)
    casos = [
        (
            ana,
            "/api/soporte/tickets/",
            {"asunto": "a\x00b", "categoria": "PAGOS", "descripcion": "d"},
        ),
        (
            ana,
            "/api/soporte/tickets/",
            {"asunto": "a", "categoria": "PAGOS", "descripcion": "\x00"},
        ),
        (
            ana,
            "/api/soporte/casos/",
            {"tipo_caso": "RECLAMO", "urgencia": "ALTA", "titulo": "t\x00", "descripcion": "d"},
        ),
        (jefa, "/api/soporte/faqs/", {"pregunta": "p\x00", "respuesta": "r", "categoria": "c"}),
        (None, "/api/auth/token/", {"username": "ana\x00", "password": "x"}),
        (
            None,
            "/api/auth/registro/",
            {"username": "nuevo", "password": "clave-larga\x00", "nombre": "N"},
        ),
    ]
    for usuario, ruta, cuerpo in casos:
        headers = soporte.auth(usuario) if usuario else {}
        r = await soporte.post(ruta, json=cuerpo, headers=headers)
        assert r.status == 400, (ruta, cuerpo, await r.text())
        errores = (await r.json())["errors"]
        assert any("NUL" in m for mensajes in errores.values() for m in mensajes), errores
    for ruta in ("/api/soporte/mis-tickets/?q=a%00b", "/api/soporte/faqs/?q=a%00b"):
        r = await soporte.get(ruta, headers=soporte.auth(ana))
        assert r.status == 400, ruta
    assert await todas_las_filas(soporte) == antes


# --- query strings, paths, headers -----------------------------------------------------------


#: Hostile values for every query parameter of every list (none is valid for any of them).
HOSTILES = ["9" * 40, "-1", "0", "1e309", "NaN", "x" * 5000, "\x01\x02", "9999-99-99"]


async def test_hostile_query_values_are_400_on_every_list(soporte: SoporteClient) -> None:
    jefa = await admin(soporte)
    for e in endpoints(soporte, "query"):
        assert e.query is not None
        for campo in e.query.model_fields:
            for valor in HOSTILES:
                # By the endpoint's own method: a POST with a query (an export's signed-link
                # request) validates it the same way.
                r = await soporte.request(
                    e.method, concreta(e), params={campo: valor}, headers=soporte.auth(jefa)
                )
                if r.status == 200:
                    assert aceptable(campo, valor), (e.path, campo, valor[:20])
                    continue
                assert r.status == 400, (e.path, campo, valor[:20], r.status)
                errores = (await r.json())["errors"]
                assert campo in errores, (e.path, campo, errores)


#: Free-text parameters (a search, a FAQ category, a policy name, an outbox channel, a tag name):
#: any short text is a valid value, simply matching nothing. Every other parameter is an enum, a
#: number or a date.
TEXTO = {"q", "categoria", "politica", "canal", "etiqueta"}


def aceptable(campo: str, valor: str) -> bool:
    """Whether a 200 is right for ``campo=valor``."""
    if campo in TEXTO:
        return len(valor) <= 100
    # ``0`` is a level, "false" for the yes/no filters, and "every row" for a dashboard table.
    return valor == "0" and campo in {
        "filas",
        "nivel_escalamiento",
        "activa",
        "activas",
        "activo",
        "no_leidas",
    }


async def test_giant_request_lines_and_headers_are_400(soporte: SoporteClient) -> None:
    """Beyond aiohttp's 8 KiB line limit the parser refuses the request itself (400)."""
    ana = await soporte.usuario("ana")
    for ruta in (
        "/api/soporte/mis-tickets/?q=" + "a" * 100_000,
        "/api/soporte/faqs/?page=" + "9" * 20_000,
    ):
        r = await soporte.get(ruta, headers=soporte.auth(ana))
        assert r.status == 400, ruta[:40]
    r = await soporte.get("/api/auth/yo/", headers={"Authorization": "Bearer " + "a" * 20_000})
    assert r.status == 400
    # Within the limit, an absurd token is just a bad token.
    r = await soporte.get("/api/auth/yo/", headers={"Authorization": "Bearer " + "a" * 4_000})
    assert r.status == 401
    assert (await soporte.get("/healthz")).status == 200


async def test_absurd_ids_in_paths_are_404(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    for id_ in ("9" * 30, str(2**63), str(2**31), "0", "00001", "1" + "0" * 400):
        for ruta in (
            f"/api/soporte/tickets/{id_}/",
            f"/api/soporte/casos/{id_}/",
            f"/api/soporte/faqs/{id_}/",
        ):
            r = await soporte.get(ruta, headers=soporte.auth(ana))
            assert r.status == 404, (ruta[:50], r.status)
    for ruta in (
        "/api/soporte/tickets/-1/",
        "/api/soporte/tickets/1.5/",
        "/api/soporte/tickets/%00/",
    ):
        assert (await soporte.get(ruta, headers=soporte.auth(ana))).status == 404, ruta
