"""docs/plugins.md walks through the VIP example: the code it shows is the example's code."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
EJEMPLO = ROOT / "examples" / "soporte-escalamiento-vip"


def test_la_guia_muestra_el_modulo_del_ejemplo_tal_cual() -> None:
    modulo = (EJEMPLO / "soporte_escalamiento_vip" / "__init__.py").read_text()
    guia = (ROOT / "docs" / "plugins.md").read_text()
    assert f"```python\n{modulo}```" in guia


def test_la_guia_muestra_el_entry_point_del_ejemplo() -> None:
    pyproject = (EJEMPLO / "pyproject.toml").read_text()
    guia = (ROOT / "docs" / "plugins.md").read_text()
    for linea in ('name = "soporte-escalamiento-vip"', 'vip = "soporte_escalamiento_vip"'):
        assert linea in pyproject and linea in guia
