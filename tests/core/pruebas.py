"""An ad-hoc plugin for the core's tests: small, model-free endpoints that exercise each convention.

It is registered with ``make_app(plugins=[], extra=[Pruebas()])``, exactly as a third-party plugin
would be, so the core's tests depend on no built-in plugin. Every endpoint exists to provoke one
behaviour of the core (a status code, a validation rule, pagination, uploads, events, sockets).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from aiohttp import WSMsgType, web
from pydantic import BaseModel, Field

from core import hookimpl, keys
from core.api import (
    INTEGRATION,
    PUBLIC,
    TOKEN,
    BadRequest,
    Conflict,
    NotFound,
    Page,
    PageQuery,
    Result,
    Routes,
    Unauthorized,
    paginate,
)
from core.auth.guards import current_user, user_from_token
from core.auth.models import Rol, Usuario
from core.auth.schemas import UsuarioOut
from core.events import Event, Listener, UnitOfWork
from core.storage import Upload, base_url

if TYPE_CHECKING:
    from collections.abc import Sequence

routes = Routes(tag="pruebas")


# --- schemas ---------------------------------------------------------------------------------


class EcoIn(BaseModel):
    """A body with several constrained fields, to see every bad field listed."""

    nombre: str = Field(min_length=1, max_length=20)
    edad: int = Field(ge=0, le=150)
    color: Literal["ROJO", "VERDE"]
    etiquetas: list[str] = Field(default_factory=list)


class EcoOut(BaseModel):
    """The validated body, echoed."""

    nombre: str
    edad: int
    color: str
    etiquetas: list[str]


class BuscarQuery(BaseModel):
    """Query filters; empty values must mean "no filter"."""

    estado: Literal["ABIERTO", "CERRADO"] | None = None
    minimo: int | None = Field(None, ge=0)
    etiqueta: list[str] = Field(default_factory=list)
    prioridad: list[Literal["ALTA", "BAJA"]] | None = None


class BuscarOut(BaseModel):
    """The filters the handler received."""

    estado: str | None
    minimo: int | None
    etiqueta: list[str]
    prioridad: list[str] | None


class UsuariosQuery(PageQuery):
    """A paginated list of users, filterable by role."""

    rol: Rol | None = None


class Item(BaseModel):
    """A fake object, found only when its id is 1."""

    id: int


class Mensaje(BaseModel):
    """A one-field answer."""

    mensaje: str


class AdjuntoOut(BaseModel):
    """An uploaded file with its signed link."""

    nombre: str
    tipo: str
    tamano: int
    url: str


class FormIn(BaseModel):
    """Form fields sent with files."""

    titulo: str = Field(min_length=1)


class FormOut(BaseModel):
    """A form with its files."""

    titulo: str
    archivos: list[AdjuntoOut]


class NotaIn(BaseModel):
    """A user to create inside a unit of work."""

    username: str = Field(min_length=1)


@dataclass(frozen=True, kw_only=True)
class UsuarioCreado(Event):
    """Emitted by ``POST /api/pruebas/notas/`` inside its unit of work."""

    name: ClassVar[str] = "usuario_creado"
    usuario_id: int
    username: str


def adjunto(request: web.Request, upload: Upload) -> AdjuntoOut:
    """An upload as the API shows it, with an absolute signed link."""
    storage = request.app[keys.STORAGE]
    return AdjuntoOut(
        nombre=upload.nombre,
        tipo=upload.tipo,
        tamano=upload.tamano,
        url=storage.url(base_url(request), upload.key, upload.nombre, upload.tipo),
    )


# --- endpoints -------------------------------------------------------------------------------


@routes.get("/api/pruebas/conflicto/", auth=PUBLIC)
async def conflicto(request: web.Request) -> Mensaje:
    """Always an illegal state change."""
    raise Conflict("Transición de estado no permitida.")


@routes.post("/api/pruebas/eco/", auth=PUBLIC, status=201)
async def eco(request: web.Request, body: EcoIn) -> EcoOut:
    """Echo a validated JSON body."""
    return EcoOut(**body.model_dump())


@routes.get("/api/pruebas/buscar/", auth=PUBLIC)
async def buscar(request: web.Request, query: BuscarQuery) -> BuscarOut:
    """Echo the validated query filters (``minimo`` also filters users, through the database)."""
    if query.minimo is not None:
        await Usuario.filter(id__gte=query.minimo).count()
    return BuscarOut(**query.model_dump())


@routes.get("/api/pruebas/usuarios/", auth=PUBLIC)
async def usuarios(request: web.Request, query: UsuariosQuery) -> Page[UsuarioOut]:
    """Core users, paginated (oldest first)."""
    qs = Usuario.all().order_by("id")
    if query.rol is not None:
        qs = qs.filter(rol=query.rol)

    async def load(ids: Sequence[int]) -> list[UsuarioOut]:
        by_id = {u.id: u for u in await Usuario.filter(id__in=ids)}
        return [UsuarioOut.model_validate(by_id[i]) for i in ids]

    return await paginate(request, qs, query, load, UsuarioOut)


@routes.get("/api/pruebas/fallo/", auth=PUBLIC)
async def fallo(request: web.Request) -> Mensaje:
    """A bug in a handler: an unexpected exception."""
    raise RuntimeError("detalle-secreto-del-servidor /etc/passwd")


@routes.get("/api/pruebas/token/", auth=TOKEN)
async def con_token(request: web.Request) -> Mensaje:
    """Any valid token."""
    return Mensaje(mensaje=current_user(request).username)


#: The credential of the ``integration`` endpoint below.
CLAVE_INTEGRACION = "clave-de-integracion"


@routes.post("/api/pruebas/integracion/", auth=INTEGRATION)
async def integracion(request: web.Request) -> Mensaje:
    """A machine's endpoint with a credential of its own in ``Authorization``."""
    if request.headers.get("Authorization") != f"Bearer {CLAVE_INTEGRACION}":
        raise Unauthorized("Credencial de integración inválida.")
    return Mensaje(mensaje=f"usuario={request[keys.USUARIO]}")


@routes.get("/api/pruebas/agente/", auth=Rol.AGENTE)
async def solo_agente(request: web.Request) -> Mensaje:
    """Agents and admins."""
    return Mensaje(mensaje="agente")


@routes.get("/api/pruebas/admin/", auth=Rol.ADMIN)
async def solo_admin(request: web.Request) -> Mensaje:
    """Admins only."""
    return Mensaje(mensaje="admin")


@routes.get(r"/api/pruebas/items/{id:\d+}/", auth=PUBLIC)
async def item(request: web.Request, id: int) -> Item:
    """Item 1 exists; any other id is a 404."""
    if id != 1:
        raise NotFound()
    return Item(id=id)


@routes.get(r"/api/pruebas/usuarios/{id:\d+}/", auth=PUBLIC)
async def usuario(request: web.Request, id: int) -> UsuarioOut:
    """One core user, looked up by id (an unknown id is a 404)."""
    return UsuarioOut.model_validate(await Usuario.get(id=id))


@routes.delete(r"/api/pruebas/items/{id:\d+}/", auth=PUBLIC)
async def borrar_item(request: web.Request, id: int) -> None:
    """Deleting answers 204."""


@routes.post("/api/pruebas/items/", auth=PUBLIC, status=201)
async def crear_item(request: web.Request) -> Item:
    """A 201 with a ``Location`` header, through :class:`Result`."""
    return Result(Item(id=1), headers={"Location": "/api/pruebas/items/1/"})


@routes.post("/api/pruebas/adjuntos/", auth=PUBLIC, status=201, multipart=True, json_body=False)
async def subir(request: web.Request, files: list[Upload]) -> list[AdjuntoOut]:
    """Store the files of a multipart request and return signed links."""
    if not files:
        raise BadRequest("Adjunte al menos un archivo.", errors={"archivos": ["Obligatorio."]})
    return [adjunto(request, f) for f in files]


@routes.post("/api/pruebas/formulario/", auth=PUBLIC, status=201, multipart=True)
async def formulario(request: web.Request, body: FormIn, files: list[Upload]) -> FormOut:
    """Form fields (JSON or multipart) plus files."""
    return FormOut(titulo=body.titulo, archivos=[adjunto(request, f) for f in files])


@routes.post("/api/pruebas/sin-archivos/", auth=PUBLIC, status=201, multipart=True)
async def sin_archivos(request: web.Request, body: FormIn) -> Mensaje:
    """Accepts a form but no files: files sent anyway must not stay on disk."""
    return Mensaje(mensaje=body.titulo)


@routes.post("/api/pruebas/adjuntos-fallo/", auth=PUBLIC, multipart=True, json_body=False)
async def subir_y_fallar(request: web.Request, files: list[Upload]) -> Mensaje:
    """Fails after the files were stored: they must be removed."""
    raise Conflict("No se pudo guardar.")


@routes.post("/api/pruebas/notas/", auth=PUBLIC, status=201)
async def crear_nota(request: web.Request, body: NotaIn) -> Mensaje:
    """Create a user inside a unit of work and emit :class:`UsuarioCreado`."""
    async with UnitOfWork(request.app[keys.EVENTS]) as uow:
        usuario = await Usuario.create(
            username=body.username, password_hash="x", using_db=uow.connection
        )
        await uow.emit(UsuarioCreado(usuario_id=usuario.id, username=usuario.username))
    return Mensaje(mensaje=body.username)


@routes.get("/api/pruebas/contar/", auth=PUBLIC)
async def contar(request: web.Request) -> Mensaje:
    """Touch the database through the ORM (needs the request's context to be current)."""
    return Mensaje(
        mensaje=",".join(await Usuario.all().order_by("id").values_list("username", flat=True))
    )


@routes.websocket("/ws/pruebas/{grupo}/")
async def sala(request: web.Request, grupo: str) -> web.WebSocketResponse:
    """A group chat: every text frame ``{"texto", "excluirme"?}`` goes to the whole group.

    ``?token=`` is resolved through the ORM (so the database context must be current in
    WebSocket handlers); ``?discard=0`` leaves the group membership to the channel layer.
    """
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    usuario = await user_from_token(request.query.get("token"))
    channels = request.app[keys.CHANNELS]
    await channels.group_add(grupo, ws)
    try:
        await ws.send_json(
            {"tipo": "listo", "usuario": usuario.username if usuario else None, "grupo": grupo}
        )
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data: dict[str, Any] = json.loads(msg.data)
            if data.get("miembros"):
                await ws.send_json(
                    {"tipo": "miembros", "total": len(channels.local_members(grupo))}
                )
                continue
            await channels.group_send(
                grupo,
                {"tipo": "eco", "texto": data.get("texto")},
                exclude=ws if data.get("excluirme") else None,
            )
    finally:
        if request.query.get("discard") != "0":
            await channels.group_discard(grupo, ws)
    return ws


class Pruebas:
    """The ad-hoc plugin. ``listeners`` lets a test subscribe to events at build time."""

    name = "pruebas"
    version = "9.9.9"
    requires: tuple[str, ...] = ()

    def __init__(self, listeners: Sequence[Listener] = ()) -> None:
        self.extra_listeners = list(listeners)

    @hookimpl
    def register_routes(self, app: web.Application) -> Routes:
        """The endpoints above."""
        return routes

    @hookimpl
    def register_listeners(self) -> list[Listener]:
        """Whatever the test asked for."""
        return self.extra_listeners
