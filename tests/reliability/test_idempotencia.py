"""``Idempotency-Key`` on every creating POST: a retry returns the first answer and creates
nothing — across processes; another body under the same key is a 422, a retry while the first
runs a 409; a failed first request releases the key; answers are kept 24 h, then swept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp

from core import idempotency
from core.auth.claves_models import Idempotencia
from core.auth.models import Rol
from plugins.casos.models import Caso
from plugins.tickets.models import Adjunto, Respuesta, Ticket

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from core.auth.models import Usuario
    from core.testing import SoporteClient

TICKETS = "/api/soporte/tickets/"
TICKET = {"asunto": "No carga la reserva", "categoria": "TECNICO", "descripcion": "Error 500"}


def con_clave(soporte: SoporteClient, usuario: Usuario, clave: str) -> dict[str, str]:
    """``usuario``'s headers with ``Idempotency-Key: clave``."""
    return {**soporte.auth(usuario), "Idempotency-Key": clave}


async def test_a_retry_returns_the_first_answer_and_creates_nothing(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    headers = con_clave(soporte, ana, "9b2f0c7e-crear-ticket")
    primera = await soporte.post(TICKETS, headers=headers, json=TICKET)
    assert primera.status == 201, await primera.text()
    cuerpo = await primera.json()
    assert "Idempotent-Replayed" not in primera.headers
    for _ in range(3):
        # The same request, keys of the JSON in another order: the same request.
        otra = await soporte.post(TICKETS, headers=headers, json=dict(reversed(TICKET.items())))
        assert otra.status == 201
        assert await otra.json() == cuerpo
        assert otra.headers["Idempotent-Replayed"] == "true"
        assert otra.headers["Content-Type"].startswith("application/json")
        for cabecera in ("Location",):
            assert otra.headers.get(cabecera) == primera.headers.get(cabecera)
    # The path without its trailing slash is the same route.
    otra = await soporte.post(TICKETS.rstrip("/"), headers=headers, json=TICKET)
    assert otra.status == 201 and await otra.json() == cuerpo
    assert await Ticket.all().count() == 1
    # Without the header, or with another key: a new ticket each time.
    assert (await soporte.post(TICKETS, headers=soporte.auth(ana), json=TICKET)).status == 201
    r = await soporte.post(TICKETS, headers=con_clave(soporte, ana, "otra"), json=TICKET)
    assert r.status == 201 and (await r.json())["id"] != cuerpo["id"]
    assert await Ticket.all().count() == 3


async def test_replies_cases_and_faqs_too(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    ticket = await (await soporte.post(TICKETS, headers=soporte.auth(ana), json=TICKET)).json()
    caso = {"tipo_caso": "RECLAMO", "urgencia": "ALTA", "titulo": "Cobro", "descripcion": "Doble"}
    faq = {"pregunta": "¿Cómo pago?", "respuesta": "Con tarjeta.", "categoria": "PAGOS"}
    llamadas = [
        (ana, f"{TICKETS}{ticket['id']}/responder/", {"mensaje": "Hola"}, Respuesta),
        (ana, "/api/soporte/casos/", caso, Caso),
        (admin, "/api/soporte/faqs/", faq, None),
    ]
    for usuario, ruta, cuerpo, modelo in llamadas:
        antes = await modelo.all().count() if modelo else 0
        respuestas = [
            await soporte.post(ruta, headers=con_clave(soporte, usuario, f"k-{ruta}"), json=cuerpo)
            for _ in range(2)
        ]
        assert [r.status for r in respuestas] == [201, 201], ruta
        assert await respuestas[0].json() == await respuestas[1].json(), ruta
        if modelo:
            assert await modelo.all().count() == antes + 1, ruta


async def test_another_body_or_path_under_the_same_key_is_422(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    headers = con_clave(soporte, ana, "clave-1")
    assert (await soporte.post(TICKETS, headers=headers, json=TICKET)).status == 201
    r = await soporte.post(TICKETS, headers=headers, json={**TICKET, "asunto": "Otro asunto"})
    assert r.status == 422 and r.content_type == "application/problem+json"
    assert "Idempotency-Key ya se usó" in (await r.json())["detail"]
    caso = {"tipo_caso": "RECLAMO", "urgencia": "ALTA", "titulo": "Cobro", "descripcion": "Doble"}
    assert (await soporte.post("/api/soporte/casos/", headers=headers, json=caso)).status == 422
    assert await Ticket.all().count() == 1 and await Caso.all().count() == 0


async def test_keys_are_per_principal(soporte: SoporteClient) -> None:
    """Another user (or an API key of the same admin) with the same key is another request."""
    ana = await soporte.usuario("ana")
    beto = await soporte.usuario("beto")
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    ids = set()
    for usuario in (ana, beto, admin):
        r = await soporte.post(TICKETS, headers=con_clave(soporte, usuario, "igual"), json=TICKET)
        assert r.status == 201 and "Idempotent-Replayed" not in r.headers
        ids.add((await r.json())["id"])
    r = await soporte.post(
        "/api/auth/claves/",
        headers=soporte.auth(admin),
        json={"nombre": "CRM", "alcances": ["tickets:write"]},
    )
    secreto = (await r.json())["secreto"]
    headers = {"Authorization": f"Bearer {secreto}", "Idempotency-Key": "igual"}
    for _ in range(2):
        r = await soporte.post(TICKETS, headers=headers, json=TICKET)
        assert r.status == 201
        ids.add((await r.json())["id"])
    assert len(ids) == 4 and await Ticket.all().count() == 4


async def test_a_retry_while_the_first_runs_is_409(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    headers = con_clave(soporte, ana, "en-curso")
    huella_falsa = "0" * 64
    # A first request still running (its claim, as begin() leaves it), in another process.
    await Idempotencia.create(
        principal=f"u:{ana.id}",
        clave="en-curso",
        huella=huella_falsa,
        expira=datetime.now(UTC) + idempotency.LEASE,
    )
    await Idempotencia.filter(clave="en-curso").update(huella=await huella_de(soporte, ana))
    r = await soporte.post(TICKETS, headers=headers, json=TICKET)
    assert r.status == 409 and r.headers["Retry-After"] == "1"
    assert "en curso" in (await r.json())["detail"]
    assert await Ticket.all().count() == 0
    # The claim of a process that died lapses: then a retry runs.
    await Idempotencia.filter(clave="en-curso").update(expira=datetime.now(UTC))
    r = await soporte.post(TICKETS, headers=headers, json=TICKET)
    assert r.status == 201 and await Ticket.all().count() == 1


async def huella_de(soporte: SoporteClient, ana: Usuario) -> str:
    """The fingerprint of ``POST TICKETS`` with :data:`TICKET` (learnt from a real request
    under a throwaway key, then deleted with its ticket)."""
    r = await soporte.post(TICKETS, headers=con_clave(soporte, ana, "sonda"), json=TICKET)
    assert r.status == 201
    fila = await Idempotencia.get(clave="sonda")
    await fila.delete()
    await Ticket.filter(id=(await r.json())["id"]).delete()
    return fila.huella


async def test_concurrent_duplicates_create_one(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    headers = con_clave(soporte, ana, "carrera")
    respuestas = await asyncio.gather(
        *(soporte.post(TICKETS, headers=headers, json=TICKET) for _ in range(8))
    )
    estados = sorted(r.status for r in respuestas)
    assert set(estados) <= {201, 409} and 201 in estados, estados
    ids = {(await r.json())["id"] for r in respuestas if r.status == 201}
    assert len(ids) == 1 and await Ticket.all().count() == 1
    for r in respuestas:
        if r.status == 409:
            assert r.headers["Retry-After"] == "1"


async def test_a_failed_first_request_releases_the_key(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    beto = await soporte.usuario("beto")
    headers = con_clave(soporte, ana, "fallida")
    # A ticket replied to by someone who may not see it: the handler's 404.
    ajeno = await (await soporte.post(TICKETS, headers=soporte.auth(beto), json=TICKET)).json()
    ruta = f"{TICKETS}{ajeno['id']}/responder/"
    for _ in range(2):
        r = await soporte.post(ruta, headers=headers, json={"mensaje": "Hola"})
        assert r.status == 404 and "Idempotent-Replayed" not in r.headers
    assert await Idempotencia.all().count() == 0
    # Validation errors (before anything runs) keep nothing either.
    r = await soporte.post(TICKETS, headers=headers, json={"asunto": ""})
    assert r.status == 400 and await Idempotencia.all().count() == 0
    assert (await soporte.post(TICKETS, headers=headers, json=TICKET)).status == 201


async def test_bad_keys_are_400_and_anonymous_requests_ignore_the_header(
    soporte: SoporteClient,
) -> None:
    ana = await soporte.usuario("ana")
    for mala in ("x" * 256, "con espacio", "ñ"):
        r = await soporte.post(
            TICKETS, headers={**soporte.auth(ana), "Idempotency-Key": mala}, json=TICKET
        )
        assert r.status == 400, mala
    assert await Ticket.all().count() == 0
    cuerpo = {"username": "nuevo1", "password": "una-clave-larga", "email": ""}
    r = await soporte.post("/api/auth/registro/", headers={"Idempotency-Key": "r"}, json=cuerpo)
    assert r.status == 201 and await Idempotencia.all().count() == 0


def formulario(contenido: bytes) -> aiohttp.FormData:
    """A two-file upload."""
    fd = aiohttp.FormData()
    fd.add_field("archivo_0", contenido, filename="a.pdf", content_type="application/pdf")
    fd.add_field("archivo_1", b"%PDF-1.4 dos", filename="b.pdf", content_type="application/pdf")
    return fd


async def test_uploads_are_stored_once(soporte: SoporteClient, tmp_path: Path) -> None:
    ana = await soporte.usuario("ana")
    headers = {"Authorization": soporte.auth(ana)["Authorization"], "Idempotency-Key": "subida"}
    ruta = "/api/soporte/adjuntos/"
    primera = await soporte.post(ruta, headers=headers, data=formulario(b"%PDF-1.4 uno"))
    assert primera.status == 201, await primera.text()
    segunda = await soporte.post(ruta, headers=headers, data=formulario(b"%PDF-1.4 uno"))
    assert segunda.status == 201 and await segunda.json() == await primera.json()
    assert await Adjunto.all().count() == 2
    archivos = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert len(archivos) == 2, archivos
    # Same names and sizes, another content: another request.
    r = await soporte.post(ruta, headers=headers, data=formulario(b"%PDF-1.4 UNO"))
    assert r.status == 422
    assert len([p for p in (tmp_path / "media").rglob("*") if p.is_file()]) == 2


async def test_answers_expire_after_a_day_and_are_swept(soporte: SoporteClient) -> None:
    ana = await soporte.usuario("ana")
    headers = con_clave(soporte, ana, "de-ayer")
    primera = await (await soporte.post(TICKETS, headers=headers, json=TICKET)).json()
    fila = await Idempotencia.get(clave="de-ayer")
    assert fila.terminada and fila.expira - fila.creada == idempotency.TTL
    assert await idempotency.sweep() == 0
    assert await idempotency.sweep(fila.creada + idempotency.TTL) == 1
    r = await soporte.post(TICKETS, headers=headers, json=TICKET)
    assert r.status == 201 and (await r.json())["id"] != primera["id"]
    # An expired row not swept yet is no answer either.
    await Idempotencia.filter(clave="de-ayer").update(expira=datetime.now(UTC) - timedelta(1))
    r = await soporte.post(TICKETS, headers=headers, json=TICKET)
    assert r.status == 201 and "Idempotent-Replayed" not in r.headers
    assert await Ticket.all().count() == 3


async def test_a_retry_to_another_process_gets_the_first_answer(
    start_app: Callable[..., Awaitable[SoporteClient]], soporte_database_url: str, tmp_path: Path
) -> None:
    """Two apps on one database: the retry reaches the other one, which replays."""
    url = soporte_database_url
    if url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'compartida.sqlite3'}"
    uno = await start_app(database_url=url)
    dos = await start_app(database_url=url)
    ana = await dos.usuario("ana")
    headers = con_clave(dos, ana, "entre-procesos")
    primera = await uno.post(TICKETS, headers=headers, json=TICKET)
    segunda = await dos.post(TICKETS, headers=headers, json=TICKET)
    assert primera.status == segunda.status == 201
    assert await primera.json() == await segunda.json()
    assert segunda.headers["Idempotent-Replayed"] == "true"
    assert await Ticket.all().count() == 1
    # Concurrent, one request to each process: one ticket.
    otra = con_clave(dos, ana, "carrera-entre-procesos")
    respuestas: list[Any] = await asyncio.gather(
        *(app.post(TICKETS, headers=otra, json=TICKET) for app in (uno, dos, uno, dos))
    )
    assert {r.status for r in respuestas} <= {201, 409}
    assert len({(await r.json())["id"] for r in respuestas if r.status == 201}) == 1
    assert await Ticket.all().count() == 2


async def test_an_answer_with_a_secret_is_never_stored(soporte: SoporteClient) -> None:
    """A new API key's secret must not sit in clear in the idempotency table: that answer
    (``Cache-Control: no-store``) is not kept, and a retry makes another key."""
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    headers = con_clave(soporte, admin, "clave-nueva")
    cuerpo = {"nombre": "CRM", "alcances": ["tickets:read"]}
    primera = await soporte.post("/api/auth/claves/", headers=headers, json=cuerpo)
    assert primera.status == 201 and primera.headers["Cache-Control"] == "no-store"
    secreto = (await primera.json())["secreto"]
    assert await Idempotencia.all().count() == 0
    segunda = await soporte.post("/api/auth/claves/", headers=headers, json=cuerpo)
    assert segunda.status == 201 and (await segunda.json())["secreto"] != secreto
