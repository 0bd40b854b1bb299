"""Plugin ``escalamiento``: Automatic escalation with pluggable policies."""

name = "escalamiento"
version = "0.1.0"
requires: tuple[str, ...] = ("tickets",)
