"""The notification types: who may receive each, and the default preferences.

Defaults (docs/api.md, "Notificaciones"): customers are mailed about everything of theirs;
agents are mailed when a ticket is assigned to them, escalates to their level, its customer
replies, or someone mentions them (``@username``: ``mencion``) — not for every new ticket or
case (the bell is enough there). ``ticket_recibido`` is the receipt of the customer's own
action, so by e-mail only: the actor is never told in the page what they just did.
``envio_fallido`` is in-app only (a mail about mail failing would likely fail too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from core.auth.models import Rol, Usuario


@dataclass(frozen=True)
class Tipo:
    """One notification type: the least role that receives it and its default channels."""

    nombre: str
    rol: Rol
    app: bool
    email: bool
    #: ``False``: never by e-mail, whatever the preference says.
    con_email: bool = True
    #: The plugin that must be enabled for the type to exist (``None``: always).
    plugin: str | None = None
    #: ``True``: only for customers (agents do not own tickets).
    solo_clientes: bool = False


TIPOS: Final[dict[str, Tipo]] = {
    t.nombre: t
    for t in (
        Tipo("ticket_recibido", Rol.CLIENTE, app=False, email=True, solo_clientes=True),
        Tipo("respuesta_agente", Rol.CLIENTE, app=True, email=True, solo_clientes=True),
        Tipo("estado_cambiado", Rol.CLIENTE, app=True, email=True, solo_clientes=True),
        Tipo("ticket_nuevo", Rol.AGENTE, app=True, email=False),
        Tipo("respuesta_cliente", Rol.AGENTE, app=True, email=True),
        Tipo("ticket_asignado", Rol.AGENTE, app=True, email=True),
        Tipo("ticket_escalado", Rol.AGENTE, app=True, email=True, plugin="escalamiento"),
        Tipo("mencion", Rol.AGENTE, app=True, email=True),
        Tipo("caso_nuevo", Rol.AGENTE, app=True, email=False, plugin="casos"),
        Tipo("caso_actualizado", Rol.CLIENTE, app=True, email=True, plugin="casos"),
        Tipo("envio_fallido", Rol.ADMIN, app=True, email=False, con_email=False),
    )
}

_RANGO: Final = {Rol.CLIENTE: 0, Rol.AGENTE: 1, Rol.ADMIN: 2}


def tipos_de(usuario: Usuario, plugins: frozenset[str] | set[str]) -> list[Tipo]:
    """The types ``usuario`` can receive with these plugins enabled (their preferences)."""
    rango = _RANGO[Rol(usuario.rol)]
    return [
        t
        for t in TIPOS.values()
        if (t.plugin is None or t.plugin in plugins)
        and (rango == 0 if t.solo_clientes else rango >= _RANGO[t.rol])
    ]
