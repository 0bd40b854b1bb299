"""Plugin ``asignacion``: automatic assignment of tickets with pluggable policies."""

name = "asignacion"
version = "0.1.0"
requires: tuple[str, ...] = ("tickets",)
