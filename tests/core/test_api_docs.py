"""docs/api.md keeps up with the route table: a section per route, no stale route, every field
of every request model in its route's section, every response field named, every chat frame.

Everything is computed from an app built with all built-in plugins and from the chat plugin's
source, so a new route, field or frame is checked without editing this module.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import BaseModel

from core import keys
from tests.core.test_docs import without_code_blocks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from aiohttp import web

    from core.api.routing import Endpoint

ROOT = Path(__file__).resolve().parents[2]
API_MD = ROOT / "docs" / "api.md"
CHAT = ROOT / "plugins" / "chat"
BUILT_IN = (
    "tickets",
    "chat",
    "faq",
    "casos",
    "escalamiento",
    "notificaciones",
    "correo",
    "asignacion",
    "macros",
    "webhooks",
)

_METHODS = "GET|POST|PUT|PATCH|DELETE"
#: ``### GET /api/soporte/tickets/{id}/`` — a route's section heading.
_ROUTE_HEADING = re.compile(rf"^###[ \t]+({_METHODS})[ \t]+(/\S*)", re.MULTILINE)
#: ``GET /api/...`` anywhere in the text (a query string or punctuation ends the path).
_ROUTE_MENTION = re.compile(rf"\b({_METHODS}) (/[^\s`?)|,\]]*)")


def text() -> str:
    """docs/api.md as written."""
    return API_MD.read_text()


@pytest.fixture
def endpoints(make_app: Callable[..., web.Application]) -> list[Endpoint]:
    """Every endpoint, REST and WebSocket, of an app with all built-in plugins."""
    app = make_app(plugins=list(BUILT_IN))
    return [endpoint for _, endpoint in app[keys.ENDPOINTS]]


def route(endpoint: Endpoint) -> tuple[str, str]:
    """``(method, path)`` as docs/api.md heads its section (``{id:\\d+}`` written ``{id}``)."""
    return endpoint.method, endpoint.openapi_path


def sections() -> dict[tuple[str, str], str]:
    """The text of each route section: from its heading to the next heading of level 1–3."""
    body = without_code_blocks(text())
    found: dict[tuple[str, str], str] = {}
    for match in _ROUTE_HEADING.finditer(body):
        rest = body[match.end() :]
        end = re.search(r"^#{1,3}[ \t]", rest, re.MULTILINE)
        found[(match.group(1), match.group(2))] = rest[: end.start() if end else len(rest)]
    return found


def test_the_route_table_is_not_empty(endpoints: list[Endpoint]) -> None:
    """Every built-in plugin contributes routes, the chat socket among them (no vacuous check)."""
    assert {e.tag for e in endpoints} >= {"sistema", "auth", *BUILT_IN}
    assert any(e.websocket for e in endpoints)


def test_every_route_has_a_section(endpoints: list[Endpoint]) -> None:
    """Each ``(method, path)`` of the route table heads a ``### METHOD /path`` section."""
    missing = sorted({route(e) for e in endpoints} - set(sections()))
    assert missing == [], f"docs/api.md has no '### METHOD /path' section for {missing}"


def test_no_section_or_mention_names_a_route_that_does_not_exist(
    endpoints: list[Endpoint],
) -> None:
    """Every ``METHOD /path`` the page writes — headings and prose — is a real route."""
    real = {route(e) for e in endpoints}
    named = set(sections()) | {(m, p) for m, p in _ROUTE_MENTION.findall(text())}
    assert sorted(named - real) == []


def test_each_section_appears_once() -> None:
    """Two sections for one route would drift apart."""
    headings = _ROUTE_HEADING.findall(without_code_blocks(text()))
    assert len(headings) == len(set(headings))


def test_request_fields_are_documented_in_their_sections(endpoints: list[Endpoint]) -> None:
    """Every field of a body or query model is named (in backticks) in that route's section."""
    by_route = sections()
    missing = []
    for endpoint in endpoints:
        for model in (endpoint.body, endpoint.query):
            for name in model.model_fields if model is not None else ():
                if f"`{name}`" not in by_route.get(route(endpoint), ""):
                    missing.append(f"{endpoint.method} {endpoint.openapi_path}: {name}")
    assert missing == []


def models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation contains: ``X``, ``list[X]``, ``Page[X]``, ``X | None``…"""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from models_in(field.annotation)
        return
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            yield from models_in(arg)


def test_response_fields_are_named(endpoints: list[Endpoint]) -> None:
    """Every field of every response model (nested ones too) is named on the page."""
    page = text()
    missing = set()
    for endpoint in endpoints:
        for model in models_in(endpoint.response):
            for name in model.model_fields:
                if not re.search(rf"\b{re.escape(name)}\b", page):
                    missing.add(f"{model.__name__}.{name}")
    assert sorted(missing) == []


# --- the chat protocol -----------------------------------------------------------------------


def chat_source() -> str:
    """The chat plugin's Python source, where every server frame is built."""
    return "\n".join(p.read_text() for p in sorted(CHAT.glob("*.py")))


def test_every_frame_type_the_server_sends_is_documented(endpoints: list[Endpoint]) -> None:
    """Each frame a socket declares (``SocketProtocol``, both directions: what the server
    builds and validates) has a row in its route's section."""
    from core.api.asyncapi import frame_name

    found = sections()
    sockets = [e for e in endpoints if e.websocket]
    assert all(e.protocol is not None for e in sockets), "a built-in socket without protocol"
    missing: list[str] = []
    for endpoint in sockets:
        assert endpoint.protocol is not None
        section = found.get(route(endpoint), "")
        models = endpoint.protocol.server_frames + endpoint.protocol.client_frames
        names = {frame_name(m) for m in models}
        if endpoint.openapi_path.startswith("/ws/soporte/ticket/"):
            assert {"connection_status", "mensaje", "typing", "presencia", "error", "pong"} <= names
        missing += [
            f"{endpoint.openapi_path} {n}"
            for n in sorted(names)
            if f"| `{n}` |" not in section and f'{{"tipo": "{n}"' not in section
        ]
    assert missing == [], f"frame tipos without a row in docs/api.md: {missing}"


def test_every_error_code_of_the_socket_is_documented() -> None:
    """Each ``error_frame("codigo", …)`` of the chat plugin has a row in the error table."""
    codigos = set(re.findall(r'error_frame\(\s*"(\w+)"', chat_source()))
    assert "ticket_cerrado" in codigos
    missing = sorted(c for c in codigos if f"| `{c}` |" not in text())
    assert missing == [], f"error codigos without a row in docs/api.md: {missing}"


def test_every_close_code_of_the_socket_is_documented(endpoints: list[Endpoint]) -> None:
    """Every close code of every socket (its own and the core's, as ``/api/asyncapi.json``
    lists them) is in its route's close-code table."""
    from core.api.asyncapi import close_codes

    codes = set(re.findall(r"^CIERRE_\w+ = (\d+)", (CHAT / "routes.py").read_text(), re.MULTILINE))
    assert codes >= {"4401", "4404"}
    found = sections()
    missing = sorted(
        f"{e.openapi_path} {code}"
        for e in endpoints
        if e.websocket
        for code in {*close_codes(e), *(map(int, codes) if e.name == "chat_ticket" else ())}
        if f"| {code} |" not in found.get(route(e), "")
    )
    assert missing == []
