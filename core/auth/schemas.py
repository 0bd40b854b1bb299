"""Request and response models of the auth endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.api.fields import Timestamp
from core.auth.models import Rol


class UsuarioOut(BaseModel):
    """``usuario`` as the contract shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    nombre: str
    email: str
    rol: Rol


class LoginIn(BaseModel):
    """Credentials for ``POST /api/auth/token/``."""

    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    """A new token, when it expires, and who it belongs to."""

    token: str
    expira: Timestamp
    usuario: UsuarioOut


class RegistroIn(BaseModel):
    """A customer signing up."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(min_length=8, max_length=1024)
    email: str = Field("", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    nombre: str = Field("", max_length=200)
