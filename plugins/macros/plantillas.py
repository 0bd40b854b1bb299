"""A macro's message: a small jinja2 template of plain text, checked on save, rendered per ticket.

Templates are written by agents and rendered on the server, so they run in jinja2's
:class:`~jinja2.sandbox.SandboxedEnvironment` and, beyond that, may only use what a canned
reply needs: variables (``{{ cliente.nombre }}``), ``{% if %}``, comparisons, concatenation
and a short list of filters (:data:`FILTROS`). Loops, assignments (``set``, ``with``), macros,
calls, imports, ``*``/``**``/``%`` and every other filter are refused on save (a 400 naming the
line): with them a single template could burn the CPU or build gigabytes (``"a" * 10**9``,
``x.ljust(10**9)``, ``{% set a = a ~ a %}`` forty times, nested ``range`` loops) before any
size check could look at the result. Without them a render is linear in the template's size.
The check runs again before each render, for templates stored before a rule existed.

Undefined values render as nothing and chain (``{{ ticket.nada.mas }}`` is empty, not an
error); ``default`` (and ``d``) treats an empty value as missing too, so
``{{ cliente.nombre | default("cliente") }}`` falls back for a customer without a name.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, nodes
from jinja2.filters import do_default
from jinja2.sandbox import SandboxedEnvironment

from core.api.errors import BadRequest

#: Longest message a macro renders: the longest reply tickets accept.
MAX_MENSAJE: Final = 10_000

#: The filters a template may use (``default``/``d`` treat empty values as missing).
FILTROS: Final = frozenset(
    {"default", "d", "upper", "lower", "title", "capitalize", "trim", "truncate", "length"}
)

#: Node types a template may not contain, with the reason shown to the agent.
_PROHIBIDOS: Final[tuple[tuple[type[nodes.Node], str], ...]] = (
    (nodes.For, "no se admiten bucles (for)"),
    (nodes.Macro, "no se admiten macros de plantilla"),
    (nodes.CallBlock, "no se admiten bloques call"),
    (nodes.Call, "no se admiten llamadas a funciones o métodos"),
    (nodes.Extends, "no se admite extends"),
    (nodes.Include, "no se admite include"),
    (nodes.Import, "no se admite import"),
    (nodes.FromImport, "no se admite import"),
    # Assigning lets a template double a text at each step (``{% set a = a ~ a %}``): without
    # it every expression is at most as long as the template times the longest variable.
    (nodes.Assign, "no se admite set"),
    (nodes.AssignBlock, "no se admite set"),
    (nodes.With, "no se admite with"),
    (nodes.Mul, "no se admite el operador *"),
    (nodes.Pow, "no se admite el operador **"),
    (nodes.Mod, "no se admite el operador %"),
)

_MESES: Final = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


def _default(valor: Any, alternativa: Any = "", boolean: bool = True) -> Any:
    """jinja2's ``default`` with ``boolean`` on by default: an empty value falls back too."""
    return do_default(valor, alternativa, boolean)


def _entorno() -> SandboxedEnvironment:
    # Plain text of a reply: no HTML escaping. Undefined chains so that a missing variable
    # renders empty (or its fallback) instead of failing the reply.
    entorno = SandboxedEnvironment(
        autoescape=False, undefined=ChainableUndefined, keep_trailing_newline=True
    )
    entorno.filters["default"] = _default
    entorno.filters["d"] = _default
    return entorno


_ENTORNO: Final = _entorno()


def _error(mensaje: str, linea: int | None = None) -> BadRequest:
    texto = f"Línea {linea}: {mensaje}" if linea else mensaje
    return BadRequest("La plantilla de la macro no es válida.", errors={"mensaje": [texto]})


def validar(plantilla: str) -> None:
    """Check ``plantilla`` for syntax and for the allowed constructs; a 400 naming the line."""
    try:
        arbol = _ENTORNO.parse(plantilla)
    except TemplateSyntaxError as exc:
        raise _error(exc.message or "error de sintaxis", exc.lineno) from exc
    for tipo, motivo in _PROHIBIDOS:
        nodo = arbol.find(tipo)
        if nodo is not None:
            raise _error(motivo, nodo.lineno)
    for filtro in arbol.find_all(nodes.Filter):
        if filtro.name not in FILTROS:
            permitidos = ", ".join(sorted(FILTROS))
            raise _error(
                f"el filtro «{filtro.name}» no está permitido (se admiten: {permitidos})",
                filtro.lineno,
            )


@functools.lru_cache(maxsize=256)
def _compilada(plantilla: str) -> Template:
    """The checked, compiled template (a bulk action renders one macro for many tickets)."""
    validar(plantilla)
    return _ENTORNO.from_string(plantilla)


def fecha_larga(momento: datetime) -> str:
    """``3 de diciembre de 2026``."""
    return f"{momento.day} de {_MESES[momento.month - 1]} de {momento.year}"


def variables(
    *,
    ticket: Mapping[str, Any],
    cliente: Mapping[str, Any],
    agente: Mapping[str, Any],
    ahora: datetime,
    zona: ZoneInfo,
) -> dict[str, Any]:
    """The template's context: ``ticket``, ``cliente``, ``agente`` (empty values left out, so
    that they are undefined and fall back), ``hoy`` and ``ahora`` in Spanish, in ``zona``."""
    local = ahora.astimezone(zona)

    def lleno(datos: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in datos.items() if v not in (None, "")}

    return {
        "ticket": lleno(ticket),
        "cliente": lleno(cliente),
        "agente": lleno(agente),
        "hoy": fecha_larga(local),
        "ahora": f"{fecha_larga(local)}, {local:%H:%M}",
    }


def renderizar(plantilla: str, contexto: Mapping[str, Any]) -> str:
    """The message for ``contexto``; a 400 (never a 500) if it fails, is too long or is blank.

    Rendering streams, so an over-long result stops as soon as it passes :data:`MAX_MENSAJE`.
    """
    compilada = _compilada(plantilla)
    partes: list[str] = []
    largo = 0
    try:
        for parte in compilada.generate(contexto):
            largo += len(parte)
            if largo > MAX_MENSAJE:
                raise _error(f"el mensaje supera los {MAX_MENSAJE} caracteres")
            partes.append(parte)
    except BadRequest:
        raise
    except Exception as exc:  # any failure of an agent's template is theirs to fix: a 400
        linea = getattr(exc, "lineno", None)
        raise _error(f"no se pudo generar el mensaje: {exc}", linea) from exc
    texto = "".join(partes)
    if not texto.strip():  # a reply needs text: say so before anything is written
        raise _error("el mensaje queda vacío para este ticket")
    return texto
