"""Schema fuzzing: schemathesis against ``/api/openapi.json`` of a real ``soporte run``.

Every operation of the document (all plugins enabled) is called with generated valid and
invalid data, as a customer, as an agent and as an admin, and every answer must be no server
error, carry a status the document lists for that operation, and match the documented schema
and content type. The document is made strict first: its catch-all ``default`` response is
dropped, so an undocumented status fails instead of hiding behind it.

Generated invalid data (schemathesis' negative mode) is sent too, and must get a documented
answer; the ``negative_data_rejection`` check (every schema-invalid request refused) is not
applied, because the API is lenient on purpose where the contract says so: an empty query value
means "no filter" (the guide sends ``estado=``), form fields arrive as strings, and pydantic's
lax mode reads ``0`` as ``false``.

Bounded: at most :data:`EJEMPLOS` generated cases per operation and role (plus schemathesis'
few coverage cases), no deadline per case (two shared cores), no example database on disk.

Left out, and why:

- ``GET /ws/soporte/ticket/{id}/``: a WebSocket; an HTTP fuzzer cannot speak its protocol (the
  document lists only the ``101`` upgrade). ``test_abuso_ws.py`` covers its abuse.

Special cases: log-in, sign-up and log-out do not depend on the caller and are slow on purpose
(argon2), so they are fuzzed once, as the customer; each log-out call gets a fresh token, so
that revoking it does not leave the rest of the run without credentials. The download route is
fuzzed with random tokens (all refused: ``403``); real links are covered by
``test_abuso_adjuntos.py``. A generated query string longer than aiohttp's request-line limit
is refused by the HTTP parser itself, before the app, with a plain-text 400: for those cases
only that 400 is asserted.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.api.system import openapi_document
from core.app import create_app
from core.settings import Settings
from core.testing import fresh_database
from tests.reliability.servidor import Servidor, get_json

if TYPE_CHECKING:
    from collections.abc import Iterator

# The inbound-mail endpoint's raw body (``message/rfc822``, a binary string in the document) is
# sent as the bytes generated for it, as any raw body.
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")

#: Generated cases per operation and role.
EJEMPLOS = 25
#: The fuzzing identities: username → role.
USUARIOS = {"cliente": "CLIENTE", "agente": "AGENTE", "admin": "ADMIN"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def servidor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servidor]:
    """A migrated ``soporte run`` with every installed plugin and the fuzzing users."""
    directorio = tmp_path_factory.mktemp("fuzz")
    with fresh_database(directorio) as url:
        servidor = Servidor(directorio, url)
        servidor.preparar(USUARIOS)
        servidor.arrancar()
        try:
            yield servidor
        finally:
            servidor.parar()


@pytest.fixture(scope="module")
def tokens(servidor: Servidor) -> dict[str, str]:
    """A token per fuzzing user."""
    return {username: servidor.token(username) for username in USUARIOS}


def estricto(documento: dict[str, Any]) -> dict[str, Any]:
    """The document without ``default`` responses: every status must be listed."""
    for operaciones in documento["paths"].values():
        for operacion in operaciones.values():
            operacion["responses"].pop("default", None)
    return documento


def documento_de_la_app() -> dict[str, Any]:
    """The OpenAPI document of an app with every installed plugin, built without serving it
    (the route table alone makes it); the live server's must be the same."""
    app = create_app(
        Settings(
            database_url="sqlite://:memory:",
            secret_key="x",
            plugins=None,
            redis_url=None,
            plugin_settings={"escalamiento": {"interval": 0}},
        )
    )
    return openapi_document(app)


DOCUMENTO = documento_de_la_app()
#: Operations whose answer does not depend on who calls (public log-in and sign-up; log-out of
#: the caller's own token), each slow on purpose (argon2): fuzzed once, as the customer.
UNA_VEZ = r"^/api/auth/(token|registro|logout)/$"
_todas = schemathesis.openapi.from_dict(estricto(copy.deepcopy(DOCUMENTO))).exclude(
    path_regex=r"^/ws/"
)
por_rol = _todas.exclude(path_regex=UNA_VEZ)
una_vez = _todas.include(path_regex=UNA_VEZ)


def test_the_server_serves_the_fuzzed_document(servidor: Servidor) -> None:
    """What is fuzzed is what the running server documents."""
    assert get_json(f"{servidor.url}/api/openapi.json") == DOCUMENTO


#: aiohttp's longest request target (``max_line_size``): the HTTP parser refuses longer ones
#: with a plain-text 400 before any middleware runs (``test_abuso_entrada.py`` covers it).
DESTINO_MAXIMO = 8190


def destino(case: Any, base_url: str) -> str:
    """The request target (path and query string) the server will read for ``case``."""
    kwargs = case.as_transport_kwargs(base_url=base_url)
    peticion = requests.Request(kwargs["method"], kwargs["url"], params=kwargs.get("params"))
    return str(peticion.prepare().path_url)


def fuzz(case: Any, usuario: str, servidor: Servidor, tokens: dict[str, str]) -> None:
    """Call one generated case as ``usuario`` and run every check on the answer."""
    token = tokens[usuario]
    if case.path.startswith("/api/auth/logout"):
        token = servidor.token(usuario)  # this call revokes it
    headers = {"Authorization": f"Bearer {token}"}
    if len(destino(case, servidor.url)) > DESTINO_MAXIMO:
        # A generated query string too long for any HTTP/1 line: the parser's own 400.
        respuesta = case.call(base_url=servidor.url, headers=headers, timeout=30)
        assert respuesta.status_code == 400, respuesta.text[:200]
        return
    case.call_and_validate(base_url=servidor.url, headers=headers, checks=CHECKS, timeout=30)


LIMITES = settings(
    max_examples=EJEMPLOS,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# First, before the roles' fuzzing: a log-out case logs the customer in with their password,
# and the admin's fuzzing of PATCH /api/soporte/usuarios/{id}/ may change that password or
# deactivate the account (CI saw the log-in answer 401).
@una_vez.parametrize()
@LIMITES
def test_fuzz_auth(case: Any, servidor: Servidor, tokens: dict[str, str]) -> None:
    """The same checks on log-in, sign-up and log-out, as the customer."""
    fuzz(case, "cliente", servidor, tokens)


@pytest.mark.parametrize("usuario", list(USUARIOS))
@por_rol.parametrize()
@LIMITES
def test_fuzz(case: Any, usuario: str, servidor: Servidor, tokens: dict[str, str]) -> None:
    """No server error; status, content type, headers and body as documented."""
    fuzz(case, usuario, servidor, tokens)


def test_the_fuzzed_server_logged_no_unhandled_error(servidor: Servidor) -> None:
    """Belt and braces: the server's own log has no 500 either (after the fuzzing above)."""
    assert servidor.errores_del_servidor() == []
