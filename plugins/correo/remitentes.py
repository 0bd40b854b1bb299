"""Who wrote a message: the sender's address → a user of soporte.

By e-mail, case-insensitively. ``Usuario.email`` is not unique: among the active users with
that address, agents come first, then the oldest account (deterministic). An address whose
users are all deactivated is refused (creating a new account for it would undo the
deactivation). An unknown address, with ``unknown_senders=crear``, becomes a customer without
a usable password (``crear_usuario(password=None)``; they may set one with a password reset),
whose username is derived from the address and whose name is the display name.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from core.api.errors import BadRequest
from core.auth.models import Rol, Usuario
from core.auth.service import crear_usuario
from core.events import UnitOfWork
from core.keys import EVENTS

if TYPE_CHECKING:
    from aiohttp import web

    from plugins.correo.settings import CorreoSettings

#: Characters a username may not contain, replaced (core allows letters, digits and ``.@+-_``).
_NO_PERMITIDOS: Final = re.compile(r"[^\w.@+-]")
#: Usernames derived from one address tried before a random one.
_INTENTOS: Final = 3
_USERNAME_MAX: Final = 150
_NOMBRE_MAX: Final = 200


@dataclass(frozen=True, slots=True)
class Remitente:
    """The sender as a user, or why there is none (``motivo``)."""

    usuario: Usuario | None
    motivo: str = ""
    creado: bool = False


async def buscar(email: str) -> tuple[Usuario | None, bool]:
    """The user an address belongs to (``None`` if none is active) and whether any user, active
    or not, has it."""
    usuarios = await Usuario.filter(email__iexact=email)
    activos = sorted((u for u in usuarios if u.activo), key=lambda u: (not u.es_agente, u.id))
    return (activos[0] if activos else None), bool(usuarios)


def candidatos(email: str) -> list[str]:
    """Usernames to try for a new customer writing from ``email``: the address itself, then
    numbered variants."""
    base = _NO_PERMITIDOS.sub("_", email.lower())[: _USERNAME_MAX - 3]
    return [base] + [f"{base}-{n}" for n in range(2, _INTENTOS + 1)]


async def crear_cliente(app: web.Application, email: str, nombre: str) -> Usuario:
    """A new customer for ``email``, without a usable password.

    Each attempt runs in a savepoint of the caller's transaction (a refused name must not
    abort it, as a caught error would on PostgreSQL). A username core refuses (taken, a
    look-alike of a taken one, a staff marker such as ``soporte@…``) moves to the next
    candidate, then to a random ``correo-…``; a refused display name is dropped.
    """
    nombre = " ".join(nombre.split())[:_NOMBRE_MAX]
    for username in [*candidatos(email), f"correo-{secrets.token_hex(6)}"]:
        for con_nombre in dict.fromkeys((nombre, "")):
            try:
                async with UnitOfWork(app[EVENTS]):
                    return await crear_usuario(
                        username, None, Rol.CLIENTE, nombre=con_nombre, email=email
                    )
            except BadRequest as exc:
                if "username" in exc.errors:
                    break  # the next username
                if "nombre" not in exc.errors:
                    raise
    raise RuntimeError(f"no se pudo crear un usuario para {email}")


async def resolver(
    app: web.Application, propios: CorreoSettings, email: str, nombre: str
) -> Remitente:
    """The user behind a sender address, created if unknown and ``unknown_senders=crear``."""
    usuario, existe = await buscar(email)
    if usuario is not None:
        return Remitente(usuario)
    if existe:
        return Remitente(None, "remitente desactivado")
    if propios.unknown_senders == "rechazar":
        return Remitente(None, "remitente desconocido")
    return Remitente(await crear_cliente(app, email, nombre), creado=True)
