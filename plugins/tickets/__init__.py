"""Plugin ``tickets``: Tickets with replies, attachments, states and ratings."""

name = "tickets"
version = "0.1.0"
requires: tuple[str, ...] = ()
