"""CSV exports: streamed in keyset batches at constant memory, Excel-friendly, behind either a
bearer token or a short-lived signed link.

A plugin's export endpoint builds the queryset of its list (visibility and filters included,
ordered with an id tiebreak), and hands it to :func:`lotes`, which reads it one keyset page at a
time (``SOPORTE_EXPORT_BATCH_SIZE`` rows per query, never an ``OFFSET``); the plugin turns each
batch into rows (fetching related names per batch) and :func:`stream_csv` writes each batch to
the response before the next is read. Nothing ever holds the whole export: the server's memory
is one batch, whatever the number of rows (``bench/export.py`` measures it).

The file is what spreadsheets open without a dialog: a UTF-8 byte-order mark first (Excel
otherwise reads UTF-8 as the local code page), CRLF line ends (the ``csv`` module's default),
``,`` or ``;`` as separator (``?separador=;``: Excel in locales whose decimal mark is a comma
expects ``;``). Dates are ISO 8601 in UTC with the offset written (``2026-12-03T07:12:10+00:00``),
like the JSON API, so a file means the same wherever it is opened.

CSV injection (OWASP "CSV Injection"): a text cell starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is a formula to a spreadsheet; such cells are written with a leading
``'``, which spreadsheets show as text. Numbers the exporter itself writes are never touched.

Signed links: a browser download cannot send an ``Authorization`` header, and fetching the
file into a ``Blob`` would hold a whole export in the page's memory. The console therefore
asks for a link (``POST …/exportar/enlace/`` with its bearer token and the list's query string)
and navigates to it: the link carries the user id, what is exported and the validated query,
signed with the ``export-links`` key of :mod:`core.keyring` and valid for
``SOPORTE_EXPORT_LINK_TTL_SECONDS`` (60 s by default). When it is used, the user must still be
an active agent; the export then runs as them, with their visibility.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from multidict import MultiDict, MultiDictProxy
from pydantic import BaseModel, Field
from tortoise.expressions import Q

from core import tags
from core.api.errors import REQUEST_ID, Forbidden
from core.api.urls import base_url
from core.auth.guards import has_role, token_from_header
from core.auth.models import Rol, Token, Usuario
from core.auth.passwords import hash_token
from core.keyring import EXPORTS
from core.keys import KEYRING, SETTINGS

if TYPE_CHECKING:
    from multidict import MultiMapping
    from tortoise.models import Model
    from tortoise.queryset import QuerySet

    from core.tags import Enlace

M = TypeVar("M", bound="Model")

log = logging.getLogger(__name__)

#: The separators ``?separador=`` accepts.
SEPARADORES = (",", ";")
#: The media type of an export, and the headers :func:`stream_csv` sends beyond
#: ``X-Request-Id``: what an export route declares (``media_type=``, ``headers=``) for OpenAPI.
CSV = "text/csv"
CABECERAS_CSV = ("Content-Disposition", "Cache-Control")
#: What makes a spreadsheet read a cell as a formula (OWASP's list).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_BOM = "\ufeff"
_SALT = "soporte.exportacion"


def celda(valor: object) -> str:
    """One value as CSV text: ``None`` empty, enums as the API spells them, dates ISO 8601 in
    UTC, and text that a spreadsheet would run as a formula prefixed with ``'``."""
    if type(valor) is str:  # most cells: the one check they need
        return "'" + valor if valor.startswith(_FORMULA) else valor
    if valor is None:
        return ""
    if isinstance(valor, Enum):
        return str(valor.value)
    if isinstance(valor, datetime):
        return valor.astimezone(UTC).isoformat()
    if isinstance(valor, bool):
        return "true" if valor else "false"
    if isinstance(valor, int | float):
        return str(valor)  # a number of ours (a negative one too) is not a formula
    texto = str(valor)
    return "'" + texto if texto.startswith(_FORMULA) else texto


def nombre_archivo(prefijo: str, ahora: datetime | None = None) -> str:
    """``tickets-20261203-0712.csv``: what and when (UTC), to the minute."""
    momento = (ahora or datetime.now(UTC)).astimezone(UTC)
    return f"{prefijo}-{momento:%Y%m%d-%H%M}.csv"


def tamano_lote(request: web.Request) -> int:
    """Rows per query of an export (``SOPORTE_EXPORT_BATCH_SIZE``)."""
    return int(request.app[SETTINGS].export_batch_size)


def _orden(qs: QuerySet[Any]) -> list[tuple[str, bool]]:
    """``qs``'s ordering as ``(name, descending)`` pairs; the id must be its last term."""
    # tortoise keeps the requested order as (name, Order) pairs; the keyset needs exactly that.
    orden = [
        (nombre, str(direccion).lower().endswith("desc")) for nombre, direccion in qs._orderings
    ]
    if not orden or orden[-1][0] not in ("id", "pk"):
        raise ValueError("an export's queryset must be ordered with an id tiebreak")
    return orden


async def lotes(qs: QuerySet[M], tamano: int) -> AsyncIterator[list[M]]:
    """``qs`` (ordered, the id its last ordering term) read ``tamano`` rows at a time.

    Keyset pagination: each query asks for the rows after the last one seen in ``qs``'s own
    order — ``(a, b, id) > (va, vb, vid)`` spelt out term by term, each term in its own
    direction — so every batch costs the same however deep into the export it is (an
    ``OFFSET`` would rescan every row before it). A redundant ``a <= va`` (``>=`` ascending)
    on the first term lets the database seek its index instead of scanning from the top.
    Ordering terms must be non-null columns or annotations of ``qs``.
    """
    orden = _orden(qs)
    despues: Q | None = None
    while True:
        filas = list(await (qs if despues is None else qs.filter(despues)).limit(tamano))
        if not filas:
            return
        yield filas
        if len(filas) < tamano:
            return
        despues = _despues_de(orden, [getattr(filas[-1], nombre) for nombre, _ in orden])


async def lotes_valores(
    qs: QuerySet[Any], tamano: int, campos: Sequence[str]
) -> AsyncIterator[list[dict[str, Any]]]:
    """:func:`lotes` as ``qs.values(*campos)`` dicts (related columns as ``cliente__nombre``):
    no model instances, which at a million rows are most of an export's time."""
    orden = _orden(qs)
    columnas = list(dict.fromkeys([*campos, *(nombre for nombre, _ in orden)]))
    despues: Q | None = None
    while True:
        pagina = qs if despues is None else qs.filter(despues)
        filas = list(await pagina.limit(tamano).values(*columnas))
        if not filas:
            return
        yield filas
        if len(filas) < tamano:
            return
        despues = _despues_de(orden, [filas[-1][nombre] for nombre, _ in orden])


def _despues_de(orden: Sequence[tuple[str, bool]], valores: Sequence[Any]) -> Q:
    """The rows strictly after the one whose ordering values are ``valores`` (:func:`lotes`)."""
    ramas = []
    for i, (nombre, desc) in enumerate(orden):
        iguales = {orden[j][0]: valores[j] for j in range(i)}
        ramas.append(Q(**iguales, **{f"{nombre}__{'lt' if desc else 'gt'}": valores[i]}))
    despues = ramas[0]
    for rama in ramas[1:]:
        despues |= rama
    primero, desc = orden[0]
    return Q(despues, Q(**{f"{primero}__{'lte' if desc else 'gte'}": valores[0]}))


async def stream_csv(
    request: web.Request,
    prefijo: str,
    cabecera: Sequence[str],
    filas: AsyncIterator[Iterable[Sequence[object]]],
    separador: str = ",",
) -> web.StreamResponse:
    """Answer ``request`` with a CSV download: the BOM and ``cabecera``, then each batch of
    ``filas`` (values go through :func:`celda`) written as it comes.

    A client that goes away mid-stream ends the export quietly: the batch iterator is closed
    (its next query never runs) and nothing is left open; aiohttp drops the connection.
    """
    if separador not in SEPARADORES:
        raise ValueError(f"not a CSV separator: {separador!r}")
    respuesta = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{nombre_archivo(prefijo)}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        }
    )
    if (request_id := request.get(REQUEST_ID)) is not None:
        # The error middleware adds it after the handler returns: too late for a stream.
        respuesta.headers["X-Request-Id"] = request_id
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separador)
    buffer.write(_BOM)
    writer.writerow(cabecera)
    enviadas = 0
    try:
        # The first batch is read before anything is sent: a failing query is then still an
        # ordinary problem+json answer, not a file cut short.
        lote: Iterable[Sequence[object]] | None = await anext(filas, None)
        await respuesta.prepare(request)
        while lote is not None:
            for fila in lote:
                writer.writerow([celda(v) for v in fila])
                enviadas += 1
            await respuesta.write(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
            lote = await anext(filas, None)
        if resto := buffer.getvalue():  # the header alone: nothing matched
            await respuesta.write(resto.encode())
        await respuesta.write_eof()
    except ConnectionError:
        # The client closed the download, seen at our next write. Not an error of ours (it
        # would be logged as a 500); aiohttp drops the connection.
        log.info("CSV export %s stopped by the client after %d rows", request.path, enviadas)
    except asyncio.CancelledError:
        # The same, on a server that cancels the handlers of closed connections (aiohttp's
        # handler_cancellation, the test server's): an in-flight batch query is abandoned.
        log.info("CSV export %s stopped by the client after %d rows", request.path, enviadas)
        raise
    finally:
        aclose = getattr(filas, "aclose", None)
        if aclose is not None:
            await aclose()
    return respuesta


# --- signed links ------------------------------------------------------------------------------


def _serializador(app: web.Application) -> URLSafeTimedSerializer:
    # Old secrets still verify (a rotation does not break a link minted a second before).
    return URLSafeTimedSerializer(app[KEYRING].verification_keys(EXPORTS), salt=_SALT)


async def enlace_firmado(request: web.Request, usuario: Usuario, ruta: str) -> dict[str, Any]:
    """``{url, expira}``: a link to ``ruta`` + ``enlace/{token}/`` that exports as ``usuario``
    with this request's query string, for ``SOPORTE_EXPORT_LINK_TTL_SECONDS`` and while the
    bearer token of this request lives."""
    consulta = [[k, v] for k, v in request.query.items()]
    # The session that asked: logging out (or its expiry) ends the link with it.
    sesion = token_from_header(request.headers.get("Authorization", ""))
    fila = await Token.filter(key_hash=hash_token(sesion or "")).first()
    datos = {"u": usuario.id, "t": fila.id if fila else 0, "r": ruta, "q": consulta}
    token = _serializador(request.app).dumps(datos)
    ttl = request.app[SETTINGS].export_link_ttl_seconds
    expira = datetime.now(UTC).timestamp() + ttl
    return {
        # Under ``enlace/``, not beside ``{id}/responder/``: ``…/exportar/{token}/`` and
        # ``…/{id}/responder/`` would be two templates one request path could match (OpenAPI).
        "url": f"{base_url(request)}{ruta}enlace/{token}/",
        "expira": datetime.fromtimestamp(expira, UTC).isoformat(),
    }


async def verificar_enlace(
    request: web.Request, token: str, ruta: str
) -> tuple[Usuario, MultiMapping[str]]:
    """The user and query string of a link :func:`enlace_firmado` made for ``ruta``; a 403 when
    it was tampered with, expired, made for another export, its user is no longer an active
    agent, or the session that asked for it has ended (logout, expiry)."""
    ttl = request.app[SETTINGS].export_link_ttl_seconds
    try:
        datos = _serializador(request.app).loads(token, max_age=ttl)
    except SignatureExpired as exc:
        raise Forbidden("El enlace de exportación ha caducado.") from exc
    except BadSignature as exc:
        raise Forbidden("El enlace de exportación no es válido.") from exc
    if not isinstance(datos, dict) or datos.get("r") != ruta:
        raise Forbidden("El enlace de exportación no es válido.")
    usuario = await Usuario.filter(id=int(datos.get("u", 0))).first()
    if usuario is None or not usuario.activo or not has_role(usuario, Rol.AGENTE):
        raise Forbidden("El enlace de exportación no es válido.")
    sesion = Token.filter(id=int(datos.get("t", 0)), usuario_id=usuario.id)
    if not await sesion.filter(expira__gt=datetime.now(UTC)).exists():
        raise Forbidden("El enlace de exportación no es válido: la sesión que lo pidió terminó.")
    consulta: MultiDict[str] = MultiDict((str(k), str(v)) for k, v in datos.get("q", []))
    return usuario, MultiDictProxy(consulta)


class EnlaceExportacion(BaseModel):
    """A signed, short-lived link to an export (``POST …/exportar/enlace/``)."""

    url: str = Field(description="Absolute; a plain GET (no `Authorization`) downloads the CSV.")
    expira: str = Field(description="When the link stops working (ISO 8601, UTC).")


# --- related names per batch -------------------------------------------------------------------


async def etiquetas_por_objeto(enlace: Enlace, ids: Sequence[int]) -> dict[int, str]:
    """The tag names of each of ``ids`` (one query), ordered by key, joined by ``", "``."""
    nombres = await tags.nombres_de(enlace, ids)
    return {objeto: ", ".join(lista) for objeto, lista in nombres.items()}
