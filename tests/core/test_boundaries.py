"""The plugin boundary: a plugin imports from another plugin only its ``api`` or ``events``
(``TYPE_CHECKING`` imports included), and ``core`` imports nothing from ``plugins``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLICOS = frozenset({"api", "events"})


def _archivos() -> list[tuple[Path, str | None]]:
    """Every checked module with its own plugin (``None`` for core, the package for examples)."""
    archivos: list[tuple[Path, str | None]] = [(p, None) for p in (ROOT / "core").rglob("*.py")]
    for carpeta in sorted((ROOT / "plugins").iterdir()):
        if carpeta.is_dir() and (carpeta / "__init__.py").exists():
            archivos += [(p, carpeta.name) for p in carpeta.rglob("*.py")]
    for paquete in sorted((ROOT / "examples").glob("*/*/__init__.py")):
        archivos += [(p, "<example>") for p in paquete.parent.rglob("*.py")]
    return archivos


def violaciones(fuente: str, archivo: str, propio: str | None) -> list[str]:
    """``file:line: import`` for each import that crosses the boundary (every node of the
    tree, so imports under ``if TYPE_CHECKING:`` and inside functions count too)."""
    malas: list[str] = []
    for nodo in ast.walk(ast.parse(fuente)):
        if isinstance(nodo, ast.Import):
            modulos = [(a.name, None) for a in nodo.names]
        elif isinstance(nodo, ast.ImportFrom) and nodo.level == 0 and nodo.module:
            modulos = [(nodo.module, [a.name for a in nodo.names])]
        else:
            continue
        for modulo, nombres in modulos:
            partes = modulo.split(".")
            if partes[0] != "plugins":
                continue
            texto = ast.get_source_segment(fuente, nodo) or modulo
            if propio is None:
                malas.append(f"{archivo}:{nodo.lineno}: core imports a plugin: {texto}")
                continue
            if len(partes) >= 2 and partes[1] == propio:
                continue
            publico = (len(partes) == 3 and partes[2] in PUBLICOS) or (
                len(partes) == 2 and nombres is not None and set(nombres) <= PUBLICOS
            )
            if not publico:
                malas.append(
                    f"{archivo}:{nodo.lineno}: imports another plugin's internals "
                    f"(only plugins.<name>.api or .events): {texto}"
                )
    return malas


def test_los_plugins_solo_se_ven_por_su_api_y_el_core_por_ninguno() -> None:
    malas = [
        v
        for ruta, propio in _archivos()
        for v in violaciones(ruta.read_text(), str(ruta.relative_to(ROOT)), propio)
    ]
    assert malas == []


def test_el_meta_test_atrapa_las_importaciones_de_antes() -> None:
    """Today's escalamiento before the faces, and other shapes of the same mistake."""
    fuente = (
        "from typing import TYPE_CHECKING\n"
        "from plugins.tickets.service import ESTADOS_ABIERTOS, Ticket\n"
        "from plugins.tickets.api import TicketVista\n"
        "from plugins.tickets import events\n"
        "from plugins.escalamiento.models import Regla\n"
        "if TYPE_CHECKING:\n"
        "    from plugins.tickets.models import Ticket\n"
        "import plugins.tickets.models\n"
        "from plugins import tickets\n"
    )
    malas = violaciones(fuente, "plugins/escalamiento/service.py", "escalamiento")
    assert sorted(m.split(":")[1] for m in malas) == ["2", "7", "8", "9"]
    assert "from plugins.tickets.service import ESTADOS_ABIERTOS, Ticket" in malas[0]
    assert malas[0].startswith("plugins/escalamiento/service.py:2:")
    (core,) = violaciones("from plugins.tickets.api import Estado\n", "core/app.py", None)
    assert core.startswith("core/app.py:1: core imports a plugin")
