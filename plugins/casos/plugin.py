"""Hook implementations of the ``casos`` plugin: thin wiring only."""

from __future__ import annotations

from plugins.casos import name, requires, version

__all__ = ["name", "requires", "version"]
