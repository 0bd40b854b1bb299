"""Which domain events exist in an app, and the JSON a webhook carries for one.

Events are the dataclasses of :mod:`core.events` that each plugin declares in its
``events.py``; there is no registry to fill, so the catalogue is every :class:`Event` subclass
defined by an enabled plugin (its ``events`` module is imported here if it has one). Core
machinery events (the outbox's :class:`core.outbox.EnvioFallido`) are not domain events and
never go out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import inspect
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from core.events import Event

if TYPE_CHECKING:
    from collections.abc import Iterable

#: The payload format's version (``"version"`` in every body).
VERSION: Final = 1

#: Every event: a subscription's ``eventos`` may be ``["*"]``.
TODOS: Final = "*"


@dataclass(frozen=True)
class TipoEvento:
    """One event type a subscription may name."""

    nombre: str
    plugin: str
    descripcion: str


def _subclases(base: type[Event]) -> Iterable[type[Event]]:
    for sub in base.__subclasses__():
        yield sub
        yield from _subclases(sub)


def paquete(obj: Any) -> str | None:
    """The package of a plugin's registered object (``plugins.tickets`` for the module
    ``plugins.tickets.plugin``); ``None`` for an object that is no module (an ad-hoc plugin)."""
    if not inspect.ismodule(obj):
        return None
    return obj.__package__ or obj.__name__.rpartition(".")[0] or obj.__name__


def catalogo(plugins: Iterable[tuple[str, str | None]]) -> dict[str, TipoEvento]:
    """The event types of the enabled plugins, by name: ``plugins`` gives each one's name and
    package (:func:`paquete`); an event belongs to the plugin whose package defines it."""
    paquetes: dict[str, str] = {}
    for plugin, raiz in plugins:
        if raiz is None:
            continue
        paquetes[raiz] = plugin
        # A plugin without an events module declares its events elsewhere, or has none.
        with contextlib.suppress(ModuleNotFoundError):
            importlib.import_module(f"{raiz}.events")
    tipos: dict[str, TipoEvento] = {}
    for cls in _subclases(Event):
        modulo = cls.__module__
        dueno = next(
            (n for r, n in paquetes.items() if modulo == r or modulo.startswith(f"{r}.")), None
        )
        if dueno is None:
            continue  # core machinery, tests' ad-hoc events, disabled plugins
        doc = inspect.getdoc(cls) or ""
        descripcion = doc.split("\n\n", 1)[0].replace("\n", " ")
        tipos[cls.name] = TipoEvento(cls.name, dueno, descripcion)
    return dict(sorted(tipos.items()))


def privado(evento: Event) -> bool:
    """Whether ``evento`` must never leave: an internal note (staff only), whose text — and
    existence — a webhook, a reader outside the staff, must not learn
    (:func:`core.auth.guards.reply_visible` for an audience that is not staff)."""
    return bool(getattr(evento, "interna", False))


def clave_orden(evento: Event) -> str | None:
    """The ordering key of ``evento``'s deliveries: its ticket's or case's (``None``: none)."""
    for campo, prefijo in (("ticket_id", "ticket"), ("caso_id", "caso")):
        valor = getattr(evento, campo, None)
        if isinstance(valor, int):
            return f"{prefijo}:{valor}"
    return None


def _json(valor: Any) -> Any:
    if isinstance(valor, datetime | date):
        return valor.isoformat()
    if isinstance(valor, Enum):
        return valor.value
    if isinstance(valor, set | frozenset | tuple):
        return list(valor)
    if dataclasses.is_dataclass(valor) and not isinstance(valor, type):
        return dataclasses.asdict(valor)
    return str(valor)


def cuerpo(evento: Event, ahora: datetime | None = None) -> tuple[str, str]:
    """``(event id, JSON body)`` of ``evento``: ``{"id", "tipo", "version", "fecha", "datos"}``."""
    evento_id = uuid.uuid4().hex
    sobre = {
        "id": evento_id,
        "tipo": evento.name,
        "version": VERSION,
        "fecha": (ahora or datetime.now(UTC)).isoformat(),
        "datos": evento.to_dict(),
    }
    return evento_id, json.dumps(sobre, ensure_ascii=False, default=_json, separators=(",", ":"))
