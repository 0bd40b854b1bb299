"""``Idempotency-Key``: a retried creating request returns the first answer and creates nothing.

Every ``POST`` declared with ``status=201`` (:func:`applies`: tickets, replies, cases, uploads,
and any route another plugin declares so) honours the header, generically, in the core's
endpoint wrapper (:mod:`core.app`). Per principal (a user, or an API key:
:func:`core.auth.claves.principal`; anonymous requests ignore the header, having no one to
keep it for), for :data:`TTL`:

- the first request **claims** the key by inserting a row (the unique index on
  ``(principal, clave)`` makes this insert-if-absent race-free across processes), runs, and
  stores its answer (status, headers such as ``Location``, body);
- a retry with the same method, path and body gets that stored answer, marked
  ``Idempotent-Replayed: true``, and nothing runs;
- a retry while the first is still running is a 409 with ``Retry-After``;
- the same key with another method, path or body is a 422;
- a first request that fails (an error answer or a 5xx) releases the key: the retry runs;
- an answer marked ``Cache-Control: no-store`` (it carries a secret: a new API key) is not
  kept either: a retry runs again.

The body's fingerprint is taken from what the endpoint validated (the parsed fields, so JSON
whitespace or key order do not matter) plus each uploaded file's name, type and SHA-256. A
claim is a lease of :data:`LEASE`: if its process dies mid-request, a retry after that runs.
Expired rows are deleted by :func:`lifetime`'s sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from aiohttp import web
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError

from core.api.errors import BadRequest, Conflict, Problem
from core.auth.claves_models import Idempotencia
from core.background import running
from core.i18n import gettext as _

if TYPE_CHECKING:
    from pydantic import BaseModel

    from core.api.routing import Endpoint
    from core.storage import Storage, Upload

log = logging.getLogger("soporte.idempotency")

HEADER = "Idempotency-Key"
#: How long an answer is kept and replayed.
TTL = timedelta(hours=24)
#: How long a claim holds while its request runs: past it, the request is taken as lost.
LEASE = timedelta(minutes=5)
#: Seconds a client is asked to wait when the first request is still running.
RETRY_AFTER = 1
#: Seconds between two sweeps of expired rows.
SWEEP_EVERY = 3600.0
#: Headers of the first answer that are not replayed (the server sets them anew each time).
_NOT_STORED = frozenset({"content-length", "date", "server", "transfer-encoding"})
#: What a key may be: 1–255 visible ASCII characters (a UUID, a client's own scheme).
_MAX_KEY = 255


def applies(endpoint: Endpoint) -> bool:
    """Whether ``endpoint`` honours ``Idempotency-Key``: a POST that creates (status 201)."""
    return endpoint.method == "POST" and endpoint.status == 201 and not endpoint.websocket


def _valid_key(value: str) -> str:
    """``value`` if it can be a key, else a 400."""
    if not 0 < len(value) <= _MAX_KEY or not all(33 <= ord(c) <= 126 for c in value):
        raise BadRequest(
            _(
                "La cabecera {cabecera} debe tener de 1 a {maximo} caracteres ASCII visibles."
            ).format(cabecera=HEADER, maximo=_MAX_KEY)
        )
    return value


def _file_digest(storage: Storage, upload: Upload) -> str:
    digest = hashlib.sha256()
    with storage.path(upload.key).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(
    request: web.Request, body: BaseModel | None, uploads: Sequence[Upload], storage: Storage
) -> str:
    """SHA-256 of what makes two requests "the same": method, path and query, the validated
    body and each file (its field, name, type and content digest)."""
    material = {
        "metodo": request.method,
        # With or without the trailing slash, one route (core.app answers both).
        "ruta": request.path.rstrip("/")
        + ("?" + request.query_string if request.query_string else ""),
        "cuerpo": body.model_dump(mode="json") if body is not None else None,
        "archivos": [
            [u.field, u.nombre, u.tipo, u.tamano, _file_digest(storage, u)] for u in uploads
        ],
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


@dataclass
class Claim:
    """A key this request holds: its answer is stored by :func:`finish`, or it is released."""

    row: Idempotencia


async def begin(principal: str, header: str, huella: str) -> Claim | web.Response:
    """Claim ``header`` for ``principal``, or the stored answer of an earlier request with it.

    409 (with ``Retry-After``) while that request is running; 422 for another request body,
    method or path under the same key.
    """
    clave = _valid_key(header)
    for _intento in range(3):
        ahora = datetime.now(UTC)
        try:
            row = await Idempotencia.create(
                principal=principal, clave=clave, huella=huella, expira=ahora + LEASE
            )
        except IntegrityError:
            pass
        else:
            return Claim(row)
        previa = await Idempotencia.get_or_none(principal=principal, clave=clave)
        if previa is None:
            continue  # released (or swept) in between: claim again
        if previa.expira <= ahora:
            # A lapsed answer or a lost claim: gone, and this request starts afresh. Of two
            # requests doing this, one deletes it; both then race for the insert above.
            await Idempotencia.filter(id=previa.id, expira__lte=ahora).delete()
            continue
        if previa.huella != huella:
            raise Problem(
                _(
                    "La cabecera {cabecera} ya se usó con otra solicitud (otro cuerpo o ruta): "
                    "use una clave nueva para cada operación."
                ).format(cabecera=HEADER),
                status=422,
            )
        if not previa.terminada:
            raise _en_curso()
        return replay(previa)
    raise _en_curso()


def _en_curso() -> Conflict:
    """The 409 of a key whose first request is still running."""
    return Conflict(
        _("Una solicitud con esta {cabecera} aún está en curso: reintente en un momento.").format(
            cabecera=HEADER
        ),
        headers={"Retry-After": str(RETRY_AFTER)},
    )


def replay(row: Idempotencia) -> web.Response:
    """The stored answer of ``row``, marked as a replay."""
    headers = {**row.cabeceras, "Idempotent-Replayed": "true"}
    return web.Response(status=row.estado_http, body=row.cuerpo or b"", headers=headers)


async def finish(claim: Claim, response: web.StreamResponse) -> None:
    """Store ``response`` as the key's answer for :data:`TTL` — or release the key if it is a
    5xx, a streamed answer (nothing to replay) or one marked ``Cache-Control: no-store``
    (it carries a secret, such as a new API key's, that must not be kept in clear)."""
    if response.status >= 500 or not isinstance(response, web.Response) or _secret(response):
        await release(claim)
        return
    body = response.body
    if not isinstance(body, bytes | bytearray | type(None)):
        await release(claim)
        return
    headers = {k: v for k, v in response.headers.items() if k.lower() not in _NOT_STORED}
    await Idempotencia.filter(id=claim.row.id).update(
        terminada=True,
        estado_http=response.status,
        cabeceras=headers,
        cuerpo=bytes(body or b""),
        expira=claim.row.creada + TTL,
    )


def _secret(response: web.Response) -> bool:
    """Whether ``response`` says it must not be stored (``Cache-Control: no-store``)."""
    return "no-store" in response.headers.get("Cache-Control", "").lower()


async def release(claim: Claim) -> None:
    """Give the key up: the request failed, so a retry must run it again."""
    await Idempotencia.filter(id=claim.row.id, terminada=False).delete()


async def sweep(now: datetime | None = None) -> int:
    """Delete every expired row (answers older than :data:`TTL`, lapsed claims); how many."""
    deleted: int = await Idempotencia.filter(expira__lte=now or datetime.now(UTC)).delete()
    return deleted


async def lifetime(app: web.Application) -> AsyncIterator[None]:
    """``cleanup_ctx``: sweep expired keys every :data:`SWEEP_EVERY` seconds."""

    async def job(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if n := await sweep():
                    log.info("idempotency: %d expired keys deleted", n)
            except (OperationalError, DBConnectionError) as exc:
                # The database away or not migrated yet (as the outbox says it): one line,
                # no traceback; the next sweep tries again.
                log.warning("idempotency sweep: cannot reach the database: %s", exc)
            except Exception:  # a bug must not end the sweeps either
                log.exception("idempotency sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SWEEP_EVERY)

    async with running(job, name="soporte-idempotency-sweep", grace=5.0):
        yield
