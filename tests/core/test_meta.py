"""Meta-tests of the architecture: ``core`` never imports ``plugins``, and the app starts with no
plugin at all and with each installed plugin left out in turn."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import core
from core import keys
from core.plugins import PluginError, installed_entry_points, load_entry_point

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SoporteClient

CORE = Path(core.__file__).parent


def imports_of_plugins(source: str) -> list[str]:
    """Every way ``source`` imports the ``plugins`` package: import statements and
    ``import_module("plugins…")`` / ``__import__("plugins…")`` calls with a literal name."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        found += [n for n in names if n == "plugins" or n.startswith("plugins.")]
    return found


def test_the_import_scan_finds_every_form() -> None:
    source = (
        "import plugins\nimport plugins.faq as f\nfrom plugins.tickets import service\n"
        "import importlib\nimportlib.import_module('plugins.chat')\n__import__('plugins')\n"
        "import pluginsx\nfrom core import plugins\n"
    )
    assert imports_of_plugins(source) == [
        "plugins",
        "plugins.faq",
        "plugins.tickets",
        "plugins.chat",
        "plugins",
    ]


def test_core_imports_nothing_from_plugins() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 20
    offenders = {
        str(path.relative_to(CORE.parent)): found
        for path in files
        if (found := imports_of_plugins(path.read_text()))
    }
    assert offenders == {}


def _sin(installed: dict[str, tuple[str, ...]], fuera: str) -> list[str]:
    """The installed plugins minus ``fuera`` and every plugin that needs it, transitively."""
    gone = {fuera}
    changed = True
    while changed:
        changed = False
        for name, requires in installed.items():
            if name not in gone and gone.intersection(requires):
                gone.add(name)
                changed = True
    return sorted(set(installed) - gone)


def test_leaving_out_a_plugin_leaves_out_what_requires_it() -> None:
    installed = {"tickets": (), "chat": ("tickets",), "x": ("chat",), "faq": ()}
    assert _sin(installed, "tickets") == ["faq"]
    assert _sin(installed, "chat") == ["faq", "tickets"]
    assert _sin(installed, "faq") == ["chat", "tickets", "x"]


def _requires() -> dict[str, tuple[str, ...]]:
    """What each installed plugin requires. A plugin that fails to import requires nothing
    here: it is then only enabled where it should be, and fails there, naming itself."""
    found: dict[str, tuple[str, ...]] = {}
    for name, ep in installed_entry_points().items():
        try:
            found[name] = load_entry_point(ep).requires
        except PluginError:
            found[name] = ()
    return found


def _casos() -> list[str]:
    return ["(ninguno)", "(todos)", *sorted(installed_entry_points())]


@pytest.mark.parametrize("fuera", _casos())
async def test_the_app_starts_without_each_plugin(
    arrancar: Callable[..., Awaitable[SoporteClient]], fuera: str
) -> None:
    installed = _requires()
    if fuera == "(ninguno)":
        enabled: list[str] = []
    elif fuera == "(todos)":
        enabled = sorted(installed)
    else:
        enabled = _sin(installed, fuera)
    api = await arrancar(plugins=enabled, extra=[])
    assert sorted(api.app[keys.PLUGINS].names) == enabled
    r = await api.get("/healthz")
    assert r.status == 200
    r = await api.get("/readyz")
    assert r.status == 200
    r = await api.get("/api/openapi.json")
    assert r.status == 200
    spec = await r.json()
    documented = {op["x-plugin"] for ops in spec["paths"].values() for op in ops.values()}
    assert documented <= {"core", *enabled}
    if fuera not in ("(ninguno)", "(todos)"):
        assert fuera not in documented
