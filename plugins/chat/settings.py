"""The settings of ``chat``: ``SOPORTE_CHAT_*`` or ``[plugins.chat]`` in soporte.toml
(docs/configuration.md, "Plugin settings")."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class ChatSettings(BaseSettings):
    """How often each process re-announces who is viewing its tickets."""

    viewers_announce_seconds: float = Field(
        10,
        gt=0,
        description="Seconds between a process's announcements of who is viewing its tickets "
        "(`viendo` frames across processes); a process not heard from for three periods is "
        "forgotten, so a crashed process's viewers disappear within four.",
    )
