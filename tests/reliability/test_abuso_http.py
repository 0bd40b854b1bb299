"""Abuse of the HTTP layer itself: forms of many parts, compressed bodies and parts, foreign
``Host`` headers, hostile request ids, oversized request lines, control characters bound for
the log, and socket ids no table can hold. Each is refused with problem+json (or the socket's
close code) and nothing is stored.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import subprocess
import sys
from typing import TYPE_CHECKING

import aiohttp
import pytest

from core.testing import token_of
from tests.reliability.ayudas import archivos, media_de, multipart, todas_las_filas

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from core.auth.models import Usuario
    from core.testing import SoporteClient

TICKETS = "/api/soporte/tickets/"


def campos_de_ticket() -> list[tuple[str, str | None, bytes, str | None]]:
    """The parts of a valid ticket form (no file)."""
    return [
        ("asunto", None, b"Asunto", None),
        ("categoria", None, b"PAGOS", None),
        ("descripcion", None, b"Descripcion", None),
    ]


async def enviar(
    soporte: SoporteClient,
    ana: Usuario,
    partes: list[tuple[str, str | None, bytes, str | None]],
    **headers: str,
) -> aiohttp.ClientResponse:
    """POST a hand-written multipart ticket form as ``ana``."""
    cuerpo, tipo = multipart(partes)
    return await soporte.post(
        TICKETS,
        data=cuerpo,
        headers={"Content-Type": tipo, "Authorization": f"Bearer {token_of(ana)}", **headers},
    )


async def problema(r: aiohttp.ClientResponse, status: int) -> str:
    """The ``detail`` of a problem+json answer of ``status``."""
    assert r.status == status, (r.status, await r.text())
    assert r.content_type == "application/problem+json"
    detail: str = (await r.json())["detail"]
    return detail


# --- forms -----------------------------------------------------------------------------------


async def test_300_text_fields_are_413_naming_the_form_limit(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    """300 fields of 10 KiB each, each far under the old per-field limit (300 of them just
    under it were held in memory): refused once the form's text budget (1 MiB, all fields
    together) is spent — with the parts limit raised, so that it is the size refused."""
    soporte = await start_app(max_form_parts=1000)
    ana = await soporte.usuario("ana")
    antes = await todas_las_filas(soporte)
    partes = campos_de_ticket() + [(f"x{i}", None, b"x" * 10_240, None) for i in range(300)]
    r = await enviar(soporte, ana, partes)
    detail = await problema(r, 413)
    assert "1 MiB" in detail
    assert "todos los campos" in detail
    assert await todas_las_filas(soporte) == antes


async def test_many_small_parts_are_413_naming_the_parts_limit(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    antes = await todas_las_filas(soporte)
    partes = campos_de_ticket() + [(f"x{i}", None, b"x", None) for i in range(300)]
    r = await enviar(soporte, ana, partes)
    assert "como máximo 50 partes" in await problema(r, 413)
    # Files count as parts too, and none is left on disk.
    partes = campos_de_ticket() + [
        (f"a{i}", f"a{i}.txt", b"datos", "text/plain") for i in range(60)
    ]
    r = await enviar(soporte, ana, partes)
    assert r.status == 413
    assert archivos(media_de(soporte)) == []
    assert await todas_las_filas(soporte) == antes


async def test_a_form_within_the_limits_is_still_accepted(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    partes = campos_de_ticket() + [(f"a{i}", f"a{i}.txt", b"datos", "text/plain") for i in range(3)]
    r = await enviar(soporte, ana, partes)
    assert r.status == 201, await r.text()


async def test_a_gzip_body_is_415_before_it_is_inflated(soporte: SoporteClient) -> None:
    """A few KiB of gzip inflating to 64 MiB: refused by its header, JSON or form alike."""
    ana = await soporte.usuario("ana")
    antes = await todas_las_filas(soporte)
    bomba = gzip.compress(b"{" + b" " * (64 * 1024 * 1024) + b"}", compresslevel=9)
    for encoding in ("gzip", "deflate", "br"):
        r = await soporte.post(
            TICKETS,
            data=bomba,
            headers={
                "Content-Type": "application/json",
                "Content-Encoding": encoding,
                "Authorization": f"Bearer {token_of(ana)}",
            },
        )
        assert encoding in await problema(r, 415)
    cuerpo, tipo = multipart(campos_de_ticket())
    r = await soporte.post(
        TICKETS,
        data=gzip.compress(cuerpo),
        headers={
            "Content-Type": tipo,
            "Content-Encoding": "gzip",
            "Authorization": f"Bearer {token_of(ana)}",
        },
    )
    assert "gzip" in await problema(r, 415)
    assert await todas_las_filas(soporte) == antes


async def test_a_gzip_part_is_415_and_not_inflated(soporte: SoporteClient) -> None:
    """A part with ``Content-Encoding: gzip`` inflating to 8 MiB: aiohttp would decode it
    past the form's budget."""
    ana = await soporte.usuario("ana")
    antes = await todas_las_filas(soporte)
    bomba = gzip.compress(b"a" * (8 * 1024 * 1024))
    cuerpo, tipo = multipart([*campos_de_ticket(), ("comentario", None, bomba, None)])
    cuerpo = cuerpo.replace(
        b'name="comentario"\r\n', b'name="comentario"\r\nContent-Encoding: gzip\r\n'
    )
    r = await soporte.post(
        TICKETS,
        data=cuerpo,
        headers={"Content-Type": tipo, "Authorization": f"Bearer {token_of(ana)}"},
    )
    assert "gzip" in await problema(r, 415)
    assert await todas_las_filas(soporte) == antes


# --- hosts and request ids -------------------------------------------------------------------


async def test_an_unknown_host_is_400_when_the_list_is_set(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    soporte = await start_app(allowed_hosts=["soporte.example.com"])
    ana = await soporte.usuario("ana")
    for host in ("evil.test", "soporte.example.com.evil.test", "evil.test:80", ""):
        r = await soporte.get(
            "/api/soporte/mis-tickets/", headers={"Host": host, **soporte.auth(ana)}
        )
        assert "Host" in await problema(r, 400), host
        assert (await soporte.get("/healthz", headers={"Host": host})).status == 400
    for host in ("soporte.example.com", "SOPORTE.example.com:8443"):
        r = await soporte.get(
            "/api/soporte/mis-tickets/", headers={"Host": host, **soporte.auth(ana)}
        )
        assert r.status == 200, host
        # Links point where the request came from, once it is known to be ours.
        r = await soporte.get(
            "/api/soporte/faqs/?size=1", headers={"Host": host, **soporte.auth(ana)}
        )
        assert r.status == 200


async def test_public_url_decides_the_links_whatever_the_host(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    soporte = await start_app(public_url="https://soporte.example.com")
    ana = await soporte.usuario("ana")
    partes = [*campos_de_ticket(), ("archivo", "a.txt", b"datos", "text/plain")]
    r = await enviar(soporte, ana, partes, Host="evil.test")
    assert r.status == 201, await r.text()
    r = await soporte.get(
        f"{TICKETS}{(await r.json())['id']}/", headers={"Host": "evil.test", **soporte.auth(ana)}
    )
    texto = await r.text()
    assert "evil.test" not in texto
    assert "https://soporte.example.com/api/descargas/" in texto


async def test_a_hostile_request_id_is_replaced(soporte: SoporteClient) -> None:
    for hostil in ("a\tb", "x" * 65, "<script>", "id con espacios", "a;b", "ñ"):
        r = await soporte.get("/healthz", headers={"X-Request-Id": hostil})
        devuelto = r.headers["X-Request-Id"]
        assert devuelto != hostil[:64], hostil
        assert len(devuelto) == 32
        assert all(c in "0123456789abcdef" for c in devuelto)
    nginx = "0f3a9c2b7e1d4a5b8c6d7e8f9a0b1c2d"
    for seguro in (nginx, "req-1.2:3_x", "a" * 64):
        r = await soporte.get("/healthz", headers={"X-Request-Id": seguro})
        assert r.headers["X-Request-Id"] == seguro
    r = await soporte.get("/api/soporte/tickets/1/", headers={"X-Request-Id": "<x>"})
    assert (await r.json())["request_id"] != "<x>"


# --- the request line --------------------------------------------------------------------------


async def peticion_cruda(soporte: SoporteClient, linea: bytes) -> tuple[bytes, bytes]:
    """Send ``linea`` over a raw socket; the answer's head and body."""
    server = soporte.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(linea)
        await writer.drain()
        respuesta = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = respuesta.partition(b"\r\n\r\n")
    return head, body


async def test_a_9_kib_request_line_is_problem_json_without_a_traceback(
    soporte: SoporteClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for linea in (
        b"GET /api/soporte/faqs/?q=" + b"a" * 9 * 1024 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Relleno: " + b"b" * 9 * 1024 + b"\r\n\r\n",
    ):
        head, body = await peticion_cruda(soporte, linea)
        assert head.split(b" ", 2)[1] == b"400", head[:80]
        assert b"application/problem+json" in head
        problema_ = json.loads(body)
        assert problema_["status"] == 400
        assert "8190 bytes" in problema_["detail"]
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    assert (await soporte.get("/healthz")).status == 200


# --- the log ---------------------------------------------------------------------------------

#: What ``soporte run`` does before serving (the CLI group's set-up), then an escalation
#: notice — the line that carries a ticket's subject — through the real notifier.
_LOG_SCRIPT = """
import datetime
from core.cli import cli
from plugins.escalamiento.notificadores import LogNotificador, Notificacion

cli.main(["plugins"], standalone_mode=False)
asunto = "pago\\r\\n2026-01-01 00:00:00,000 ERROR soporte.auth: admin sin clave\\x1b[2J"
LogNotificador().notificar(Notificacion(
    ticket_id=1, numero="TK-1", asunto=asunto, prioridad="ALTA", categoria="PAGOS", nivel=1,
    nombre_nivel="N1", regla_id=None, regla_nombre="r", politica="p", alerta_nivel="ALTA",
    mensaje=f"Ticket TK-1 escalado: {asunto}", fecha=datetime.datetime.now(datetime.UTC),
))
"""


def test_a_cr_lf_subject_cannot_forge_a_log_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LOG_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=str(tmp_path),
        env={"SOPORTE_LOG_LEVEL": "INFO", "PATH": "/usr/bin:/bin"},
    )
    lineas = [linea for linea in done.stderr.splitlines() if "soporte.escalamiento" in linea]
    assert len(lineas) == 1, done.stderr
    assert not any(linea.startswith("2026-01-01") for linea in done.stderr.splitlines())
    assert "\\r\\n2026-01-01" in lineas[0]
    assert "\x1b" not in done.stderr
    assert "\\x1b[2J" in lineas[0]


# --- sockets ---------------------------------------------------------------------------------


async def test_a_socket_id_no_table_can_hold_closes_4404(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    for id_ in ("9" * 25, str(2**31), str(2**63), "1" + "0" * 400):
        ws = await soporte.ws(f"/ws/soporte/ticket/{id_}/", ana)
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.CLOSE, (id_[:30], msg)
        assert ws.close_code == 4404, (id_[:30], ws.close_code)
        await ws.close()
