"""One sentence per pydantic validation error, in the current language, naming the field.

pydantic's own texts are English and name nothing a user knows ("String should have at least
8 characters"); no such text ever reaches a user. Each error *type* has its sentence here,
with the field named by its label (:mod:`core.labels`) and the numbers and allowed values of
the error's context (allowed enum values shown as labels). A type without a sentence of its
own gets a generic one; a custom error of ours (``PydanticCustomError``, a ``ValueError`` in a
validator) already carries a Spanish text of ours, which is translated through the catalog.
"""

from __future__ import annotations

import re
import typing
from typing import Any

from pydantic_core import ErrorDetails
from pydantic_core.core_schema import ErrorType

from core import labels
from core.i18n import N_, gettext, ngettext

#: Every type pydantic-core itself raises: the rest are custom (ours, already Spanish).
_BUILT_IN: frozenset[str] = frozenset(typing.get_args(ErrorType))

#: Sentences taking only the field's label (``{campo}``), by error type.
_SIMPLE: dict[str, str] = {
    "missing": N_("Es obligatorio indicar {campo}."),
    "string_type": N_("{campo} debe ser un texto."),
    "string_unicode": N_("{campo} debe ser un texto."),
    "string_pattern_mismatch": N_("{campo} no tiene el formato esperado."),
    "int_type": N_("{campo} debe ser un número entero."),
    "int_parsing": N_("{campo} debe ser un número entero."),
    "int_from_float": N_("{campo} debe ser un número entero, sin decimales."),
    "int_parsing_size": N_("{campo} es un número demasiado grande."),
    "float_type": N_("{campo} debe ser un número."),
    "float_parsing": N_("{campo} debe ser un número."),
    "decimal_parsing": N_("{campo} debe ser un número."),
    "decimal_type": N_("{campo} debe ser un número."),
    "finite_number": N_("{campo} debe ser un número finito."),
    "bool_type": N_("{campo} debe ser verdadero o falso."),
    "bool_parsing": N_("{campo} debe ser verdadero o falso."),
    "list_type": N_("{campo} debe ser una lista."),
    "tuple_type": N_("{campo} debe ser una lista."),
    "set_type": N_("{campo} debe ser una lista."),
    "frozen_set_type": N_("{campo} debe ser una lista."),
    "dict_type": N_("{campo} debe ser un objeto."),
    "model_type": N_("{campo} debe ser un objeto."),
    "model_attributes_type": N_("{campo} debe ser un objeto."),
    "dataclass_type": N_("{campo} debe ser un objeto."),
    "none_required": N_("{campo} debe estar vacío."),
    "date_type": N_("{campo} debe ser una fecha (AAAA-MM-DD)."),
    "date_parsing": N_("{campo} debe ser una fecha (AAAA-MM-DD)."),
    "date_from_datetime_parsing": N_("{campo} debe ser una fecha (AAAA-MM-DD)."),
    "date_from_datetime_inexact": N_("{campo} debe ser una fecha, sin hora."),
    "datetime_type": N_("{campo} debe ser una fecha y hora (ISO 8601)."),
    "datetime_parsing": N_("{campo} debe ser una fecha y hora (ISO 8601)."),
    "datetime_from_date_parsing": N_("{campo} debe ser una fecha y hora (ISO 8601)."),
    "datetime_object_invalid": N_("{campo} debe ser una fecha y hora (ISO 8601)."),
    "timezone_aware": N_("{campo} debe indicar su zona horaria."),
    "timezone_naive": N_("{campo} no debe indicar zona horaria."),
    "time_type": N_("{campo} debe ser una hora (HH:MM)."),
    "time_parsing": N_("{campo} debe ser una hora (HH:MM)."),
    "time_delta_type": N_("{campo} debe ser una duración."),
    "time_delta_parsing": N_("{campo} debe ser una duración."),
    "uuid_type": N_("{campo} debe ser un UUID."),
    "uuid_parsing": N_("{campo} debe ser un UUID."),
    "url_type": N_("{campo} debe ser una URL."),
    "url_parsing": N_("{campo} debe ser una URL."),
    "url_scheme": N_("{campo} debe ser una URL con un esquema admitido."),
    "json_invalid": N_("{campo} no es JSON válido."),
    "json_type": N_("{campo} debe ser JSON."),
    "bytes_type": N_("{campo} debe ser un texto."),
    "union_tag_invalid": N_("{campo} no es de un tipo admitido."),
    "union_tag_not_found": N_("{campo} no indica su tipo."),
    "is_instance_of": N_("{campo} no tiene un valor válido."),
    "frozen_field": N_("{campo} no se puede cambiar."),
}


def _count(ctx: dict[str, Any], key: str) -> int:
    value = ctx.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def _number(ctx: dict[str, Any], key: str) -> str:
    return str(ctx.get(key, ""))


def _allowed(field: str, ctx: dict[str, Any]) -> str:
    """The allowed values of an ``enum``/``literal_error``, as labels ("Alta, Media o Baja")."""
    values = re.findall(r"'((?:[^'\\]|\\.)*)'", str(ctx.get("expected", "")))
    shown = [labels.value_label(field, value) for value in values]
    if len(shown) < 2:
        return "".join(shown)
    return gettext("{lista} o {ultimo}").format(lista=", ".join(shown[:-1]), ultimo=shown[-1])


def _field_name(loc: tuple[int | str, ...]) -> str:
    """The field an error is about: the last name of its location (not a list index)."""
    names = [part for part in loc if isinstance(part, str) and part != "__root__"]
    return names[-1] if names else ""


def message(error: ErrorDetails) -> str:
    """The user's sentence for one pydantic error, in the current locale."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    name = _field_name(tuple(error["loc"]))
    if kind == "extra_forbidden":
        return gettext("«{campo}» no es un campo admitido.").format(campo=name)
    if kind not in _BUILT_IN:  # a custom error of ours: a Spanish msgid
        return gettext(error["msg"])
    if kind in ("value_error", "assertion_error"):
        # Our validators raise ValueError with a Spanish text; pydantic prefixes it.
        text = str(ctx.get("error", "")) or error["msg"].partition(", ")[2]
        return gettext(text) if text else gettext("{campo} no tiene un valor válido.")
    campo = labels.field_label(name) if name else gettext("el cuerpo de la solicitud")
    if kind in _SIMPLE:
        return labels.capitalized(gettext(_SIMPLE[kind]).format(campo=campo))
    found = _with_context(kind, name, ctx)
    sentence, values = found or (gettext("{campo} no tiene un valor válido."), {})
    return labels.capitalized(sentence.format(campo=campo, **values))


def _with_context(kind: str, name: str, ctx: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    """The sentence of a type that shows its context, and the values it is formatted with
    (``{campo}`` is filled by the caller)."""
    if kind in ("string_too_short", "too_short", "bytes_too_short"):
        n = _count(ctx, "min_length")
        if kind == "string_too_short":
            if n <= 1:
                return gettext("{campo} no puede estar vacío."), {}
            text = ngettext(
                "{campo} debe tener al menos {n} carácter.",
                "{campo} debe tener al menos {n} caracteres.",
                n,
            )
        else:
            text = ngettext(
                "{campo} debe tener al menos {n} elemento.",
                "{campo} debe tener al menos {n} elementos.",
                n,
            )
        return text, {"n": str(n)}
    if kind in ("string_too_long", "too_long", "bytes_too_long"):
        n = _count(ctx, "max_length")
        if kind == "string_too_long":
            text = ngettext(
                "{campo} admite como máximo {n} carácter.",
                "{campo} admite como máximo {n} caracteres.",
                n,
            )
        else:
            text = ngettext(
                "{campo} admite como máximo {n} elemento.",
                "{campo} admite como máximo {n} elementos.",
                n,
            )
        return text, {"n": str(n)}
    bounds = {
        "greater_than": N_("{campo} debe ser mayor que {n}."),
        "greater_than_equal": N_("{campo} debe ser mayor o igual que {n}."),
        "less_than": N_("{campo} debe ser menor que {n}."),
        "less_than_equal": N_("{campo} debe ser menor o igual que {n}."),
        "multiple_of": N_("{campo} debe ser múltiplo de {n}."),
    }
    if kind in bounds:
        key = {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt"}.get(
            kind, "le" if kind == "less_than_equal" else "multiple_of"
        )
        return gettext(bounds[kind]), {"n": _number(ctx, key)}
    if kind in ("enum", "literal_error"):
        return gettext("{campo} debe ser uno de estos valores: {valores}."), {
            "valores": _allowed(name, ctx)
        }
    return None
