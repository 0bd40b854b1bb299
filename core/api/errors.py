"""RFC 9457 problem details: the one shape of every error the API returns.

Handlers raise :class:`Problem` (or one of its named subclasses); the error middleware turns it,
aiohttp's own HTTP errors (404, 405, 413…) and any unexpected exception into
``application/problem+json``. Unexpected exceptions are logged with the request id and answered
with a body that reveals nothing about the server.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import web
from tortoise.exceptions import DoesNotExist

from core.i18n import N_, gettext

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from aiohttp.typedefs import Handler

log = logging.getLogger("soporte.api")

PROBLEM_JSON = "application/problem+json"

#: Titles by status, in Spanish (the message ids); shown translated to the request's language.
TITLES: dict[int, str] = {
    400: N_("Solicitud inválida"),
    401: N_("No autenticado"),
    403: N_("Prohibido"),
    404: N_("No encontrado"),
    405: N_("Método no permitido"),
    409: N_("Conflicto"),
    413: N_("Contenido demasiado grande"),
    415: N_("Tipo de contenido no soportado"),
    422: N_("Solicitud no procesable"),
    429: N_("Demasiadas solicitudes"),
    500: N_("Error interno"),
    503: N_("Servicio no disponible"),
}


class Problem(Exception):
    """An error answer. ``errors`` maps a field name to its messages (validation errors)."""

    status: int = 400

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if status is not None:
            self.status = status
        self.detail = detail or TITLES.get(self.status, N_("Error"))
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        super().__init__(self.detail)

    def to_dict(self) -> dict[str, Any]:
        """The JSON body, its texts in the current locale.

        ``title``, ``detail`` and each message of ``errors`` are looked up in the catalog here
        too, so a constant Spanish text raised as is (marked with ``N_``) is answered
        translated; a text already translated by the raiser (``_()``, with its values
        formatted in) is not an id of the catalog and stays as it is.
        """
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": gettext(TITLES.get(self.status, N_("Error"))),
            "status": self.status,
            "detail": gettext(self.detail),
        }
        if self.errors:
            body["errors"] = {
                key: [gettext(message) for message in messages]
                for key, messages in self.errors.items()
            }
        return body


class BadRequest(Problem):
    """400: malformed body, invalid field or query parameter."""

    status = 400


class Unauthorized(Problem):
    """401: missing, invalid or expired token."""

    status = 401

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail or N_("Credenciales ausentes o inválidas."),
            headers={"WWW-Authenticate": 'Bearer realm="soporte"'},
        )


class Forbidden(Problem):
    """403: the caller's role may not do this (or a download link is tampered/expired)."""

    status = 403


class NotFound(Problem):
    """404: unknown id, or an object the caller may not see (existence is never leaked)."""

    status = 404


class Conflict(Problem):
    """409: illegal state change."""

    status = 409


class PayloadTooLarge(Problem):
    """413: body or file too large, or too many files."""

    status = 413


class UnsupportedMediaType(Problem):
    """415: a content type the endpoint does not accept."""

    status = 415


class TooManyRequests(Problem):
    """429: rate limited; ``retry_after`` seconds go in ``Retry-After``."""

    status = 429

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


def problem_response(problem: Problem, request_id: str | None = None) -> web.Response:
    """Render a problem as ``application/problem+json``."""
    body = problem.to_dict()
    if request_id:
        body["request_id"] = request_id
    headers = dict(problem.headers)
    if request_id:
        headers["X-Request-Id"] = request_id
    return web.Response(
        status=problem.status,
        text=json.dumps(body, ensure_ascii=False),
        content_type=PROBLEM_JSON,
        headers=headers,
    )


REQUEST_ID = web.RequestKey("request_id", str)

#: How an error is answered to a browser asking for a page, where the app has pages
#: (:func:`core.pages.error_page`): an HTML response, or ``None`` for problem+json.
ERROR_PAGE: web.AppKey[Callable[[web.Request, Problem, str], web.StreamResponse | None]] = (
    web.AppKey("soporte_error_page")
)

#: A client's ``X-Request-Id`` kept as is: what a proxy generates (nginx's ``$request_id`` is
#: 32 hex digits, a UUID fits too) and nothing that could break a log line or a header.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_of(request: web.Request) -> str:
    """The client's ``X-Request-Id`` when it is a safe token, else a fresh one."""
    sent = request.headers.get("X-Request-Id", "")
    return sent if SAFE_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex


def _as_problem(request: web.Request, exc: Exception, request_id: str) -> Problem:
    """The problem a handler's exception is answered with; redirects are re-raised. Called
    from an ``except`` block: an unexpected exception is logged with its traceback."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, DoesNotExist):
        return NotFound()
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        headers = {k: v for k, v in exc.headers.items() if k.lower() in {"allow", "retry-after"}}
        # aiohttp's own texts ("404: Not Found") add nothing; keep a handler's explicit text.
        detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else None
        return Problem(detail, status=exc.status, headers=headers)
    log.exception(
        "unhandled error in %s %s [request_id=%s]", request.method, request.path, request_id
    )
    return Problem(N_("Error inesperado; si persiste, indique el request_id."), status=500)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every error into problem+json and give every request an id."""
    request_id = request_id_of(request)
    request[REQUEST_ID] = request_id
    try:
        response = await handler(request)
    except Exception as exc:
        problem = _as_problem(request, exc, request_id)
        if request.writer is not None and request.writer.output_size > 0:
            # The answer has begun (a WebSocket's handshake, part of a file): an error answer
            # written now would corrupt that stream. Re-raised, aiohttp drops the connection.
            raise
        page = request.app.get(ERROR_PAGE)
        html = page(request, problem, request_id) if page is not None else None
        return html if html is not None else problem_response(problem, request_id)
    response.headers.setdefault("X-Request-Id", request_id)
    return response
