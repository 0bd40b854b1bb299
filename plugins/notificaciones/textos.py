"""The texts of a notification, kept as message ids and rendered when they are read.

A notification is written once, when its change happens, but read later — in the bell, the
list, a socket frame — by someone whose language may differ from the actor's, or may change
meanwhile. So its title and message are kept as a :class:`Texto`: a Spanish message id (marked
with ``N_`` for extraction) and its values, stored as JSON in ``Notificacion.textos`` and
rendered in the reader's language each time (:func:`leer`). A value is user data (a subject, a
name: shown as written), an enum value shown by its label (:class:`Etiqueta`), or a
:class:`Texto` itself (a translatable part: "una nota interna").

``titulo`` and ``mensaje`` still hold the Spanish rendering: what a row written before the
texts existed has (:func:`leer` returns it as stored), and what SQL reports read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from core import labels
from core.i18n import DEFAULT_LOCALE, gettext, use_locale

log = logging.getLogger("soporte.notificaciones")

#: JSON keys of a stored :class:`Texto` and :class:`Etiqueta` (short: one per notification row).
_ID: Final = "id"
_VALORES: Final = "v"
_ETIQUETA: Final = "etiqueta"
_VALOR: Final = "valor"
_MINUSCULAS: Final = "min"


@dataclass(frozen=True)
class Etiqueta:
    """An enum value shown by its label (:func:`core.labels.value_label`), lower-case inside
    a sentence when ``minusculas``."""

    tipo: str
    valor: str
    minusculas: bool = False

    def render(self) -> str:
        """The label in the current locale."""
        texto = labels.value_label(self.tipo, self.valor)
        return texto.lower() if self.minusculas else texto


@dataclass(frozen=True)
class Texto:
    """A Spanish message id with ``{name}`` fields and the values that fill them."""

    msgid: str
    valores: Mapping[str, Valor] = field(default_factory=dict)

    def render(self) -> str:
        """The text in the current locale. A translation that names a field the id does not
        have (a translator's slip) falls back to the Spanish text, never to an error."""
        valores = {k: render(v) for k, v in self.valores.items()}
        try:
            return gettext(self.msgid).format(**valores)
        except (KeyError, IndexError, ValueError):
            log.warning("translation of %r does not match its fields", self.msgid)
            return self.msgid.format(**valores)


#: What fills a field of a :class:`Texto`.
Valor = str | int | Texto | Etiqueta


def render(valor: Valor) -> str:
    """``valor`` as read in the current locale (user data as it is)."""
    if isinstance(valor, Texto | Etiqueta):
        return valor.render()
    return str(valor)


def en_espanol(valor: Valor) -> str:
    """``valor`` in the default language: what the ``titulo``/``mensaje`` columns keep."""
    with use_locale(DEFAULT_LOCALE):
        return render(valor)


def a_json(valor: Valor) -> Any:
    """``valor`` as JSON (the inverse of :func:`de_json`)."""
    if isinstance(valor, Texto):
        guardado: dict[str, Any] = {_ID: valor.msgid}
        if valor.valores:
            guardado[_VALORES] = {k: a_json(v) for k, v in valor.valores.items()}
        return guardado
    if isinstance(valor, Etiqueta):
        etiqueta: dict[str, Any] = {_ETIQUETA: valor.tipo, _VALOR: valor.valor}
        if valor.minusculas:
            etiqueta[_MINUSCULAS] = True
        return etiqueta
    return valor


def de_json(guardado: Any) -> Valor:
    """What :func:`a_json` stored; a :class:`ValueError` for anything else."""
    if isinstance(guardado, str | int) and not isinstance(guardado, bool):
        return guardado
    if isinstance(guardado, dict):
        if isinstance(guardado.get(_ID), str):
            valores = guardado.get(_VALORES) or {}
            if not isinstance(valores, dict):
                raise ValueError("valores de un texto que no son un objeto")
            return Texto(guardado[_ID], {str(k): de_json(v) for k, v in valores.items()})
        if isinstance(guardado.get(_ETIQUETA), str):
            return Etiqueta(
                guardado[_ETIQUETA], str(guardado.get(_VALOR, "")), bool(guardado.get(_MINUSCULAS))
            )
    raise ValueError(f"no es un texto guardado: {guardado!r}")


def guardar(titulo: str | Texto, mensaje: str | Texto) -> dict[str, Any] | None:
    """The ``textos`` column of a notification (``None`` when both are plain strings: a text
    a third-party plugin wrote in one language is shown as written)."""
    if not isinstance(titulo, Texto) and not isinstance(mensaje, Texto):
        return None
    return {"titulo": a_json(titulo), "mensaje": a_json(mensaje)}


def columnas(
    titulo: str | Texto, mensaje: str | Texto, *, largos: tuple[int, int]
) -> dict[str, Any]:
    """What a notification row keeps of its texts: ``titulo`` and ``mensaje`` in Spanish, cut
    at their ``largos`` (what SQL reports read), and ``textos`` (:func:`guardar`)."""
    return {
        "titulo": en_espanol(titulo)[: largos[0]],
        "mensaje": en_espanol(mensaje)[: largos[1]],
        "textos": guardar(titulo, mensaje),
    }


def mostrar(
    titulo: str, mensaje: str, textos: Mapping[str, Any] | None, *, largos: tuple[int, int]
) -> tuple[str, str]:
    """A notification's ``(titulo, mensaje)`` in the current locale, each cut at its ``largos``
    (the columns' limits); the stored strings when it has no ``textos`` (an older row) or they
    cannot be read."""
    if not textos:
        return titulo, mensaje
    try:
        nuevo_titulo = render(de_json(textos["titulo"]))[: largos[0]]
        nuevo_mensaje = render(de_json(textos["mensaje"]))[: largos[1]]
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("unreadable notification texts, shown as stored: %s", exc)
        return titulo, mensaje
    return nuevo_titulo, nuevo_mensaje
