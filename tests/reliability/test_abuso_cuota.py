"""Storage exhaustion: the per-user upload quota and the orphan-upload sweep.

Without them one user could upload 10 files × 10 MiB a request, as many requests as they like,
and never attach any: every byte was kept forever. Now the bytes one user uploads per hour and
per day are capped (429 with ``Retry-After``; the refused request leaves nothing on disk), and
uploads attached to nothing past ``upload_orphan_hours`` are deleted — by exactly one process,
and never one that got attached meanwhile.
"""

from __future__ import annotations

import asyncio
import contextvars
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from core import keys
from core.api.errors import TooManyRequests
from core.db import activate
from core.storage import Upload
from plugins.tickets import service
from plugins.tickets.cuota import Cuota, comprobar_cuota
from plugins.tickets.limpieza import barrer, borrar, candidatos
from plugins.tickets.models import Adjunto, Ticket
from plugins.tickets.plugin import NOMBRE_BARRIDO
from tests.reliability.ayudas import archivos, media_de
from tests.reliability.test_abuso_adjuntos import CAMPOS, enviar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path
    from typing import Any

    from aiohttp import web

    from core.auth.models import Usuario
    from core.testing import SoporteClient

KIB = 1024
#: The test quota: 10 KiB (in MiB, as the setting is given).
CUOTA_MB = 10 / 1024
ADJUNTOS = "/api/soporte/adjuntos/"
DIA = timedelta(hours=24)


def archivo(n: int, nombre: str = "a.bin") -> list[tuple[str, str | None, bytes, str | None]]:
    """One file part of ``n`` KiB."""
    return [("archivo", nombre, b"x" * (n * KIB), None)]


async def test_quota_over_several_requests_is_429_with_retry_after_and_leaves_nothing(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    soporte = await start_app(upload_quota_mb_per_hour=CUOTA_MB)
    ana = await soporte.usuario("ana")
    luis = await soporte.usuario("luis")
    for _ in range(2):
        r = await enviar(soporte, ana, ADJUNTOS, archivo(4))
        assert r.status == 201, await r.text()
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(ana),
        json={"asunto": "a", "categoria": "PAGOS", "descripcion": "b"},
    )
    ticket = (await r.json())["id"]
    intentos = {
        "upload": (ADJUNTOS, archivo(4)),
        "ticket with a file": ("/api/soporte/tickets/", [*CAMPOS, *archivo(4)]),
        "reply with a file": (
            f"/api/soporte/tickets/{ticket}/responder/",
            [("mensaje", None, b"Hola", None), *archivo(4)],
        ),
    }
    for caso, (ruta, partes) in intentos.items():
        r = await enviar(soporte, ana, ruta, partes)
        assert r.status == 429, (caso, await r.text())
        assert r.content_type == "application/problem+json"
        cuerpo = await r.json()
        assert "como máximo 10 KiB por hora" in cuerpo["detail"], caso  # names the quota
        assert "Cuota de subida" in cuerpo["detail"] and "por hora" in cuerpo["detail"], caso
        # The oldest 4 KiB leave the window in just under an hour: then 4 KiB fit again.
        assert 3500 <= int(r.headers["Retry-After"]) <= 3600, caso
        assert await Adjunto.all().count() == 2, caso
        assert len(archivos(media_de(soporte))) == 2, caso
    assert await Ticket.all().count() == 1  # the refused ticket was not created either
    # Exactly up to the quota is fine; another user has their own.
    r = await enviar(soporte, ana, ADJUNTOS, archivo(2))
    assert r.status == 201, await r.text()
    r = await enviar(soporte, luis, ADJUNTOS, archivo(8))
    assert r.status == 201, await r.text()


async def test_daily_quota_and_a_request_larger_than_the_quota(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    soporte = await start_app(upload_quota_mb_per_hour=0, upload_quota_mb_per_day=CUOTA_MB)
    ana = await soporte.usuario("ana")
    r = await enviar(soporte, ana, ADJUNTOS, archivo(11))
    assert r.status == 429
    assert "por día" in (await r.json())["detail"]
    # It never fits: the whole window is the honest answer.
    assert int(r.headers["Retry-After"]) == 86400
    assert archivos(media_de(soporte)) == []
    # Uploads older than the window no longer count.
    r = await enviar(soporte, ana, ADJUNTOS, archivo(8))
    assert r.status == 201
    await Adjunto.all().update(fecha_creacion=datetime.now(UTC) - timedelta(hours=25))
    r = await enviar(soporte, ana, ADJUNTOS, archivo(8))
    assert r.status == 201, await r.text()


async def test_parallel_uploads_over_quota_are_not_both_accepted(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    soporte = await start_app(upload_quota_mb_per_hour=CUOTA_MB)
    ana = await soporte.usuario("ana")
    respuestas = await asyncio.gather(
        *(enviar(soporte, ana, ADJUNTOS, archivo(6, f"{i}.bin")) for i in range(4))
    )
    assert sorted(r.status for r in respuestas) == [201, 429, 429, 429]
    assert await Adjunto.all().count() == 1
    assert len(archivos(media_de(soporte))) == 1


async def _subido(soporte: SoporteClient, usuario: Usuario, hace: timedelta) -> dict[str, Any]:
    """Upload one small file and make it ``hace`` old; its API object."""
    r = await enviar(soporte, usuario, ADJUNTOS, archivo(1))
    assert r.status == 201, await r.text()
    [adjunto] = await r.json()
    await Adjunto.filter(id=adjunto["id"]).update(fecha_creacion=datetime.now(UTC) - hace)
    return dict(adjunto)


async def _en_disco(soporte: SoporteClient, adjunto_id: int) -> bool:
    """Whether the row of ``adjunto_id`` exists and its file is on disk."""
    fila = await Adjunto.get_or_none(id=adjunto_id)
    return fila is not None and soporte.app[keys.STORAGE].path(fila.clave).is_file()


async def test_sweep_deletes_old_orphans_and_keeps_young_and_attached_ones(
    soporte: SoporteClient, caplog: Any
) -> None:
    ana = await soporte.usuario("ana")
    viejos = [await _subido(soporte, ana, timedelta(hours=30)) for _ in range(5)]
    joven = await _subido(soporte, ana, timedelta(hours=2))
    adjuntado = await _subido(soporte, ana, timedelta(hours=30))
    body = {"asunto": "a", "categoria": "PAGOS", "descripcion": "b"}
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(ana),
        json={**body, "archivos_adjuntos": [adjuntado["id"]]},
    )
    assert r.status == 201
    claves = {a.id: a.clave for a in await Adjunto.all()}
    caplog.set_level("INFO", logger="soporte.tickets")
    # Small batches: a pass deletes them all, a batch at a time.
    assert await barrer(soporte.app[keys.STORAGE], DIA, lote=2) == 5
    assert "5 unattached upload(s)" in caplog.text
    assert sorted(await Adjunto.all().values_list("id", flat=True)) == sorted(
        [joven["id"], adjuntado["id"]]
    )
    restantes = {claves[joven["id"]], claves[adjuntado["id"]]}
    media = media_de(soporte)
    assert {p.relative_to(media).as_posix() for p in archivos(media)} == restantes
    assert await _en_disco(soporte, adjuntado["id"])
    # Nothing left to do: a second pass deletes nothing (and logs nothing).
    caplog.clear()
    assert await barrer(soporte.app[keys.STORAGE], DIA) == 0
    assert "orphan sweep" not in caplog.text
    # A deleted orphan is an unknown attachment: the existing 400.
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(ana),
        json={**body, "archivos_adjuntos": [viejos[0]["id"]]},
    )
    assert r.status == 400
    assert "archivos_adjuntos" in (await r.json())["errors"]


async def test_attach_committed_after_the_sweep_chose_a_row_wins(soporte: SoporteClient) -> None:
    """The race attach-vs-sweep, in its dangerous order: the sweep has picked its candidates,
    then the attach commits, then the sweep deletes. The attached file stays."""
    ana = await soporte.usuario("ana")
    adjunto = await _subido(soporte, ana, timedelta(hours=30))
    elegidos = await candidatos(datetime.now(UTC) - DIA, 100)
    assert elegidos == [adjunto["id"]]
    r = await soporte.post(
        f"/api/soporte/tickets/{(await _ticket(soporte, ana))}/responder/",
        headers=soporte.auth(ana),
        json={"mensaje": "Adjunto la factura", "archivos_adjuntos": [adjunto["id"]]},
    )
    assert r.status == 201, await r.text()
    assert await borrar(elegidos) == []
    assert await _en_disco(soporte, adjunto["id"])


async def _ticket(soporte: SoporteClient, usuario: Usuario) -> int:
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(usuario),
        json={"asunto": "a", "categoria": "PAGOS", "descripcion": "b"},
    )
    assert r.status == 201
    return int((await r.json())["id"])


async def test_attach_racing_the_sweep_either_stays_attached_or_fails_cleanly(
    soporte: SoporteClient,
) -> None:
    ana = await soporte.usuario("ana")
    ticket = await _ticket(soporte, ana)
    subidos = [await _subido(soporte, ana, timedelta(hours=30)) for _ in range(20)]

    async def adjuntar(adjunto: dict[str, Any]) -> int:
        r = await soporte.post(
            f"/api/soporte/tickets/{ticket}/responder/",
            headers=soporte.auth(ana),
            json={"mensaje": "Hola", "archivos_adjuntos": [adjunto["id"]]},
        )
        assert r.status in (201, 400), await r.text()
        return r.status

    resultados = await asyncio.gather(
        *(adjuntar(a) for a in subidos), barrer(soporte.app[keys.STORAGE], DIA, lote=3)
    )
    *estados, borrados = resultados
    assert estados.count(400) == borrados
    for adjunto, estado in zip(subidos, estados, strict=True):
        fila = await Adjunto.get_or_none(id=adjunto["id"])
        if estado == 201:  # attached: row and file kept
            assert fila is not None and fila.ticket_id == ticket
            assert await _en_disco(soporte, adjunto["id"])
        else:  # swept first: gone, and the attach was the usual 400
            assert fila is None
    assert len(archivos(media_de(soporte))) == estados.count(201)


async def test_two_processes_sweeping_at_once_delete_each_row_once(
    start_app: Callable[..., Awaitable[SoporteClient]],
    make_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    soporte_database_url: str,
    tmp_path: Path,
) -> None:
    """Two applications on one database (a shared SQLite file, or the test PostgreSQL), each
    with its own connection, sweep at the same moment; attached uploads are never deleted."""
    compartida = f"sqlite://{tmp_path}/compartida.db"
    url = compartida if soporte_database_url.startswith("sqlite") else soporte_database_url
    soporte = await start_app(database_url=url)
    otra = make_app(database_url=url, media_dir=soporte.app[keys.SETTINGS].media_dir)
    await aiohttp_client(otra)
    ana = await soporte.usuario("ana")
    huerfanos = [await _subido(soporte, ana, timedelta(hours=30)) for _ in range(30)]
    adjuntados = [await _subido(soporte, ana, timedelta(hours=30)) for _ in range(3)]
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(ana),
        json={
            "asunto": "a",
            "categoria": "PAGOS",
            "descripcion": "b",
            "archivos_adjuntos": [a["id"] for a in adjuntados],
        },
    )
    assert r.status == 201, await r.text()
    fallos: list[Exception] = []

    async def proceso(app: web.Application) -> int:
        with activate(app[keys.DB].ctx):
            total = 0
            for _ in range(200):
                try:
                    total += await barrer(app[keys.STORAGE], DIA, lote=4)
                except OperationalError as exc:  # SQLite: the other writer holds the file
                    fallos.append(exc)
                    await asyncio.sleep(0.005)  # the sweep's interval, shortened
                    continue
                if not await candidatos(datetime.now(UTC) - DIA, 1):
                    return total
        raise AssertionError("the sweeps never finished")

    totales = await asyncio.gather(proceso(soporte.app), proceso(otra))
    assert sum(totales) == len(huerfanos)
    assert sorted(await Adjunto.all().values_list("id", flat=True)) == [a["id"] for a in adjuntados]
    assert len(archivos(media_de(soporte))) == len(adjuntados)
    assert all("locked" in str(f) for f in fallos)


async def test_the_sweep_runs_in_the_background_when_an_interval_is_set(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    apagado = await start_app()
    assert NOMBRE_BARRIDO not in {t.get_name() for t in asyncio.all_tasks()}
    assert apagado.app[keys.SETTINGS].upload_sweep_interval_seconds == 0
    await start_app(upload_sweep_interval_seconds=3600)
    assert NOMBRE_BARRIDO in {t.get_name() for t in asyncio.all_tasks()}


async def test_a_second_transaction_of_the_same_user_counts_after_the_first_commits(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    """The interleaving the parallel test may not hit: while one request's transaction has
    recorded its files and passed the check, a second request of the same user must wait for
    it (PostgreSQL: the per-user advisory lock; SQLite: one writer) and then be refused."""
    soporte = await start_app(upload_quota_mb_per_hour=CUOTA_MB)
    ana = await soporte.usuario("ana")
    cuota = Cuota.de(soporte.app[keys.SETTINGS])
    storage = soporte.app[keys.STORAGE]

    def subida() -> Upload:
        return Upload("archivo", storage.new_key(), "a.bin", "application/octet-stream", 6 * KIB)

    # The second request's task must not inherit the first one's transaction (a contextvar).
    fuera = contextvars.copy_context()
    async with in_transaction() as primera:
        fila = await Adjunto.create(
            clave=storage.new_key(), nombre="a", tipo="x", tamano=6 * KIB, subido_por=ana,
            using_db=primera,
        )  # fmt: skip
        await comprobar_cuota(primera, ana.id, cuota, [fila.id])
        segunda = asyncio.create_task(
            service.guardar_adjuntos(ana, [subida()], cuota), context=fuera
        )
        # Without serialisation the second one would count only its own 6 KiB and pass now.
        terminadas, _ = await asyncio.wait({segunda}, timeout=0.5)
        assert not terminadas
    with pytest.raises(TooManyRequests):
        await segunda
    assert await Adjunto.all().count() == 1
