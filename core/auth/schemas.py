"""Request and response models of the auth endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.api.fields import Timestamp
from core.auth.models import Rol

#: The languages a user may choose (:data:`core.i18n.LOCALES`).
Idioma = Literal["es", "en"]


class UsuarioOut(BaseModel):
    """``usuario`` as the contract shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    nombre: str
    email: str
    rol: Rol


class PerfilOut(UsuarioOut):
    """``/api/auth/yo/``: the user as the contract shows it, and their own settings."""

    #: The user's language (``es``, ``en``), or ``null``: the browser's ``Accept-Language``.
    idioma: Idioma | None = None


class LoginIn(BaseModel):
    """Credentials for ``POST /api/auth/token/``."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"username": "cliente", "password": "clave-de-lucia"}]}
    )

    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    """A new token, when it expires, and who it belongs to."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "3f9c1e…",
                    "expira": "2026-06-08T09:30:00Z",
                    "usuario": {
                        "id": 3,
                        "username": "cliente",
                        "nombre": "Lucía Fernández",
                        "email": "lucia@example.com",
                        "rol": "CLIENTE",
                    },
                }
            ]
        }
    )

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


#: An e-mail address as sign-up accepts it (non-empty here).
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class OlvidoIn(BaseModel):
    """``POST /api/auth/password/olvido/``: the address of the forgotten account."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, pattern=_EMAIL)


class RestablecerIn(BaseModel):
    """``POST /api/auth/password/restablecer/``: the link's token and the new password."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=1024)


class PerfilIn(BaseModel):
    """``PATCH /api/auth/yo/``: what changes; ``password_actual`` for e-mail and password."""

    model_config = ConfigDict(extra="forbid")

    nombre: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254, pattern=_EMAIL)
    password: str | None = Field(None, min_length=1, max_length=1024)
    password_actual: str | None = Field(None, max_length=1024)
    #: ``es`` or ``en``; ``null`` follows the browser (``Accept-Language``).
    idioma: Idioma | None = None


class VerificarIn(BaseModel):
    """``POST /api/auth/email/verificar/``: the verification link's token."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=256)


class ReenviarIn(BaseModel):
    """``POST /api/auth/email/reenviar/``: without a session, the account's address."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=254, pattern=_EMAIL)


class AceptadoOut(BaseModel):
    """A 202: the request was taken; what happens next is said in ``detail``."""

    detail: str
