"""Hook implementations of the ``escalamiento`` plugin: thin wiring only."""

from __future__ import annotations

from plugins.escalamiento import name, requires, version

__all__ = ["name", "requires", "version"]
