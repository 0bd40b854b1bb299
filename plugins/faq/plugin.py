"""Hook implementations of the ``faq`` plugin: thin wiring only."""

from __future__ import annotations

from plugins.faq import name, requires, version

__all__ = ["name", "requires", "version"]
