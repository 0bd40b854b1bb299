"""Hook implementations of the ``chat`` plugin: thin wiring only."""

from __future__ import annotations

from plugins.chat import name, requires, version

__all__ = ["name", "requires", "version"]
