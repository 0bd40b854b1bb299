"""Meta-tests of the architecture: ``core`` never imports ``plugins``, and the app starts with no
plugin at all and with each installed plugin left out in turn."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
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


# --- every module imports on its own (as pytest's testing/test_meta.py does) -------------------

#: Run in one fresh interpreter: import the third-party libraries once, then fork a child per
#: module, so each child starts with none of ``core`` or ``plugins`` imported (an import cycle
#: or a missing import shows up whatever the order). A pool of two keeps it at a few seconds;
#: one interpreter per module costs over a minute. Prints ``{module: traceback}`` as JSON.
_IMPORT_EACH = """
import importlib, json, os, sys, tempfile, traceback

for lib in ("aiohttp", "aiohttp_cors", "aiohttp_jinja2", "pluggy", "tortoise", "pydantic",
            "pydantic_settings", "argon2", "itsdangerous", "click", "jinja2", "aiosqlite"):
    importlib.import_module(lib)
assert not any(n == p or n.startswith(p + ".") for n in sys.modules for p in ("core", "plugins"))

names = json.loads(sys.stdin.read())
out = tempfile.mkdtemp()
running, failures = {}, {}


def reap():
    pid, status = os.wait()
    name, path = running.pop(pid)
    if status != 0:
        with open(path) as f:
            failures[name] = f.read() or f"exit status {status}"


for i, name in enumerate(names):
    if len(running) >= 2:
        reap()
    path = os.path.join(out, str(i))
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            importlib.import_module(name)
        except BaseException:
            with open(path, "w") as f:
                f.write(traceback.format_exc())
            code = 1
        os._exit(code)  # no atexit handlers, no buffered output of the parent's
    running[pid] = (name, path)
while running:
    reap()
print(json.dumps(failures))
"""


def package_modules() -> list[str]:
    """Every module and package under ``core`` and ``plugins`` (migrations included)."""
    import plugins

    names: list[str] = []
    unlisted: list[str] = []
    for package in (core, plugins):
        names.append(package.__name__)
        for module in pkgutil.walk_packages(
            package.__path__, f"{package.__name__}.", onerror=unlisted.append
        ):
            names.append(module.name)
    return sorted({*names, *unlisted})


def test_the_module_walk_finds_every_file() -> None:
    files = list(CORE.parent.joinpath("core").rglob("*.py"))
    files += CORE.parent.joinpath("plugins").rglob("*.py")
    names = package_modules()
    assert "plugins.tickets.migrations.0001_inicial" in names and "core.plugin_contract" in names
    assert len(names) == len(files)


def test_every_module_imports_on_its_own_in_a_fresh_interpreter() -> None:
    names = package_modules()
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH],
        input=json.dumps(names),
        capture_output=True,
        text=True,
        cwd=CORE.parent,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    failures: dict[str, str] = json.loads(done.stdout)
    report = "\n".join(f"--- {name} ---\n{tb}" for name, tb in sorted(failures.items()))
    if failures:  # pytest.fail: the tracebacks once, not again in an assertion's repr
        pytest.fail(f"{len(failures)} module(s) fail to import on their own:\n{report}", False)


@pytest.mark.parametrize(
    "proyecto",
    [CORE.parent / "pyproject.toml", *sorted((CORE.parent / "examples").glob("*/pyproject.toml"))],
    ids=lambda p: p.parent.name,
)
def test_packaging_metadata_uses_no_deprecated_form(proyecto: Path) -> None:
    """setuptools warns on every install about a ``project.license`` table (deprecated, removed
    in 2027): an SPDX expression, its files listed in ``license-files`` that exist, and a
    setuptools that reads them (77+)."""
    import tomllib

    datos = tomllib.loads(proyecto.read_text())
    assert isinstance(datos["project"]["license"], str), proyecto
    assert "setuptools>=77" in datos["build-system"]["requires"], proyecto
    for patron in datos["project"].get("license-files", []):
        assert list(proyecto.parent.glob(patron)), (proyecto, patron)
    if proyecto.parent == CORE.parent:
        assert datos["project"]["license-files"] == ["LICENSE"]
