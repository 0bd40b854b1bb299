"""Helpers for the ``casos`` tests: the guide's body, quick creation, backdating."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from plugins.casos.models import Caso

if TYPE_CHECKING:
    from core.auth.models import Usuario
    from core.testing import SoporteClient

URL = "/api/soporte/casos/"


def cuerpo_guia(**datos: Any) -> dict[str, Any]:
    """The JSON ``crearCasoSoporte`` sends for ``FormularioCaso``'s state.

    ``datosCaso.clienteId`` is undefined there, so ``JSON.stringify`` leaves
    ``cliente_afectado`` out; ``reservasIds`` is undefined, so ``[]`` is sent.
    """
    caso = {
        "tipo": "CONSULTA",
        "urgencia": "MEDIA",
        "titulo": "No puedo descargar mi voucher",
        "descripcion": "El enlace del correo da error.",
        "impacto": "INDIVIDUAL",
        **datos,
    }
    body: dict[str, Any] = {
        "tipo_caso": caso["tipo"],
        "urgencia": caso["urgencia"],
        "titulo": caso["titulo"],
        "descripcion": caso["descripcion"],
        "reservas_relacionadas": caso.get("reservasIds") or [],
        "impacto_estimado": caso.get("impacto") or "INDIVIDUAL",
    }
    if caso.get("clienteId") is not None:
        body["cliente_afectado"] = caso["clienteId"]
    return body


async def crear(soporte: SoporteClient, usuario: Usuario, **datos: Any) -> dict[str, Any]:
    """Create a case through the API as ``usuario`` (guide body with ``datos``); 201 expected."""
    r = await soporte.post(URL, json=cuerpo_guia(**datos), headers=soporte.auth(usuario))
    assert r.status == 201, await r.text()
    return await r.json()


async def fechar(caso_id: int, cuando: datetime) -> None:
    """Backdate a case's creation (ordering tests need distinct, known dates)."""
    await Caso.filter(id=caso_id).update(fecha_creacion=cuando)


async def poner_estado(caso_id: int, estado: str) -> None:
    """Set a case's state directly (fixtures for lists and counts, not the state machine)."""
    await Caso.filter(id=caso_id).update(estado=estado)


#: What the detail (GET/PATCH of one case) adds to the case object of lists and creation.
SOLO_DETALLE = frozenset({"respuestas", "tickets_relacionados", "transiciones"})


def objeto(detalle: dict[str, Any]) -> dict[str, Any]:
    """The case object inside a detail (its list/creation fields)."""
    return {k: v for k, v in detalle.items() if k not in SOLO_DETALLE}
