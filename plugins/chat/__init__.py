"""Plugin ``chat``: Real-time chat per ticket over WebSocket."""

name = "chat"
version = "0.1.0"
requires: tuple[str, ...] = ("tickets",)
