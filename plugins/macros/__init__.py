"""Plugin ``macros``: canned replies with variables that may also change the ticket's fields."""

name = "macros"
version = "0.1.0"
requires: tuple[str, ...] = ("tickets",)
