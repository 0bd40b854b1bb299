"""Plugin ``correo``: e-mail in — a message to the support address becomes a ticket, a reply to
one of its mails a reply (docs/api.md, "Correo entrante")."""

name = "correo"
version = "0.1.0"
requires: tuple[str, ...] = ("tickets",)
