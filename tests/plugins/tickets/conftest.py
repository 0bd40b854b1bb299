"""Helpers shared by the tickets tests: creating tickets through the API, counting queries."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterator
from typing import Any

import aiohttp

from core.auth.models import Usuario
from core.outbox_models import Envio
from core.testing import SoporteClient, token_of
from plugins.tickets.models import Adjunto

GUIA = {
    "asunto": "Problema con el pago de mi reserva",
    "categoria": "PAGOS",
    "prioridad": "ALTA",
    "descripcion": "No puedo completar el pago de mi reserva #123",
    "archivos_adjuntos": [],
    "reserva_relacionada": 123,
}


async def crear(soporte: SoporteClient, usuario: Usuario, **campos: Any) -> dict[str, Any]:
    """Create a ticket as the guide's ``crearTicket`` does; returns the ticket object."""
    body = {**GUIA, **campos}
    r = await soporte.post("/api/soporte/tickets/", headers=soporte.auth(usuario), json=body)
    assert r.status == 201, await r.text()
    return await r.json()


async def adjuntar(
    usuario: Usuario, ticket_id: int, respuesta_id: int | None = None, nombre: str = "captura.png"
) -> None:
    """A stored file's row on a ticket (or on one of its replies), uploaded by ``usuario``."""
    await Adjunto.create(
        clave=f"{secrets.token_hex(1)}/{secrets.token_hex(16)}",
        nombre=nombre,
        tipo="image/png",
        tamano=10,
        subido_por=usuario,
        ticket_id=ticket_id,
        respuesta_id=respuesta_id,
    )


def bearer(usuario: Usuario) -> dict[str, str]:
    """Only the Authorization header, as the guide sends it with FormData bodies."""
    return {"Authorization": f"Bearer {token_of(usuario)}"}


def formulario(campos: dict[str, str], archivos: dict[str, tuple[str, bytes, str]]) -> Any:
    """A multipart body like a browser's FormData: text fields, then files."""
    fd = aiohttp.FormData()
    for nombre, valor in campos.items():
        fd.add_field(nombre, valor)
    for campo, (nombre, datos, tipo) in archivos.items():
        fd.add_field(campo, datos, filename=nombre, content_type=tipo)
    return fd


async def responder(
    soporte: SoporteClient,
    usuario: Usuario,
    ticket_id: int,
    mensaje: str,
    archivos: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]  # read-only default
) -> aiohttp.ClientResponse:
    """Reply as the guide's ``responderTicket`` does: FormData with ``archivo_N``."""
    files = {f"archivo_{i}": archivo for i, archivo in enumerate(archivos)}
    return await soporte.post(
        f"/api/soporte/tickets/{ticket_id}/responder/",
        headers=bearer(usuario),
        data=formulario({"mensaje": mensaje}, files),
    )


class _Contador(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sentencias: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        mensaje = record.getMessage()
        # The outbox worker, woken by the writes a test made just before, may claim its mail
        # while the request runs (on PostgreSQL it often does): its statements are not the
        # request's.
        if f'"{Envio._meta.db_table}"' in mensaje:
            return
        if mensaje.lstrip().split(" ", 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
            self.sentencias.append(mensaje)


@contextlib.contextmanager
def contar_consultas() -> Iterator[list[str]]:
    """Collect every SQL statement tortoise runs inside the block (from its query log)."""
    logger = logging.getLogger("tortoise.db_client")
    handler = _Contador()
    nivel = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler.sentencias
    finally:
        logger.removeHandler(handler)
        logger.setLevel(nivel)
