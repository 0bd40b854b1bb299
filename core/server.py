"""Serving an app: aiohttp's runner with requests it cannot parse answered as problem+json.

aiohttp answers a request it cannot parse (a request line or a header over its 8 KiB limit, a
bad method, a malformed header) from ``RequestHandler.handle_error`` — before any middleware,
as ``text/plain``, and logging a traceback for what is only a client's mistake. That method is
aiohttp's hook for parse errors; :class:`ProblemRequestHandler` overrides it, and
:class:`ProblemAppRunner` is an ``AppRunner`` whose connections use it. ``soporte run``
(:func:`run_app`) and the test kit's servers both serve through that runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_runner import GracefulExit

from core.api.errors import Problem, problem_response
from core.i18n import gettext as _

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from aiohttp.web_request import BaseRequest

log = logging.getLogger("soporte.server")


def parse_problem(exc: HttpProcessingError, max_line_size: int) -> Problem:
    """The 400 answering a request aiohttp could not parse, naming the limit it broke."""
    if isinstance(exc, LineTooLong):
        return Problem(
            _("La línea de petición o una cabecera supera el máximo de {n} bytes.").format(
                n=max_line_size
            ),
            status=400,
        )
    return Problem("Petición HTTP mal formada.", status=400)


class ProblemRequestHandler(RequestHandler):
    """aiohttp's connection handler, answering parse errors as problem+json without a
    traceback in the log (one warning line instead)."""

    # No attribute of its own: the same layout as aiohttp's, so a handler can become one.
    __slots__ = ()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """problem+json for a request that could not be parsed; aiohttp's answer otherwise."""
        if not isinstance(exc, HttpProcessingError) or request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        log.warning("unparsable request from %s: %s", request.remote, type(exc).__name__)
        response = problem_response(parse_problem(exc, self.max_line_size))
        response.force_close()  # the parser's state is lost: this connection cannot go on
        return response


class _ProblemServer(web.Server):
    """A ``web.Server`` whose connections are :class:`ProblemRequestHandler`."""

    def __call__(self) -> RequestHandler:
        handler = super().__call__()
        # Built by aiohttp with all its arguments, then given our error hook: the handler's
        # state is exactly aiohttp's, only ``handle_error`` differs.
        handler.__class__ = ProblemRequestHandler
        return handler


class ProblemAppRunner(web.AppRunner):
    """An ``AppRunner`` whose server answers unparsable requests as problem+json."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _ProblemServer
        return server


class _LastRecord(logging.Handler):
    """Remembers when the last log record was emitted (anywhere: it sits on the root logger)."""

    def __init__(self) -> None:
        super().__init__()
        self.at = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        self.at = time.monotonic()


async def when_quiet(quiet: float, limit: float) -> None:
    """Return once nothing has been logged for ``quiet`` seconds, or after ``limit`` seconds.

    What a server logs right after it starts — the first pass of its background jobs (the
    escalation scheduler's warnings about overdue tickets, the mails they queue) — would
    otherwise scroll away the few lines a person starting it needs: where to go, how to log in.
    """
    handler = _LastRecord()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        end = time.monotonic() + limit
        while True:
            now = time.monotonic()
            # Until ``quiet`` seconds after the last record, or the limit, whichever is first.
            wait = min(quiet - (now - handler.at), end - now)
            if wait <= 0:
                return
            await asyncio.sleep(wait)
    finally:
        root.removeHandler(handler)


def run_app(
    app: web.Application,
    *,
    host: str,
    port: int,
    print: Callable[..., None] = print,  # aiohttp's name for it
    announce: Callable[[str], Coroutine[Any, Any, None]] | None = None,
    **runner_args: Any,
) -> None:
    """Serve ``app`` until SIGINT/SIGTERM, as ``aiohttp.web.run_app`` does (same shutdown:
    the runner's clean-up closes sockets and waits for handlers), through
    :class:`ProblemAppRunner`.

    Once serving, ``announce(site_url)`` runs as a task (say, to print the addresses when the
    start-up chatter is over); without it aiohttp's "Running on" line is printed.
    """

    async def serve() -> None:
        runner = ProblemAppRunner(app, handle_signals=True, **runner_args)
        await runner.setup()
        announcing: asyncio.Task[None] | None = None
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            if announce is None:
                print(f"======== Running on {site.name} ========\n(Press CTRL+C to quit)")
            else:
                announcing = asyncio.create_task(announce(site.name), name="soporte-announce")
            await asyncio.Event().wait()  # until a signal raises GracefulExit
        finally:
            if announcing is not None:
                announcing.cancel()
            await runner.cleanup()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    main = loop.create_task(serve())
    try:
        loop.run_until_complete(main)
    except (GracefulExit, KeyboardInterrupt):
        pass
    finally:
        if not main.done():
            main.cancel()  # its clean-up (the runner's) runs now
            with contextlib.suppress(asyncio.CancelledError, GracefulExit):
                loop.run_until_complete(main)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)
