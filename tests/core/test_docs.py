"""The documentation keeps up with the code (in the manner of datasette's ``test_docs.py``).

Every hook (the core's and those declared by built-in plugins) is documented and tested, every
setting is documented, the README starts with the two commands, and no relative link in the docs
is broken. Everything is computed from the code
and the files, so a new hook, setting or page is checked without editing this module.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from core import hookspecs
from core.hookspecs import PROJECT
from core.plugin_settings import env_prefix
from core.plugins import PluginHost
from core.settings import ENV_PREFIX, Settings, env_name

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TESTS = ROOT / "tests"
PLUGINS_MD = DOCS / "plugins.md"
CONFIGURATION_MD = DOCS / "configuration.md"
README = ROOT / "README.md"
MARKDOWN_FILES = [README, *sorted(DOCS.glob("*.md"))]

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def hookspec_modules() -> list[ModuleType]:
    """The core's hookspecs and those the built-in plugins declare (``plugins/*/hookspecs.py``,
    added through ``register_hookspecs``): other plugins implement both kinds alike."""
    found = [hookspecs]
    for path in sorted((ROOT / "plugins").glob("*/hookspecs.py")):
        found.append(importlib.import_module(f"plugins.{path.parent.name}.hookspecs"))
    return found


def hook_functions() -> dict[str, Callable[..., object]]:
    """Every hookspec (functions pluggy marked as specs) of :func:`hookspec_modules`, by name."""
    marker = f"{PROJECT}_spec"
    return {
        name: function
        for module in hookspec_modules()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if hasattr(function, marker) and function.__module__ == module.__name__
    }


def hook_specs() -> dict[str, inspect.Signature]:
    """The signature of every hookspec, by name."""
    return {name: inspect.signature(function) for name, function in hook_functions().items()}


HOOKS = sorted(hook_specs())


def without_code_blocks(text: str) -> str:
    """Markdown with fenced code blocks removed (their ``#`` lines are not headings)."""
    return _FENCE.sub("", text)


def headings(path: Path) -> list[str]:
    """The text of every heading of a Markdown file, in order."""
    return [m.group(2) for m in _HEADING.finditer(without_code_blocks(path.read_text()))]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file, with GitHub's ``-1``, ``-2`` for repeats."""
    seen: dict[str, int] = {}
    found = set()
    for heading in headings(path):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def test_hookspecs_are_found() -> None:
    """The discovery below sees the core's hooks (an empty list would make the checks vacuous)."""
    assert {"register_routes", "register_models", "dashboard_stats"} <= set(HOOKS)
    # ...and the plugins' own, so that they are documented and tested like the core's.
    assert {"validate_reserva", "register_escalation_policies", "register_notifiers"} <= set(HOOKS)


# --- (a) every hook has a section in docs/plugins.md -----------------------------------------


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook: str) -> None:
    """``### <hook>(<params>)`` heads the hook's section, with the spec's parameters."""
    sections = [h for h in headings(PLUGINS_MD) if h.startswith(f"{hook}(")]
    assert sections, f"docs/plugins.md has no '### {hook}(...)' section"
    params = ", ".join(hook_specs()[hook].parameters)
    assert f"### {hook}({params})" in PLUGINS_MD.read_text(), (
        f"the section of {hook} must be headed '### {hook}({params})', found {sections}"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hookspec_says_when_it_fires_and_what_it_returns(hook: str) -> None:
    """The spec's docstring, the contract plugin authors read first, has both parts."""
    doc = inspect.getdoc(hook_functions()[hook]) or ""
    assert "Fires:" in doc and "Returns:" in doc, f"the docstring of {hook} lacks Fires:/Returns:"


# --- (b) every hook is referenced by at least one test ---------------------------------------


def suite_modules() -> list[Path]:
    """The test modules of the suite, except this one."""
    return [p for p in sorted(TESTS.rglob("test_*.py")) if p.resolve() != Path(__file__).resolve()]


def helpers_of(path: Path) -> list[Path]:
    """The helper modules of the suite (``tests/…``, not test modules) that ``path`` imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            helper = ROOT.joinpath(*name.split(".")).with_suffix(".py")
            if (
                name.startswith("tests.")
                and helper.is_file()
                and not helper.name.startswith("test_")
            ):
                found.append(helper)
    return found


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook: str) -> None:
    """Some test module (not this one) names the hook, itself or through a helper it imports
    (the escalation tests implement the plugin's hooks in ``ayudas.Extra``)."""
    pattern = re.compile(rf"\b{re.escape(hook)}\b")
    users = [
        p.relative_to(ROOT)
        for p in suite_modules()
        if any(pattern.search(m.read_text()) for m in (p, *helpers_of(p)))
    ]
    assert users, f"no test module under tests/ (nor a helper it imports) uses the hook {hook}"


# --- (c) every setting is documented ---------------------------------------------------------


def assert_documented_row(variable: str, field: str) -> None:
    """docs/configuration.md has a table row naming ``variable`` and the TOML key ``field``."""
    rows = [
        line
        for line in CONFIGURATION_MD.read_text().splitlines()
        if line.startswith("|") and f"`{variable}`" in line
    ]
    assert rows, f"docs/configuration.md has no table row for {variable}"
    assert any(f"`{field}`" in row for row in rows), f"the row of {variable} lacks `{field}`"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_setting_is_documented(field: str) -> None:
    """docs/configuration.md has a table row with the variable and the TOML key."""
    variable = f"SOPORTE_{field.upper()}"
    assert_documented_row(variable, field)


def plugin_settings_classes() -> list[tuple[str, Any]]:
    """``(plugin, settings class)`` of every installed plugin, as an app with all builds them."""
    return PluginHost.from_settings(Settings(plugins=None)).settings_classes()


def built_in_plugin_fields() -> list[tuple[str, str]]:
    """``(plugin, field)`` of the settings of the plugins shipped in ``plugins/``."""
    return [
        (plugin, field)
        for plugin, cls in plugin_settings_classes()
        if cls.__module__.startswith("plugins.")
        for field in cls.model_fields
    ]


def test_built_in_plugins_have_settings() -> None:
    """The discovery below sees escalamiento's settings (an empty list would be vacuous)."""
    assert ("escalamiento", "interval") in built_in_plugin_fields()


@pytest.mark.parametrize(
    ("plugin", "field"), built_in_plugin_fields(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_plugin_setting_is_documented(plugin: str, field: str) -> None:
    """docs/configuration.md has a table row with the plugin's variable and its TOML key."""
    variable = env_name(env_prefix(plugin), field)
    assert_documented_row(variable, field)


def test_configuration_names_no_unknown_setting() -> None:
    """Every ``SOPORTE_*`` name on the page is a setting, a deprecated name of one, a plugin's
    setting (old names included), or the test-only database URL."""
    known = {env_name(ENV_PREFIX, name) for name in [*Settings.model_fields, *Settings.renamed]}
    for plugin, cls in plugin_settings_classes():
        renamed = getattr(cls, "renamed", None) or {}
        known |= {env_name(env_prefix(plugin), name) for name in [*cls.model_fields, *renamed]}
    known.add("SOPORTE_TEST_DATABASE_URL")  # read by core/testing.py, not by Settings
    mentioned = set(re.findall(r"\bSOPORTE_[A-Z][A-Z0-9_]*", CONFIGURATION_MD.read_text()))
    assert mentioned - known == set()


# --- (d) the README starts with the two commands ---------------------------------------------


def commands(block: str) -> list[str]:
    """The command lines of a fenced block: comments and blank lines dropped."""
    lines = block.splitlines()[1:-1]  # without the fences
    found = []
    for line in lines:
        command = line.split("#", 1)[0].strip()
        if command:
            found.append(command)
    return found


def test_readme_shows_make_run_and_make_test_first() -> None:
    """The first command a reader meets is ``make run``, then ``make test``."""
    blocks = [m.group(0) for m in _FENCE.finditer(README.read_text())]
    assert blocks, "README.md has no code block"
    assert commands(blocks[0]) == ["make run", "make test"]


# --- (e) no broken relative link -------------------------------------------------------------


def relative_links(path: Path) -> list[str]:
    """Link targets of a Markdown file that are neither URLs nor e-mail addresses."""
    targets = _LINK.findall(without_code_blocks(path.read_text()))
    return [t for t in targets if not _SCHEME.match(t)]


def test_docs_have_links() -> None:
    """The link parser finds links (so that the check below is not vacuous)."""
    assert relative_links(README) and relative_links(PLUGINS_MD)


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    """Each relative link names an existing file, and its ``#anchor`` an existing heading."""
    broken = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading with anchor #{anchor}")
    assert broken == []
