"""The baselines of ``bench/api.py``: a bare aiohttp server, nothing of soporte in it.

* ``GET /json``: a JSON answer from a bare handler (no middleware, no database);
* ``POST /insert``: reads a JSON body and inserts one row through tortoise into a SQLite file
  opened exactly as soporte opens its own (WAL, tortoise's defaults), or into a PostgreSQL
  database (``bench/api.py --database-url``), then answers its id.

    .venv/bin/python bench/_baseline.py --port 8765 --database-url sqlite:///tmp/baseline.db
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web
from tortoise import Tortoise, fields
from tortoise.models import Model

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class Fila(Model):
    """One row per insert: a short text and a timestamp, like a small ticket."""

    id = fields.IntField(primary_key=True)
    texto = fields.CharField(max_length=200)
    fecha = fields.DatetimeField()

    class Meta:
        table = "baseline_fila"


__models__ = [Fila]


async def json_handler(request: web.Request) -> web.Response:
    """The bare handler."""
    return web.json_response({"status": "ok"})


async def insert_handler(request: web.Request) -> web.Response:
    """One row through the ORM, autocommitted."""
    data = await request.json()
    fila = await Fila.create(texto=str(data.get("asunto", ""))[:200], fecha=datetime.now(UTC))
    return web.json_response({"id": fila.id}, status=201)


def make_app(database_url: str) -> web.Application:
    """The baseline application on the database ``database_url`` (``sqlite://…``, ``postgres://…``)."""

    async def orm(app: web.Application) -> AsyncIterator[None]:
        await Tortoise.init(
            db_url=database_url,
            modules={"models": ["__main__"]},
            _enable_global_fallback=True,
        )
        await Tortoise.generate_schemas()
        yield
        await Tortoise.close_connections()

    app = web.Application()
    app.cleanup_ctx.append(orm)
    app.router.add_get("/json", json_handler)
    app.router.add_get("/healthz", json_handler)
    app.router.add_post("/insert", insert_handler)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    web.run_app(
        make_app(args.database_url), host="127.0.0.1", port=args.port, print=None, access_log=None
    )
