"""API conventions shared by every plugin: errors, routing, validation, pagination, OpenAPI."""

from core.api.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Problem,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
)
from core.api.pagination import Page, PageQuery, paginate
from core.api.routing import INTEGRATION, PUBLIC, TOKEN, Encoded, Endpoint, Result, Routes

__all__ = [
    "INTEGRATION",
    "PUBLIC",
    "TOKEN",
    "BadRequest",
    "Conflict",
    "Encoded",
    "Endpoint",
    "Forbidden",
    "NotFound",
    "Page",
    "PageQuery",
    "PayloadTooLarge",
    "Problem",
    "Result",
    "Routes",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "paginate",
]
