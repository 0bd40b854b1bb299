"""Plugin ``politica_sin_asignar``: the escalation policy ``sin_asignar`` (an example)."""

name = "politica_sin_asignar"
version = "0.1.0"
#: The policy hook is declared by ``escalamiento``: without it enabled there is nothing to join.
requires: tuple[str, ...] = ("escalamiento",)
