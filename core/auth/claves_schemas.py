"""Request and response models of the API keys admin (``/api/auth/claves/``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.api.fields import Timestamp
from core.auth.claves_models import ClaveApi

#: At most this many scopes on one key.
MAX_ALCANCES = 100


class ClaveIn(BaseModel):
    """``POST /api/auth/claves/``: a new key (its secret is in the answer, and only there)."""

    model_config = ConfigDict(extra="forbid")

    nombre: str = Field(min_length=1, max_length=100, description="What the key is for.")
    alcances: list[str] = Field(
        min_length=1,
        max_length=MAX_ALCANCES,
        description="Scopes: `tickets:read`, `tickets:write`, `casos:*`…",
    )
    expira: datetime | None = Field(None, description="When the key stops working (none: never).")


class ClavePatch(BaseModel):
    """``PATCH /api/auth/claves/{id}/``: only the fields sent change (``expira: null`` removes
    the expiry)."""

    model_config = ConfigDict(extra="forbid")

    nombre: str | None = Field(None, min_length=1, max_length=100)
    alcances: list[str] | None = Field(None, min_length=1, max_length=MAX_ALCANCES)
    expira: datetime | None = None


class ClaveOut(BaseModel):
    """An API key as admins see it: never its secret."""

    id: int
    nombre: str
    prefijo: str = Field(description="The secret's first characters, to recognise it.")
    alcances: list[str]
    expira: Timestamp | None
    creada_por: int = Field(description="The admin who created it (the key acts as them).")
    fecha_creacion: Timestamp
    ultimo_uso: Timestamp | None = Field(description="Last use (noted at most once a minute).")
    ultima_ip: str = Field(description="The address of that use.")
    revocada: bool

    @classmethod
    def de(cls, clave: ClaveApi) -> ClaveOut:
        """The object of ``clave``."""
        return cls(
            id=clave.id,
            nombre=clave.nombre,
            prefijo=clave.prefijo,
            alcances=list(clave.alcances),
            expira=clave.expira,
            creada_por=clave.creada_por_id,
            fecha_creacion=clave.fecha_creacion,
            ultimo_uso=clave.ultimo_uso,
            ultima_ip=clave.ultima_ip,
            revocada=clave.revocada,
        )


class ClaveCreada(ClaveOut):
    """A key just created: with its secret, shown this once (only its hash is kept)."""

    secreto: str = Field(description="`sk_…`: send it as `Authorization: Bearer sk_…`.")
