"""soporte's core: a plugin host for helpdesk features on aiohttp, pluggy and tortoise-orm.

Plugin authors import :data:`hookimpl` from here::

    from core import hookimpl

    @hookimpl
    def register_routes(app):
        return routes
"""

from core.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]
