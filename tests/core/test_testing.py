"""The test kit's ini option ``soporte_autouse``: on by default, off when a project says so."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

_PROBE = """
from tortoise.backends.base.executor import EXECUTOR_CACHE

def test_a():
    EXECUTOR_CACHE["probe"] = 1

def test_b():
    print("CACHE", "probe" in EXECUTOR_CACHE)
"""


@pytest.mark.parametrize(("ini", "kept"), [("", False), ("soporte_autouse = false", True)])
def test_the_autouse_fixture_follows_the_ini_option(
    pytester: pytest.Pytester, ini: str, kept: bool
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(_PROBE)
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"*CACHE {kept}*"])
