"""The settings of ``notificaciones``: ``SOPORTE_NOTIFICACIONES_*`` or
``[plugins.notificaciones]`` in soporte.toml (docs/configuration.md, "Plugin settings")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings


class NotificacionesSettings(BaseSettings):
    """Who hears about new tickets, and how often one ticket may mail one person."""

    new_ticket_recipients: Literal["todos", "ninguno"] = Field(
        "todos",
        description="Agents told about every new ticket: `todos` (every active agent) or "
        "`ninguno`.",
    )
    mail_coalesce_minutes: float = Field(
        10,
        ge=0,
        description="No new e-mail about a ticket to a person while their previous "
        "notification of that ticket is unread and younger than this (minutes; `0`: one "
        "e-mail per notification).",
    )
