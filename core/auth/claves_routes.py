"""``/api/auth/claves/``: admins create, list, change and revoke API keys.

Every route here is :data:`~core.api.routing.SESSION_ONLY`: a key cannot mint, widen or
revoke keys (a stolen key must not give itself a future), only a logged-in admin can.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web

from core.api.errors import BadRequest, Conflict, NotFound
from core.api.pagination import Page, PageQuery, paginate
from core.api.routing import SESSION_ONLY, Result, Routes
from core.auth import claves
from core.auth.claves_models import ClaveApi
from core.auth.claves_schemas import ClaveCreada, ClaveIn, ClaveOut, ClavePatch
from core.auth.guards import current_user
from core.auth.models import Rol
from core.i18n import N_
from core.keys import ENDPOINTS, KEYRING
from core.storage import base_url

if TYPE_CHECKING:
    from collections.abc import Sequence

routes = Routes(tag="claves")

BASE = "/api/auth/claves/"
DETALLE = r"/api/auth/claves/{id:\d+}/"


def _alcances(request: web.Request, alcances: list[str]) -> list[str]:
    """``alcances`` without repeats, in order; a 400 naming any this app's routes never need."""
    conocidos = claves.known_scopes(e.scope for _, e in request.app[ENDPOINTS])
    malos = [a for a in alcances if a not in conocidos]
    if malos:
        raise BadRequest(
            "Datos inválidos.",
            errors={"alcances": [f"Alcance desconocido: {a}." for a in dict.fromkeys(malos)]},
        )
    return list(dict.fromkeys(alcances))


def _expira(expira: datetime | None) -> datetime | None:
    """``expira`` in UTC (a time without offset is UTC); a 400 if it is not in the future."""
    if expira is None:
        return None
    if expira.tzinfo is None:
        expira = expira.replace(tzinfo=UTC)
    if expira <= datetime.now(UTC):
        raise BadRequest("Datos inválidos.", errors={"expira": [N_("Debe ser una fecha futura.")]})
    return expira


async def _clave(id: int) -> ClaveApi:
    """The key ``id`` or a 404."""
    clave = await ClaveApi.get_or_none(id=id)
    if clave is None:
        raise NotFound()
    return clave


async def _cargar(ids: Sequence[int]) -> list[ClaveOut]:
    por_id = {c.id: c for c in await ClaveApi.filter(id__in=list(ids))}
    return [ClaveOut.de(por_id[i]) for i in ids if i in por_id]


@routes.get(BASE, auth=Rol.ADMIN, scope=SESSION_ONLY)
async def listar_claves(request: web.Request, query: PageQuery) -> Page[ClaveOut]:
    """Every API key, newest first, revoked ones included (ADMIN; never a secret)."""
    qs = ClaveApi.all().order_by("-id")
    return await paginate(request, qs, query, _cargar, ClaveOut)


@routes.post(
    BASE, auth=Rol.ADMIN, status=201, scope=SESSION_ONLY, headers=("Location", "Cache-Control")
)
async def crear_clave(request: web.Request, body: ClaveIn) -> Result[ClaveCreada]:
    """Create an API key (ADMIN): the answer carries its secret, shown this once."""
    admin = current_user(request)
    raw, prefijo, key_hash = claves.new_secret(request.app[KEYRING])
    clave = await ClaveApi.create(
        nombre=body.nombre.strip() or body.nombre,
        prefijo=prefijo,
        key_hash=key_hash,
        alcances=_alcances(request, body.alcances),
        expira=_expira(body.expira),
        creada_por_id=admin.id,
    )
    creada = ClaveCreada(**ClaveOut.de(clave).model_dump(), secreto=raw)
    location = f"{base_url(request)}/api/auth/claves/{clave.id}/"
    # no-store: no cache keeps the secret, nor does core.idempotency (it is not replayed).
    return Result(creada, headers={"Location": location, "Cache-Control": "no-store"})


@routes.get(DETALLE, auth=Rol.ADMIN, scope=SESSION_ONLY)
async def detalle_clave(request: web.Request, id: int) -> ClaveOut:
    """One API key (ADMIN)."""
    return ClaveOut.de(await _clave(id))


@routes.patch(DETALLE, auth=Rol.ADMIN, scope=SESSION_ONLY, errors=(409,))
async def cambiar_clave(request: web.Request, id: int, body: ClavePatch) -> ClaveOut:
    """Rename a key, change its scopes or its expiry (ADMIN); a revoked key is a 409."""
    clave = await _clave(id)
    if clave.revocada:
        raise Conflict("La clave está revocada: cree una nueva.")
    cambios = body.model_dump(exclude_unset=True)
    if cambios.get("nombre") is not None:
        clave.nombre = cambios["nombre"]
    if cambios.get("alcances") is not None:
        clave.alcances = _alcances(request, cambios["alcances"])
    if "expira" in cambios:
        clave.expira = _expira(cambios["expira"])
    await clave.save(update_fields=["nombre", "alcances", "expira"])
    return ClaveOut.de(clave)


async def _revocar(id: int) -> ClaveApi:
    """Revoke the key ``id`` (again: nothing changes); the next request with it is a 401."""
    clave = await _clave(id)
    if not clave.revocada:
        ahora = datetime.now(UTC)
        await ClaveApi.filter(id=id).update(revocada=True, fecha_revocacion=ahora)
        clave.revocada, clave.fecha_revocacion = True, ahora
    return clave


@routes.post(rf"{DETALLE}revocar/", auth=Rol.ADMIN, scope=SESSION_ONLY)
async def revocar_clave(request: web.Request, id: int) -> ClaveOut:
    """Revoke an API key (ADMIN): every process refuses it from the next request on."""
    return ClaveOut.de(await _revocar(id))


@routes.delete(DETALLE, auth=Rol.ADMIN, scope=SESSION_ONLY)
async def borrar_clave(request: web.Request, id: int) -> None:
    """Revoke an API key (ADMIN), as ``POST …/revocar/``; it stays listed, revoked."""
    await _revocar(id)
