"""The frontend guide as code: its ```javascript blocks and the declarations inside them.

The guide (``guia_frontend.md``, a verbatim copy of the project's seed) is the judge of the API.
Nothing here rewrites its code: declarations are cut out by scanning the JavaScript (strings,
template literals and comments skipped, brackets matched), and every piece a test needs must be
found exactly once, so a guide that changes shape fails loudly instead of testing less.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: The vendored copy, and the seed it copies (``shared/`` sits beside the clone, in CI too).
GUIA = Path(__file__).with_name("guia_frontend.md")
RAIZ = Path(__file__).resolve().parents[2]
SEMILLA = RAIZ.parent / "shared" / "seeds" / "000_720d4b9d000c58a4.txt"

#: Top-level declarations the Node harness evaluates: the guide's non-JSX client code.
PIEZAS_NODE = (
    "token",
    "headers",
    "crearTicket",
    "nuevoTicket",
    "obtenerMisTickets",
    "obtenerDetalleTicket",
    "responderTicket",
    "ChatSoporteWebSocket",
    "obtenerFAQs",
    "valorarFAQ",
    "crearCasoSoporte",
    "configurarEscalamiento",
)
#: Loaders declared inside the guide's components (plain JavaScript, no JSX): run in Node with
#: the component's ``set…`` functions replaced by recorders.
CARGADORES = (
    "cargarTickets",
    "cargarTicket",
    "cargarFAQs",
    "cargarDashboard",
    "cargarEscalamiento",
)
#: The components the browser test mounts (all must be declared at the top level).
COMPONENTES = (
    "ListaTickets",
    "DetalleTicket",
    "ResponderTicket",
    "useChatSoporte",
    "ChatTicket",
    "FAQ",
    "FormularioCaso",
    "DashboardSoporte",
    "MonitorEscalamiento",
    "SoporteContext",
    "SoporteProvider",
    "useSoporte",
    "WidgetSoporte",
)


class GuiaCambiada(AssertionError):
    """The guide no longer has a piece the suite runs: the suite must be revisited."""


@dataclass(frozen=True)
class Bloque:
    """One ```javascript block: the heading it sits under and its code, byte for byte."""

    titulo: str
    codigo: str


def texto() -> str:
    """The vendored guide."""
    return GUIA.read_text(encoding="utf-8")


def bloques(guia: str | None = None) -> list[Bloque]:
    """Every ```javascript block of the guide, in order."""
    guia = texto() if guia is None else guia
    encontrados: list[Bloque] = []
    titulo = ""
    dentro: list[str] | None = None
    for linea in guia.splitlines(keepends=True):
        if dentro is None:
            if linea.startswith("#"):
                titulo = linea.strip("# \n")
            elif linea.rstrip() == "```javascript":
                dentro = []
        elif linea.rstrip() == "```":
            encontrados.append(Bloque(titulo, "".join(dentro)))
            dentro = None
        else:
            dentro.append(linea)
    if dentro is not None:
        raise GuiaCambiada("unterminated ```javascript block")
    return encontrados


def codigo(guia: str | None = None) -> str:
    """All the guide's JavaScript, blocks joined in order."""
    return "\n".join(b.codigo for b in bloques(guia))


_PAREJA = {"(": ")", "[": "]", "{": "}"}


def _fin_de_declaracion(fuente: str, inicio: int, es_clase: bool) -> int:
    """The index just past the declaration starting at ``inicio``.

    A class ends at the ``}`` closing its body; a ``const`` at the first ``;`` outside every
    bracket. Strings, template literals (with nested ``${…}``) and comments are skipped.
    """
    pila: list[str] = []
    # Each open template literal pushes the bracket depth at which its ``${…}`` started.
    plantillas: list[int] = []
    i = inicio
    n = len(fuente)
    while i < n:
        c = fuente[i]
        if c in "'\"":
            i += 1
            while fuente[i] != c:
                if fuente[i] == "\n":
                    raise GuiaCambiada(f"unterminated string at {i}")
                i += 2 if fuente[i] == "\\" else 1
        elif c == "`" or (c == "}" and plantillas and plantillas[-1] == len(pila)):
            # Inside a template literal: read up to its end or the next ``${``.
            if c == "}":
                plantillas.pop()
            i += 1
            while fuente[i] != "`":
                if fuente.startswith("${", i):
                    plantillas.append(len(pila))
                    i += 1
                    break
                i += 2 if fuente[i] == "\\" else 1
        elif fuente.startswith("//", i):
            i = fuente.index("\n", i)
            continue
        elif fuente.startswith("/*", i):
            i = fuente.index("*/", i) + 1
        elif c in _PAREJA:
            pila.append(_PAREJA[c])
        elif c in ")]}":
            if not pila or pila.pop() != c:
                raise GuiaCambiada(f"unbalanced {c!r} at {i}: {fuente[inicio:i][-200:]!r}")
            if es_clase and not pila:
                return i + 1
        elif c == ";" and not pila and not es_clase:
            return i + 1
        i += 1
    raise GuiaCambiada(f"declaration at {inicio} never ends")


def declaracion(nombre: str, fuente: str | None = None, *, interna: bool = False) -> str:
    """The guide's declaration of ``nombre``, verbatim (``export`` included, if it has one).

    Top-level names are declared at column 0 (``const x =``, ``class X``, ``export const``);
    ``interna`` finds one declared inside a component (indented). Exactly one must exist.
    """
    fuente = codigo() if fuente is None else fuente
    sangria = r"[ \t]+" if interna else ""
    patron = re.compile(
        rf"^{sangria}(?:export[ \t]+)?(const|let|class)[ \t]+{re.escape(nombre)}\b", re.M
    )
    hallados = list(patron.finditer(fuente))
    if len(hallados) != 1:
        donde = "inside a component" if interna else "at the top level"
        raise GuiaCambiada(
            f"expected one declaration of {nombre!r} {donde} in the guide, found {len(hallados)}"
        )
    m = hallados[0]
    fin = _fin_de_declaracion(fuente, m.start(), es_clase=m.group(1) == "class")
    return fuente[m.start() : fin].strip(" \t")


def piezas_node(fuente: str | None = None) -> dict[str, str]:
    """The non-JSX client code the Node harness evaluates, by name."""
    fuente = codigo() if fuente is None else fuente
    return {nombre: declaracion(nombre, fuente) for nombre in PIEZAS_NODE}


def cargadores(fuente: str | None = None) -> dict[str, str]:
    """The components' loader functions, by name."""
    fuente = codigo() if fuente is None else fuente
    return {nombre: declaracion(nombre, fuente, interna=True) for nombre in CARGADORES}


#: The one rewrite the browser page makes: ``export`` is module syntax and the blocks run as
#: classic scripts (so that their top-level names are shared, as in one bundle).
_EXPORT = re.compile(r"^export const ", re.M)
#: How many ``export const`` lines the guide has (SoporteProvider and useSoporte).
EXPORTS_ESPERADOS = 2


def estado_inicial_caso(fuente: str | None = None) -> str:
    """FormularioCaso's ``const [caso, setCaso] = useState({...});``, verbatim: the state the
    form submits (before the user types a title and a description)."""
    fuente = codigo() if fuente is None else fuente
    componente = declaracion("FormularioCaso", fuente)
    hallados = [m.start() for m in re.finditer(r"const \[caso, setCaso\] = useState\(", componente)]
    if len(hallados) != 1:
        raise GuiaCambiada("FormularioCaso's `const [caso, setCaso] = useState(` not found once")
    fin = _fin_de_declaracion(componente, hallados[0], es_clase=False)
    return componente[hallados[0] : fin]


def bloques_para_navegador(guia: str | None = None) -> list[str]:
    """Every block as the page includes it: verbatim but for ``export const`` → ``const``."""
    resultado = []
    total = 0
    for bloque in bloques(guia):
        cambiado, cuantos = _EXPORT.subn("const ", bloque.codigo)
        total += cuantos
        if re.search(r"^\s*(export|import)\b", cambiado, re.M):
            raise GuiaCambiada(f"module syntax left in block {bloque.titulo!r}")
        resultado.append(cambiado)
    if total != EXPORTS_ESPERADOS:
        raise GuiaCambiada(f"expected {EXPORTS_ESPERADOS} 'export const' lines, found {total}")
    return resultado
