"""Labels: what people read for a field name or an enum value, in the current language.

The API keeps its field names and enum values as the contract fixes them (``prioridad``,
``MEDIA``); pages and error messages show labels instead ("la prioridad", "Media"). This module
is the one place that maps them: the core registers its own tables here, and each plugin
registers its enums' labels when its models module is imported::

    from core import labels
    from core.i18n import N_

    labels.register_values("prioridad", {"ALTA": N_("Alta"), "MEDIA": N_("Media")})
    labels.register_fields({"prioridad": N_("la prioridad")})

Values are stored as Spanish message ids (marked with ``N_`` for extraction) and translated
when they are read, so a label follows the locale of the request, socket or mail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.i18n import N_, gettext

if TYPE_CHECKING:
    from collections.abc import Mapping

#: ``kind → value → label`` (Spanish msgids). A kind is the field that holds the value.
_VALUES: dict[str, dict[str, str]] = {}
#: ``field → label`` with its article ("la contraseña"): it starts or ends a sentence.
_FIELDS: dict[str, str] = {}


def register_values(kind: str, table: Mapping[str, str]) -> None:
    """Add the labels of the values of ``kind`` (an enum's field name: ``estado``, ``rol``…)."""
    _VALUES.setdefault(kind, {}).update(table)


def register_fields(table: Mapping[str, str]) -> None:
    """Add field labels, with their article ("la contraseña", "el asunto"): error messages
    name a field by its label."""
    _FIELDS.update(table)


def value_label(kind: str, value: str) -> str:
    """The label of ``value`` of ``kind`` in the current locale; a value of an unknown kind is
    looked up in every table (``estado`` of another plugin), and shown as is when unknown."""
    table = _VALUES.get(kind)
    label = table.get(value) if table else None
    if label is None:
        label = next((t[value] for t in _VALUES.values() if value in t), None)
    return gettext(label) if label is not None else value


def field_label(name: str) -> str:
    """The label of field ``name`` (lower-case, with its article) in the current locale."""
    label = _FIELDS.get(name)
    if label is not None:
        return gettext(label)
    return gettext("el campo «{campo}»").format(campo=name)


def value_labels(kind: str) -> dict[str, str]:
    """Every value of ``kind`` and its label in the current locale, in registration order."""
    return {value: gettext(label) for value, label in _VALUES.get(kind, {}).items()}


def all_value_labels() -> dict[str, dict[str, str]]:
    """Every table in the current locale: what the layout hands to the pages' scripts."""
    return {kind: value_labels(kind) for kind in _VALUES}


def capitalized(text: str) -> str:
    """``text`` with its first letter upper-case (a label that starts a sentence)."""
    return text[:1].upper() + text[1:]


# --- the core's own tables ---------------------------------------------------------------

register_values(
    "rol",
    {"CLIENTE": N_("Cliente"), "AGENTE": N_("Agente"), "ADMIN": N_("Administrador")},
)
register_values(
    "canal",
    {"API": N_("Web"), "CHAT": N_("Chat"), "CORREO": N_("Correo"), "SISTEMA": N_("Automático")},
)
register_values(
    "idioma",
    {"es": N_("Español"), "en": N_("Inglés")},
)
register_fields(
    {
        "username": N_("el nombre de usuario"),
        "password": N_("la contraseña"),
        "password_actual": N_("la contraseña actual"),
        "email": N_("el correo electrónico"),
        "nombre": N_("el nombre"),
        "rol": N_("el rol"),
        "idioma": N_("el idioma"),
        "activo": N_("el indicador de activo"),
        "token": N_("el token"),
        "alcances": N_("la lista de alcances"),
        "expira": N_("la fecha de caducidad"),
        "descripcion": N_("la descripción"),
        "color": N_("el color"),
        "page": N_("la página"),
        "page_size": N_("el tamaño de página"),
        "search": N_("la búsqueda"),
        "ordering": N_("el orden"),
        "miembros": N_("la lista de miembros"),
        "equipo": N_("el equipo"),
        "etiquetas": N_("la lista de etiquetas"),
        # The dashboard's period (GET /api/soporte/dashboard/series/).
        "periodo": N_("el periodo"),
    }
)
