"""API conventions of docs/api.md "General rules": errors, validation, pagination, slashes, CORS,
health, OpenAPI and its page."""

from __future__ import annotations

import json
import logging
import re
import shutil
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from pydantic import BaseModel

from core import hookimpl, keys
from core.api import PUBLIC, Routes
from core.api.routing import Endpoint
from core.auth.models import Rol, Usuario
from tests.core.pruebas import Mensaje

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from aiohttp import ClientResponse

    from core.testing import SoporteClient

JSON = {"Content-Type": "application/json"}


async def problem(r: ClientResponse, status: int) -> dict[str, Any]:
    """The body of ``r``, checked to be an RFC 9457 problem with ``status``."""
    text = await r.text()
    assert r.status == status, text
    assert r.content_type == "application/problem+json", r.content_type
    body = json.loads(text)
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["request_id"] == r.headers["X-Request-Id"]
    return body


# --- every status of the contract, as problem+json -------------------------------------------

#: The error statuses docs/api.md "Errors" lists; each has a test named after it here.
CONTRACT_STATUSES = (400, 401, 403, 404, 405, 409, 413, 415, 429)


def test_every_contract_status_has_a_test_that_provokes_it() -> None:
    names = [n for n in globals() if n.startswith("test_")]
    for status in CONTRACT_STATUSES:
        assert any(re.match(rf"test_(\d+_)*{status}_", n) for n in names), status


async def test_400_malformed_json(api: SoporteClient) -> None:
    for raw in (b'{"nombre": ', b"\xff\xfe", b"[1, 2]", b'"texto"'):
        r = await api.post("/api/pruebas/eco/", data=raw, headers=JSON)
        await problem(r, 400)


async def test_400_lists_every_bad_field(api: SoporteClient) -> None:
    malo = {"nombre": "", "edad": -1, "color": "AZUL", "etiquetas": "no-es-lista"}
    body = await problem(await api.post("/api/pruebas/eco/", json=malo), 400)
    assert set(body["errors"]) == {"nombre", "edad", "color", "etiquetas"}
    assert all(
        isinstance(m, list) and m and all(isinstance(x, str) for x in m)
        for m in body["errors"].values()
    )
    body = await problem(await api.post("/api/pruebas/eco/", json={}), 400)
    assert body["errors"] == {
        "nombre": ["Es obligatorio indicar el nombre."],
        "edad": ["Es obligatorio indicar el campo «edad»."],
        "color": ["Es obligatorio indicar el color."],
    }


async def test_400_bad_query_parameters_are_each_listed(api: SoporteClient) -> None:
    r = await api.get("/api/pruebas/buscar/?estado=PERDIDO&minimo=-3")
    body = await problem(r, 400)
    assert set(body["errors"]) == {"estado", "minimo"}


async def test_400_numbers_beyond_64_bits_never_reach_the_database(api: SoporteClient) -> None:
    huge = "9" * 30
    body = await problem(await api.get(f"/api/pruebas/buscar/?minimo={huge}"), 400)
    assert list(body["errors"]) == ["minimo"]
    # In a path, such an id names nothing: a 404 (not a 500 from the driver).
    await problem(await api.get(f"/api/pruebas/usuarios/{huge}/"), 404)


async def test_a_valid_json_body_is_accepted(api: SoporteClient) -> None:
    ok = {"nombre": "Ana", "edad": 30, "color": "ROJO"}
    r = await api.post("/api/pruebas/eco/", json=ok)
    assert r.status == 201
    assert await r.json() == {**ok, "etiquetas": []}


async def test_401_403_404_409_as_problem_json(api: SoporteClient) -> None:
    r = await api.get("/api/pruebas/token/")
    await problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    cliente = await api.usuario("cli", Rol.CLIENTE)
    await problem(await api.get("/api/pruebas/agente/", headers=api.auth(cliente)), 403)
    await problem(await api.get("/api/pruebas/items/2/"), 404)
    await problem(await api.get("/api/pruebas/usuarios/12345/"), 404)  # DoesNotExist
    await problem(await api.get("/api/pruebas/items/abc/"), 404)  # {id:\d+}
    await problem(await api.get("/no/existe/"), 404)  # aiohttp's own
    body = await problem(await api.get("/api/pruebas/conflicto/"), 409)
    assert body["detail"] == "Transición de estado no permitida."


async def test_integration_endpoints_read_their_own_authorization(api: SoporteClient) -> None:
    """Access ``integration``: the auth middleware leaves ``Authorization`` to the handler (a
    credential that is no user token gets through) and resolves no user from it (a valid user
    token is just a wrong credential there)."""
    from tests.core.pruebas import CLAVE_INTEGRACION

    ruta = "/api/pruebas/integracion/"
    r = await api.post(ruta, headers={"Authorization": f"Bearer {CLAVE_INTEGRACION}"})
    assert r.status == 200 and (await r.json())["mensaje"] == "usuario=None"
    ana = await api.usuario("ana")
    for headers in ({}, api.auth(ana), {"Authorization": "Bearer null"}):
        r = await api.post(ruta, headers=headers)
        assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    # Elsewhere the same header is still refused as an unknown user token.
    r = await api.get(
        "/api/pruebas/token/", headers={"Authorization": f"Bearer {CLAVE_INTEGRACION}"}
    )
    assert r.status == 401


async def test_405_lists_the_allowed_methods(api: SoporteClient) -> None:
    r = await api.put("/api/pruebas/items/1/", json={})
    await problem(r, 405)
    assert {"GET", "DELETE"} <= set(r.headers["Allow"].split(","))
    r = await api.post("/api/pruebas/conflicto", json={})
    await problem(r, 405)
    assert "GET" in r.headers["Allow"]


async def test_413_json_body_over_one_mib(api: SoporteClient) -> None:
    grande = json.dumps({"nombre": "x" * (1024 * 1024 + 1), "edad": 1, "color": "ROJO"})
    r = await api.post("/api/pruebas/eco/", data=grande, headers=JSON)
    await problem(r, 413)


async def test_415_unsupported_media_type(api: SoporteClient) -> None:
    xml = "<eco><nombre>Ana</nombre></eco>"
    r = await api.post("/api/pruebas/eco/", data=xml, headers={"Content-Type": "application/xml"})
    body = await problem(r, 415)
    assert "application/json" in body["detail"]
    # A files-only endpoint does not take JSON either.
    await problem(await api.post("/api/pruebas/adjuntos/", json={}), 415)


async def test_415_json_sent_as_a_form_names_the_content_type(api: SoporteClient) -> None:
    """``curl -d '{…}'`` without ``-H 'Content-Type: application/json'`` sends the JSON as a
    form: a 415 saying so, not every field "missing" (the form parser's one field is the text)."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for ruta in ("/api/pruebas/formulario/", "/api/pruebas/eco/"):
        r = await api.post(ruta, data=b'{"titulo": "Hola"}', headers=form)
        body = await problem(r, 415)
        assert "application/json" in body["detail"], body
        assert "errors" not in body, body
    # No Content-Type at all (aiohttp would call it application/octet-stream): said so.
    for ruta in ("/api/pruebas/formulario/", "/api/pruebas/eco/"):
        r = await api.post(ruta, data=b'{"titulo": "Hola"}', skip_auto_headers=["Content-Type"])
        body = await problem(r, 415)
        assert body["detail"].startswith("Falta la cabecera Content-Type"), body
        assert "application/json" in body["detail"], body
    # A real form is still a form; and the same body with its content type is accepted.
    r = await api.post("/api/pruebas/formulario/", data=b"titulo=Hola", headers=form)
    assert r.status == 201, await r.text()
    r = await api.post("/api/pruebas/formulario/", data=b'{"titulo": "Hola"}', headers=JSON)
    assert r.status == 201, await r.text()


async def test_429_with_retry_after(arrancar: Callable[..., Awaitable[SoporteClient]]) -> None:
    api = await arrancar(login_max_failures=1)
    mala = {"username": "x", "password": "y"}
    await problem(await api.post("/api/auth/token/", json=mala), 401)
    r = await api.post("/api/auth/token/", json=mala)
    await problem(r, 429)
    assert int(r.headers["Retry-After"]) >= 1


async def test_500_reveals_nothing_but_the_request_id_which_is_logged(
    api: SoporteClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="soporte.api"):
        r = await api.get("/api/pruebas/fallo/")
    body = await problem(r, 500)
    text = json.dumps(body)
    assert "detalle-secreto" not in text and "Traceback" not in text
    assert "RuntimeError" not in text and "passwd" not in text
    request_id = body["request_id"]
    [record] = [rec for rec in caplog.records if request_id in rec.getMessage()]
    assert record.exc_info is not None and "detalle-secreto" in str(record.exc_info[1])


async def test_a_client_request_id_is_kept(api: SoporteClient) -> None:
    r = await api.get("/api/pruebas/conflicto/", headers={"X-Request-Id": "abc-123"})
    assert (await r.json())["request_id"] == "abc-123" == r.headers["X-Request-Id"]
    # Too long (or with any character outside [A-Za-z0-9._:-]): replaced, never truncated.
    r = await api.get("/healthz", headers={"X-Request-Id": "z" * 100})
    assert len(r.headers["X-Request-Id"]) == 32
    assert "z" * 32 not in r.headers["X-Request-Id"]


@pytest.mark.parametrize(
    "payload",
    [
        b"null",
        b"{}",
        b'{"nombre": {"a": 1}, "edad": [1], "color": null}',
        b'{"nombre": "\\ud800", "edad": 1e400, "color": "ROJO"}',
        b'{"edad": 99999999999999999999999999999, "nombre": "a", "color": "ROJO"}',
        b'{"nombre": "a", "edad": true, "color": "ROJO", "etiquetas": [null]}',
        b"\x00\x01",
        b'{"a": ' * 5000,
    ],
)
async def test_no_input_produces_a_500(api: SoporteClient, payload: bytes) -> None:
    r = await api.post("/api/pruebas/eco/", data=payload, headers=JSON)
    assert 400 <= r.status < 500, (r.status, await r.text())
    assert r.content_type == "application/problem+json"


async def test_created_answers_may_set_location(api: SoporteClient) -> None:
    r = await api.post("/api/pruebas/items/", json={})
    assert r.status == 201 and r.headers["Location"] == "/api/pruebas/items/1/"
    r = await api.delete("/api/pruebas/items/1/")
    assert r.status == 204 and await r.read() == b""


# --- query strings ---------------------------------------------------------------------------


async def test_empty_query_values_mean_no_filter(api: SoporteClient) -> None:
    r = await api.get("/api/pruebas/buscar/?estado=&minimo=&etiqueta=")
    assert r.status == 200, await r.text()
    assert await r.json() == {"estado": None, "minimo": None, "etiqueta": [], "prioridad": None}


async def test_query_values_are_validated_and_lists_repeat(api: SoporteClient) -> None:
    r = await api.get("/api/pruebas/buscar/?estado=CERRADO&minimo=3&etiqueta=a&etiqueta=b")
    assert await r.json() == {
        "estado": "CERRADO",
        "minimo": 3,
        "etiqueta": ["a", "b"],
        "prioridad": None,
    }
    # An optional list (``list[X] | None``) repeats too, and one value is a list of one.
    r = await api.get("/api/pruebas/buscar/?prioridad=ALTA&prioridad=BAJA")
    assert (await r.json())["prioridad"] == ["ALTA", "BAJA"]
    r = await api.get("/api/pruebas/buscar/?prioridad=ALTA&prioridad=")
    assert (await r.json())["prioridad"] == ["ALTA"]
    body = await problem(await api.get("/api/pruebas/buscar/?prioridad=MEDIA"), 400)
    assert list(body["errors"]) == ["prioridad.0"]


async def test_400_unknown_query_parameters_are_named_with_the_allowed_ones(
    api: SoporteClient,
) -> None:
    """``page_size=50`` used to read as the default size and was copied into ``next``."""
    await crear_usuarios(3)
    body = await problem(await api.get("/api/pruebas/usuarios/?page_size=50&rol=CLIENTE"), 400)
    assert list(body["errors"]) == ["page_size"], body
    assert "page_size" in body["detail"]
    for permitido in ("page", "size", "rol"):
        assert permitido in body["detail"], body
    body = await problem(await api.get("/api/pruebas/buscar/?estados=ABIERTO&x=&minimo=1"), 400)
    assert sorted(body["errors"]) == ["estados", "x"], body
    # Every parameter the model reads is still accepted, empty or not.
    r = await api.get("/api/pruebas/usuarios/?page=1&size=2&rol=")
    assert r.status == 200, await r.text()
    assert "page_size" not in (await r.json())["next"]


async def test_a_get_with_json_content_type_and_no_body_is_an_ordinary_get(
    api: SoporteClient,
) -> None:
    r = await api.get("/api/pruebas/buscar/?estado=ABIERTO", headers=JSON)
    assert r.status == 200 and (await r.json())["estado"] == "ABIERTO"
    ana = await api.usuario("ana")
    r = await api.get("/api/auth/yo/", headers=api.auth(ana))  # the guide's headers
    assert r.status == 200


# --- pagination ------------------------------------------------------------------------------


async def crear_usuarios(n: int, rol: Rol = Rol.CLIENTE, prefijo: str = "u") -> None:
    await Usuario.bulk_create(
        [Usuario(username=f"{prefijo}{i:03}", password_hash="x", rol=rol) for i in range(n)]
    )


async def test_pagination_defaults_and_absolute_links(api: SoporteClient) -> None:
    await crear_usuarios(25)
    r = await api.get("/api/pruebas/usuarios/")
    body = await r.json()
    assert body["count"] == 25
    assert [u["username"] for u in body["results"]] == [f"u{i:03}" for i in range(10)]
    assert body["previous"] is None
    origin = f"http://{api.server.host}:{api.server.port}"
    assert body["next"] == f"{origin}/api/pruebas/usuarios/?page=2&size=10"
    r = await api.get(body["next"].removeprefix(origin))
    body = await r.json()
    assert [u["username"] for u in body["results"]] == [f"u{i:03}" for i in range(10, 20)]
    assert body["previous"] == f"{origin}/api/pruebas/usuarios/?page=1&size=10"
    r = await api.get("/api/pruebas/usuarios/?page=3")
    body = await r.json()
    assert len(body["results"]) == 5 and body["next"] is None
    assert body["previous"].endswith("page=2&size=10")


async def test_pagination_keeps_filters_in_links(api: SoporteClient) -> None:
    await crear_usuarios(3, Rol.AGENTE, "a")
    await crear_usuarios(5, Rol.CLIENTE, "c")
    r = await api.get("/api/pruebas/usuarios/?rol=CLIENTE&size=2&page=2")
    body = await r.json()
    assert body["count"] == 5
    assert [u["username"] for u in body["results"]] == ["c002", "c003"]
    assert "rol=CLIENTE" in body["next"] and "page=3" in body["next"]
    assert "rol=CLIENTE" in body["previous"] and "page=1" in body["previous"]


async def test_pagination_size_limits(api: SoporteClient) -> None:
    await crear_usuarios(120)
    r = await api.get("/api/pruebas/usuarios/?size=100")
    assert len((await r.json())["results"]) == 100
    for bad in ("size=101", "size=0", "page=0", "page=-1", "size=abc", "page=x"):
        body = await problem(await api.get(f"/api/pruebas/usuarios/?{bad}"), 400)
        assert bad.split("=")[0] in body["errors"], bad
    r = await api.get("/api/pruebas/usuarios/?page=&size=")
    body = await r.json()
    assert len(body["results"]) == 10  # empty values: defaults


async def test_a_page_past_the_end_is_empty_with_the_true_count(api: SoporteClient) -> None:
    await crear_usuarios(15)
    r = await api.get("/api/pruebas/usuarios/?page=9")
    body = await r.json()
    assert r.status == 200
    assert body["count"] == 15 and body["results"] == [] and body["next"] is None
    assert body["previous"].endswith("page=2&size=10")  # the last page that has results
    r = await api.get("/api/pruebas/usuarios/?rol=ADMIN")
    assert await r.json() == {"count": 0, "next": None, "previous": None, "results": []}


async def test_pagination_links_use_the_public_url(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(public_url="https://soporte.example.com/mesa/")
    await crear_usuarios(11)
    body = await (await api.get("/api/pruebas/usuarios/")).json()
    assert body["next"] == "https://soporte.example.com/mesa/api/pruebas/usuarios/?page=2&size=10"


# --- trailing slashes ------------------------------------------------------------------------


def test_every_route_answers_with_and_without_its_trailing_slash(
    make_app: Callable[..., web.Application],
) -> None:
    from tests.core.pruebas import Pruebas

    app = make_app(plugins=[], extra=[Pruebas()])
    app.freeze()
    for _, endpoint in app[keys.ENDPOINTS]:
        path = re.sub(r"\{(\w+)(:[^}]*)?\}", "1", endpoint.path)
        for form in {path, path.rstrip("/"), path.rstrip("/") + "/"}:
            request = make_mocked_request(endpoint.method, form, app=app)
            match = _resolve(app, request)
            assert match.http_exception is None, (endpoint.method, form)


def _resolve(app: web.Application, request: web.Request) -> Any:
    import asyncio

    return asyncio.run(app.router.resolve(request))


async def test_both_forms_answer_over_http(api: SoporteClient) -> None:
    for path in ("/healthz", "/healthz/", "/api/openapi.json", "/api/openapi.json/"):
        assert (await api.get(path)).status == 200, path
    for path in ("/api/pruebas/eco", "/api/pruebas/eco/"):
        r = await api.post(path, json={"nombre": "a", "edad": 1, "color": "VERDE"})
        assert r.status == 201, path


# --- CORS ------------------------------------------------------------------------------------

PREFLIGHT = {
    "Origin": "http://frontend.test",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


async def test_cors_preflight_from_an_allowed_origin(api: SoporteClient) -> None:
    for path in ("/api/pruebas/eco/", "/api/pruebas/eco", "/api/auth/token/"):
        r = await api.options(path, headers=PREFLIGHT)
        assert r.status == 200, (path, await r.text())
        assert r.headers["Access-Control-Allow-Origin"] == "http://frontend.test"
        allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "content-type"} <= allowed
        assert "POST" in r.headers["Access-Control-Allow-Methods"]
    headers = {**PREFLIGHT, "Access-Control-Request-Method": "GET"}
    r = await api.options("/api/pruebas/items/1", headers=headers)
    assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == "http://frontend.test"


async def test_cors_disallowed_origin_gets_no_allow_origin(api: SoporteClient) -> None:
    r = await api.options("/api/pruebas/eco/", headers={**PREFLIGHT, "Origin": "http://malo.test"})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = await api.get("/healthz", headers={"Origin": "http://malo.test"})
    assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers


async def test_cors_actual_requests_and_errors_carry_the_headers(api: SoporteClient) -> None:
    origin = {"Origin": "http://frontend.test", **JSON}
    r = await api.get("/api/pruebas/buscar/", headers=origin)
    assert r.status == 200
    assert r.headers["Access-Control-Allow-Origin"] == "http://frontend.test"
    # The browser must be able to read error answers (and their Retry-After / Location).
    r = await api.get("/api/auth/yo/", headers={**origin, "Authorization": "Bearer null"})
    assert r.status == 401
    assert r.headers["Access-Control-Allow-Origin"] == "http://frontend.test"
    exposed = r.headers["Access-Control-Expose-Headers"].lower()
    assert "retry-after" in exposed and "location" in exposed


async def test_cors_preflight_is_not_challenged_for_a_token(api: SoporteClient) -> None:
    r = await api.options(
        "/api/pruebas/token/",
        headers={**PREFLIGHT, "Access-Control-Request-Method": "GET", "Authorization": "x"},
    )
    assert r.status == 200


async def test_without_configured_origins_there_is_no_cors(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(cors_origins=[])
    r = await api.get("/healthz", headers={"Origin": "http://frontend.test"})
    assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers


# --- health ----------------------------------------------------------------------------------


async def test_healthz_and_readyz(api: SoporteClient) -> None:
    r = await api.get("/healthz")
    assert r.status == 200 and await r.json() == {"status": "ok"}
    r = await api.get("/readyz")
    assert r.status == 200 and await r.json() == {"status": "ok"}


async def test_readyz_is_503_when_the_database_does_not_answer(
    arrancar: Callable[..., Awaitable[SoporteClient]], tmp_path: Path
) -> None:
    api = await arrancar(database_url=f"sqlite://{tmp_path}/datos/soporte.db")
    assert (await api.get("/readyz")).status == 200
    # The database file goes away (a lost volume): the next connection cannot be opened.
    await api.app[keys.DB].ctx.close_connections()
    shutil.rmtree(tmp_path / "datos")
    body = await problem(await api.get("/readyz"), 503)
    assert "base de datos" in body["detail"]
    assert (await api.get("/healthz")).status == 200  # the process itself is fine


# --- OpenAPI ---------------------------------------------------------------------------------

API_PREFIXES = ("/api/", "/ws/", "/healthz", "/readyz")


class Cuerpo(BaseModel):
    """A body for the undocumented-route check."""

    x: int


def openapi_problems(app: web.Application, spec: dict[str, Any]) -> list[str]:
    """Every way in which ``spec`` fails to describe ``app``'s API routes (empty: all good).

    Each API route (pages and static files aside) must have an operation with a response
    schema; each endpoint that declares a body or a query model must have it documented;
    each handler must annotate its return type.
    """
    found: list[str] = []
    endpoints = {(e.method, e.openapi_path.rstrip("/")): e for _, e in app[keys.ENDPOINTS]}
    paths = {p.rstrip("/"): ops for p, ops in spec["paths"].items()}
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method in ("HEAD", "OPTIONS", "*") or not path.startswith(API_PREFIXES):
            continue
        key = (route.method, re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", path).rstrip("/"))
        op = paths.get(key[1], {}).get(route.method.lower())
        if op is None:
            found.append(f"{route.method} {path}: no operation")
            continue
        responses = op.get("responses", {})
        ok = [s for s in responses if s.startswith("2") or s == "101"]
        if not ok:
            found.append(f"{route.method} {path}: no success response")
        for status in ok:
            if status in ("204", "101"):
                continue
            content = responses[status].get("content", {})
            if not content or not all("schema" in c for c in content.values()):
                found.append(f"{route.method} {path}: response {status} has no schema")
        endpoint = endpoints.get(key)
        if endpoint is None:
            found.append(f"{route.method} {path}: not declared through Routes")
            continue
        if not endpoint.websocket and "return" not in _hints(endpoint):
            found.append(f"{route.method} {path}: handler has no return annotation")
        if endpoint.body is not None:
            content = op.get("requestBody", {}).get("content", {})
            if not content or not all("schema" in c for c in content.values()):
                found.append(f"{route.method} {path}: body without schema")
        if endpoint.query is not None:
            documented = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            missing = set(endpoint.query.model_fields) - documented
            if missing:
                found.append(f"{route.method} {path}: query parameters {missing} undocumented")
            if not all("schema" in p for p in op.get("parameters", [])):
                found.append(f"{route.method} {path}: a parameter has no schema")
    return found


def _hints(endpoint: Endpoint) -> dict[str, Any]:
    import typing

    return typing.get_type_hints(endpoint.handler)


async def test_openapi_is_3_1_and_documents_every_route_of_every_installed_plugin(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(plugins=None)  # every installed plugin, plus the ad-hoc one
    r = await api.get("/api/openapi.json")
    assert r.status == 200
    spec = await r.json()
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert openapi_problems(api.app, spec) == []
    # Every plugin that contributed endpoints is documented, under its own name.
    documented = {op["x-plugin"] for ops in spec["paths"].values() for op in ops.values()}
    assert documented == {plugin for plugin, _ in api.app[keys.ENDPOINTS]}
    assert {"core", "pruebas"} <= documented


async def test_openapi_details_of_the_ad_hoc_plugin(api: SoporteClient) -> None:
    spec = await (await api.get("/api/openapi.json")).json()
    eco = spec["paths"]["/api/pruebas/eco/"]["post"]
    ref = eco["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(schema["properties"]) == {"nombre", "edad", "color", "etiquetas"}
    assert set(schema["required"]) == {"nombre", "edad", "color"}
    assert "201" in eco["responses"] and "400" in eco["responses"]
    item = spec["paths"]["/api/pruebas/items/{id}/"]["get"]
    assert item["parameters"][0] == {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    }
    usuarios = spec["paths"]["/api/pruebas/usuarios/"]["get"]
    names = {p["name"] for p in usuarios["parameters"]}
    assert names == {"page", "size", "rol"}
    page = usuarios["responses"]["200"]["content"]["application/json"]["schema"]
    assert page  # a Page[...] schema
    agente = spec["paths"]["/api/pruebas/agente/"]["get"]
    assert agente["security"] == [{"bearerAuth": []}]
    assert {"401", "403"} <= set(agente["responses"])
    assert spec["paths"]["/api/pruebas/conflicto/"]["get"]["security"] == []  # public
    assert "delete" in spec["paths"]["/api/pruebas/items/{id}/"]
    assert spec["paths"]["/api/pruebas/items/{id}/"]["delete"]["responses"]["204"]
    multipart = spec["paths"]["/api/pruebas/formulario/"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(multipart)


async def test_openapi_check_catches_undocumented_routes(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    """The checker above must be able to fail: a route added behind the core's back, and a
    handler without a return annotation, are both reported."""
    malas = Routes(tag="malo")

    @malas.post("/api/malo/sin-respuesta/", auth=PUBLIC)
    async def sin_respuesta(request: web.Request, body: Cuerpo):  # no return annotation: on purpose
        """Forgot its return annotation."""
        return None

    async def a_mano(request: web.Request) -> web.Response:
        return web.json_response({})

    class Malo:
        name = "malo"

        @hookimpl
        def register_routes(self, app: web.Application) -> Routes:
            app.router.add_get("/api/malo/a-mano/", a_mano)  # against the rules
            return malas

    api = await arrancar(extra=[Malo()])
    spec = await (await api.get("/api/openapi.json")).json()
    found = openapi_problems(api.app, spec)
    assert any("GET /api/malo/a-mano/: no operation" in f for f in found), found
    assert any("/api/malo/sin-respuesta/: handler has no return annotation" in f for f in found)


# --- the docs page ---------------------------------------------------------------------------


async def test_api_docs_page_renders_and_escapes(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    traviesas = Routes(tag="travieso")

    @traviesas.get("/api/travieso/", auth=PUBLIC)
    async def travieso(request: web.Request) -> Mensaje:
        """<script>alert('x')</script> resumen"""
        return Mensaje(mensaje="x")

    class Travieso:
        name = "travieso"

        @hookimpl
        def register_routes(self, app: web.Application) -> Routes:
            return traviesas

    api = await arrancar(extra=[Travieso()])
    for path in ("/api/docs/", "/api/docs"):
        r = await api.get(path)
        assert r.status == 200 and r.content_type == "text/html", path
    html = await r.text()
    assert "/api/travieso/" in html and "/api/auth/token/" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
