"""``/api/soporte/faqs/``: the public, searchable FAQ list, categories, votes, admin changes.

Visibility: anyone (no token needed) sees active FAQs; an inactive FAQ exists only for ADMINs
(a 404 for everybody else, so its existence does not leak).
"""

from __future__ import annotations

from aiohttp import web

from core.api import PUBLIC, TOKEN, Page, Result, Routes
from core.api.pagination import page_links
from core.auth.guards import current_user, has_role
from core.auth.models import Rol, Usuario
from core.keys import USUARIO
from core.storage import base_url
from plugins.faq import service
from plugins.faq.schemas import CategoriaOut, FAQIn, FAQOut, FAQPatch, FAQQuery, ValorarIn

routes = Routes(
    tag="faq",
    description="The public, searchable FAQ: categories, votes, and admins' changes.",
)

BASE = "/api/soporte/faqs/"
DETALLE = r"/api/soporte/faqs/{id:\d+}/"


def _ve_inactivas(usuario: Usuario | None) -> bool:
    """Only admins manage (and so see) inactive FAQs."""
    return usuario is not None and has_role(usuario, Rol.ADMIN)


def _out(faq: object) -> FAQOut:
    return FAQOut.model_validate(faq)


@routes.get(BASE, auth=PUBLIC)
async def listar(request: web.Request, query: FAQQuery) -> Page[FAQOut]:
    """FAQs, paginated: filter by ``categoria``, search with ``q`` (ranked by relevance).

    Without ``q`` the order is ``orden`` then id. Non-admins only ever see active FAQs; an
    ADMIN sees inactive ones too unless ``activas=true``.
    """
    admin = _ve_inactivas(request[USUARIO])
    total, ids = await service.buscar(
        service.Consulta(
            q=query.q,
            categoria=query.categoria,
            solo_activas=not admin or query.activas is True,
            offset=(query.page - 1) * query.size,
            limit=query.size,
        )
    )
    nxt, prev = page_links(request, query, total)
    faqs = await service.cargar(ids)
    return Page[FAQOut](count=total, next=nxt, previous=prev, results=[_out(f) for f in faqs])


@routes.get(f"{BASE}categorias/", auth=PUBLIC)
async def categorias(request: web.Request) -> list[CategoriaOut]:
    """Every category with active FAQs, and how many (an array, alphabetical)."""
    return [CategoriaOut(categoria=c, total=n) for c, n in await service.categorias()]


@routes.get(DETALLE, auth=PUBLIC)
async def detalle(request: web.Request, id: int) -> FAQOut:
    """One FAQ (an inactive one only for ADMINs; a 404 for others)."""
    faq = await service.obtener(id, solo_activas=not _ve_inactivas(request[USUARIO]))
    return _out(faq)


@routes.post(f"{DETALLE}valorar/", auth=TOKEN)
async def valorar(request: web.Request, id: int, body: ValorarIn) -> FAQOut:
    """Vote a FAQ helpful or not; voting again changes the vote, never double-counts."""
    usuario = current_user(request)
    faq = await service.valorar(
        id, usuario.id, body.es_util, solo_activas=not _ve_inactivas(usuario)
    )
    return _out(faq)


@routes.post(BASE, auth=Rol.ADMIN, status=201, headers=("Location",))
async def crear(request: web.Request, body: FAQIn) -> Result[FAQOut]:
    """Create a FAQ (ADMIN)."""
    faq = await service.crear(
        body.pregunta, body.respuesta, body.categoria, activa=body.activa, orden=body.orden
    )
    location = f"{base_url(request)}/api/soporte/faqs/{faq.id}/"
    return Result(_out(faq), headers={"Location": location})


@routes.patch(DETALLE, auth=Rol.ADMIN)
async def actualizar(request: web.Request, id: int, body: FAQPatch) -> FAQOut:
    """Change some fields of a FAQ (ADMIN); only the fields sent change."""
    return _out(await service.actualizar(id, body.cambios()))


@routes.delete(DETALLE, auth=Rol.ADMIN)
async def eliminar(request: web.Request, id: int) -> None:
    """Delete a FAQ and its votes (ADMIN)."""
    await service.eliminar(id)
