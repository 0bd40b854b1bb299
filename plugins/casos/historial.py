"""``GET /api/soporte/casos/{id}/historial/``: a case's change history.

The rows are written by the cases' service itself (``core.history.record`` with ``entidad``
``caso``, in the transaction of each change); this module only serves them, with the same
rules as tickets' history: agents see every entry, the customer the case is about its public
timeline, anyone else a 404.
"""

from __future__ import annotations

from aiohttp import web

from core.api import TOKEN, Page, Routes
from core.api.history import CambioOut, HistoryQuery, history_page
from core.auth.guards import current_user
from plugins.casos import service

#: The ``entidad`` of cases' history rows.
ENTIDAD = "caso"

routes = Routes(tag="casos")


@routes.get(r"/api/soporte/casos/{id:\d+}/historial/", auth=TOKEN)
async def historial(request: web.Request, id: int, query: HistoryQuery) -> Page[CambioOut]:
    """A case's change history, oldest first: agents see every entry, the customer it is about
    the public timeline; anyone else a 404."""
    usuario = current_user(request)
    await service.obtener_caso(usuario, id)
    return await history_page(request, usuario, ENTIDAD, id, query)
