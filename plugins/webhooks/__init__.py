"""Plugin ``webhooks``: signed HTTP deliveries of every domain event, through the outbox."""

name = "webhooks"
version = "0.1.0"
requires: tuple[str, ...] = ()
