"""Plugin ``casos``: Support cases."""

name = "casos"
version = "0.1.0"
requires: tuple[str, ...] = ()
