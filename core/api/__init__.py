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
from core.api.pagination import Count, Page, PageQuery, SearchPage, paginate, paginate_search
from core.api.routing import INTEGRATION, PUBLIC, TOKEN, Encoded, Endpoint, Result, Routes

__all__ = [
    "INTEGRATION",
    "PUBLIC",
    "TOKEN",
    "BadRequest",
    "Conflict",
    "Count",
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
    "SearchPage",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "paginate",
    "paginate_search",
]
