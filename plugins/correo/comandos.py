"""``soporte correo …``: the e-mail channel's commands (filled by the transports)."""

from __future__ import annotations

import click


@click.group("correo")
def grupo() -> None:
    """Inbound e-mail: the SMTP receiver, the IMAP reader, the endpoint's token."""
