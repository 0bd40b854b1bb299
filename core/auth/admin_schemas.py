"""Request and response models of the teams and users admin (``/api/soporte/equipos/``,
``/api/soporte/usuarios/``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.api.fields import Id, Timestamp
from core.api.pagination import PageQuery
from core.auth.models import Equipo, Rol, Usuario

#: An e-mail address as sign-up accepts it, or empty.
_EMAIL = r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$"
#: At most this many ids in one list field (members of a team, teams of a user).
MAX_IDS = 500
#: At most this many categories per team.
MAX_CATEGORIAS = 50


class UsuariosQuery(PageQuery):
    """Filters of the users list (by username)."""

    q: str | None = Field(
        None, max_length=150, description="Part of the username, name or e-mail (no case)."
    )
    rol: Rol | None = Field(None, description="Only users of this role.")
    activo: bool | None = Field(None, description="Only active (true) or inactive (false).")


class UsuarioAdminOut(BaseModel):
    """A user as agents and admins list them."""

    id: int
    username: str
    nombre: str
    email: str
    rol: Rol
    activo: bool
    equipos: list[int] = Field(default_factory=list, description="Ids of the user's teams.")

    @classmethod
    def de(cls, usuario: Usuario, equipos: list[int]) -> UsuarioAdminOut:
        """The object of ``usuario``, whose teams ``equipos`` were read in bulk."""
        return cls(
            id=usuario.id,
            username=usuario.username,
            nombre=usuario.nombre,
            email=usuario.email,
            rol=usuario.rol,
            activo=usuario.activo,
            equipos=equipos,
        )


class UsuarioNuevoIn(BaseModel):
    """``POST /api/soporte/usuarios/`` (admins). Without ``password`` the user gets a mailed
    link to choose one (when ``email`` is given and mail is configured)."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str | None = Field(None, min_length=1, max_length=1024)
    rol: Rol = Rol.AGENTE
    nombre: str = Field("", max_length=200)
    email: str = Field("", max_length=254, pattern=_EMAIL)
    equipos: list[Id] = Field(default_factory=list, max_length=MAX_IDS)


class UsuarioPatch(BaseModel):
    """``PATCH /api/soporte/usuarios/{id}/`` (admins): only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    rol: Rol | None = None
    activo: bool | None = None
    nombre: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254, pattern=_EMAIL)
    equipos: list[Id] | None = Field(None, max_length=MAX_IDS)


class EquipoRef(BaseModel):
    """A team as other objects show it."""

    id: int
    nombre: str


class EquipoOut(BaseModel):
    """A team (admins)."""

    id: int
    nombre: str
    descripcion: str
    categorias: list[str]
    miembros: list[int] = Field(description="Ids of its members.")
    activo: bool
    fecha_creacion: Timestamp

    @classmethod
    def de(cls, equipo: Equipo, miembros: list[int]) -> EquipoOut:
        """The object of ``equipo``, whose member ids ``miembros`` were read in bulk."""
        return cls(
            id=equipo.id,
            nombre=equipo.nombre,
            descripcion=equipo.descripcion,
            categorias=list(equipo.categorias),
            miembros=miembros,
            activo=equipo.activo,
            fecha_creacion=equipo.fecha_creacion,
        )


class EquipoIn(BaseModel):
    """``POST /api/soporte/equipos/``."""

    model_config = ConfigDict(extra="forbid")

    nombre: str = Field(min_length=1, max_length=100)
    descripcion: str = Field("", max_length=2000)
    categorias: list[str] = Field(default_factory=list, max_length=MAX_CATEGORIAS)
    miembros: list[Id] = Field(default_factory=list, max_length=MAX_IDS)
    activo: bool = True


class EquipoPatch(BaseModel):
    """``PATCH /api/soporte/equipos/{id}/``: only the fields sent change (``miembros`` and
    ``categorias`` are replaced whole)."""

    model_config = ConfigDict(extra="forbid")

    nombre: str | None = Field(None, min_length=1, max_length=100)
    descripcion: str | None = Field(None, max_length=2000)
    categorias: list[str] | None = Field(None, max_length=MAX_CATEGORIAS)
    miembros: list[Id] | None = Field(None, max_length=MAX_IDS)
    activo: bool | None = None


class EquiposQuery(PageQuery):
    """Filters of the teams list."""

    activo: bool | None = Field(None, description="Only active (true) or inactive (false).")
