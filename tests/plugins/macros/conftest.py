"""Fixtures of the ``macros`` tests: an app with tickets and macros, and its people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from core.auth.models import Equipo, Rol

if TYPE_CHECKING:
    from core.auth.models import Usuario
    from core.testing import SoporteClient

TICKET = {
    "asunto": "No puedo descargar la factura",
    "descripcion": "Da error",
    "categoria": "PAGOS",
}


@dataclass
class Gente:
    """A customer (Ana Pérez), a customer without a name, two agents (one in the team ``Pagos``),
    an admin, and the team."""

    s: SoporteClient
    ana: Usuario
    anonima: Usuario
    carla: Usuario
    luis: Usuario
    admin: Usuario
    pagos: Equipo

    async def api(self, metodo: str, ruta: str, usuario: Usuario, **kw: Any) -> Any:
        """Call the API as ``usuario``; the response."""
        return await self.s.request(metodo, ruta, headers=self.s.auth(usuario), **kw)

    async def ok(self, metodo: str, ruta: str, usuario: Usuario, **kw: Any) -> Any:
        """A call that must succeed (2xx); its JSON (``None`` for a 204)."""
        r = await self.api(metodo, ruta, usuario, **kw)
        assert r.status < 300, (ruta, r.status, await r.text())
        return None if r.status == 204 else await r.json()

    async def ticket(self, cliente: Usuario | None = None) -> dict[str, Any]:
        """A new ticket of ``cliente`` (Ana by default)."""
        return await self.ok("POST", "/api/soporte/tickets/", cliente or self.ana, json=TICKET)

    async def macro(self, usuario: Usuario | None = None, **campos: Any) -> dict[str, Any]:
        """A new macro by ``usuario`` (Carla by default): PERSONAL, "Saludo", unless told."""
        cuerpo = {"nombre": "Saludo", "mensaje": "Hola", **campos}
        return await self.ok("POST", "/api/soporte/macros/", usuario or self.carla, json=cuerpo)


@pytest.fixture
async def gente(soporte: SoporteClient) -> Gente:
    """The people of every macros test."""
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    luis = await soporte.usuario("luis", Rol.AGENTE, nombre="Luis Gil")
    pagos = await Equipo.create(nombre="Pagos", categorias=[])
    await pagos.miembros.add(carla)
    return Gente(
        s=soporte,
        ana=await soporte.usuario("ana", nombre="Ana Pérez"),
        anonima=await soporte.usuario("anonima", nombre=""),
        carla=carla,
        luis=luis,
        admin=await soporte.usuario("jefa", Rol.ADMIN, nombre="Jefa"),
        pagos=pagos,
    )
