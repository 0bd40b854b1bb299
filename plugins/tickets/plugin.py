"""Hook implementations of the ``tickets`` plugin: thin wiring only."""

from __future__ import annotations

from plugins.tickets import name, requires, version

__all__ = ["name", "requires", "version"]
