"""Helpers of the FAQ tests: the guide's calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.testing import SoporteClient

#: The headers of the guide's ``obtenerFAQs``: no token, only a content type.
GUIA = {"Content-Type": "application/json"}
URL = "/api/soporte/faqs/"


async def listar(soporte: SoporteClient, headers: dict[str, str] | None = None, **params: Any):
    """``GET /api/soporte/faqs/`` with ``params``; asserts 200 and returns the page."""
    r = await soporte.get(
        URL, params={k: str(v) for k, v in params.items()}, headers=headers or GUIA
    )
    assert r.status == 200, await r.text()
    return await r.json()


async def buscar_ids(soporte: SoporteClient, q: str, **params: Any) -> list[int]:
    """The ids the guide's call finds for ``q``, in the order returned."""
    page = await listar(
        soporte, **{"categoria": "", "q": q, "activas": "true", "size": 100, **params}
    )
    return [f["id"] for f in page["results"]]
