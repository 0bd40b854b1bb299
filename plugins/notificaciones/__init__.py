"""Plugin ``notificaciones``: everyone hears about what concerns them, in the page, live, and by
e-mail (docs/api.md, "Notificaciones")."""

name = "notificaciones"
version = "0.1.0"
requires: tuple[str, ...] = ("tickets",)
