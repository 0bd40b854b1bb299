"""Page/size pagination with absolute ``next``/``previous`` links, fast on deep pages.

Deep ``OFFSET`` over full rows is the classic helpdesk slowdown, so :func:`paginate` first
fetches only the ids of the page (an index-only scan), then loads those rows — a "deferred
join" — and counts with a separate ``COUNT``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar, cast

from pydantic import BaseModel, Field
from pydantic_core import to_json
from yarl import URL

from core.api.urls import base_url

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from aiohttp import web
    from tortoise.queryset import QuerySet

T = TypeVar("T")
MAX_SIZE = 100


class PageQuery(BaseModel):
    """The pagination parameters every list accepts; list query models extend it."""

    page: int = Field(1, ge=1, le=10_000_000, description="1-based page number.")
    size: int = Field(10, ge=1, le=MAX_SIZE, description=f"Items per page (max {MAX_SIZE}).")


class Page(BaseModel, Generic[T]):
    """A page of results, as Django REST Framework's page-number pagination returns it."""

    count: int
    next: str | None
    previous: str | None
    results: list[T]


class SearchPage(Page[T], Generic[T]):
    """A page of a list that can be searched (``q``), whose count may be capped:
    ``count_exacto`` says whether ``count`` is exact. Always present, so that a generated
    client has one shape; ``false`` only for a search with more matches than it counts."""

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        """``Page[Item]``, as before the field existed: the OpenAPI component (and so the
        generated clients' type) keeps its name, ``PageTicketEnLista``."""
        return f"Page[{', '.join(getattr(p, '__name__', str(p)) for p in params)}]"

    count_exacto: bool = Field(
        True,
        description="False when `count` is a cap, not the exact total: a text search (`q`) "
        "with more matches than it counts. The pages up to `count` are reachable; a list "
        "without `q` always counts exactly.",
    )


class Count(NamedTuple):
    """What a ``count`` callable of :func:`paginate` may answer instead of a bare int: a total
    that may be a cap (``exact=False``: there are more rows than ``value``)."""

    value: int
    exact: bool


def page_links(request: web.Request, query: PageQuery, count: int) -> tuple[str | None, str | None]:
    """Absolute URLs of the next and previous pages (``None`` at either end)."""
    # The base may carry a path prefix (a proxy serving the API under ``/mesa/``): keep it.
    url = URL(base_url(request) + request.rel_url.path).with_query(request.query)

    def to(page: int) -> str:
        return str(url.update_query(page=page, size=query.size))

    last = max(1, -(-count // query.size))
    nxt = to(query.page + 1) if query.page < last else None
    prev = to(min(query.page - 1, last)) if query.page > 1 else None
    return nxt, prev


def page_json(
    request: web.Request,
    query: PageQuery,
    count: int,
    results: list[Any],
    *,
    count_exacto: bool | None = None,
) -> bytes:
    """A :class:`Page` as JSON, for a list that writes its ``results`` as plain JSON values
    itself (already in the shape of its result model): the same keys, order and links.
    ``count_exacto`` given: a :class:`SearchPage` (the field last, as the model dumps it)."""
    nxt, prev = page_links(request, query, count)
    page: dict[str, Any] = {"count": count, "next": nxt, "previous": prev, "results": results}
    if count_exacto is not None:
        page["count_exacto"] = count_exacto
    return to_json(page)


async def paginate(
    request: web.Request,
    queryset: QuerySet[Any],
    query: PageQuery,
    load: Callable[[Sequence[int]], Awaitable[Sequence[T]]],
    item: type[T],
    *,
    count: Callable[[], Awaitable[int]] | None = None,
    ids: Callable[[int, int], Awaitable[Sequence[int]]] | None = None,
) -> Page[T]:
    """One page of ``queryset`` (already filtered and ordered).

    ``load(ids)`` turns the page's ids into result items in that order (it may prefetch
    relations in a constant number of queries); ``item`` is the result model. ``count``, when
    given, answers how many rows ``queryset`` has without a ``COUNT(*)`` (which walks a whole
    index: tens of milliseconds at a million rows) — e.g. from a maintained total. ``ids``,
    when given, answers ``(offset, limit)`` with the page's ids in their order instead of
    ``queryset`` (e.g. a search ranked by relevance, which ``queryset`` cannot order by).
    """
    total = await count() if count is not None else await queryset.count()
    nxt, prev, results = await _window(request, queryset, query, load, total, ids)
    # pydantic parametrises Page at run time with the endpoint's result model (its schema names
    # it); mypy accepts only a type expression between the brackets, not a variable holding one.
    model: type[Page[T]] = Page[item]  # type: ignore[valid-type]  # run-time parametrisation
    return model(count=total, next=nxt, previous=prev, results=results)


async def paginate_search(
    request: web.Request,
    queryset: QuerySet[Any],
    query: PageQuery,
    load: Callable[[Sequence[int]], Awaitable[Sequence[T]]],
    item: type[T],
    *,
    count: Callable[[], Awaitable[int | Count]] | None = None,
    ids: Callable[[int, int], Awaitable[Sequence[int]]] | None = None,
) -> SearchPage[T]:
    """:func:`paginate` for a list that can be searched: ``count`` may answer a capped
    :class:`Count` (``count_exacto: false``; the pages up to the cap are served)."""
    contado = await count() if count is not None else await queryset.count()
    total, exacto = contado if isinstance(contado, Count) else (contado, True)
    # Past a cap the rows go on: the pages end at it, as the count says.
    tope = None if exacto else total
    nxt, prev, results = await _window(request, queryset, query, load, total, ids, tope)
    # As in paginate: the run-time parametrisation names the result model in the schema.
    model: type[SearchPage[T]] = SearchPage[item]  # type: ignore[valid-type]  # run time
    return model(count=total, count_exacto=exacto, next=nxt, previous=prev, results=results)


async def _window(
    request: web.Request,
    queryset: QuerySet[Any],
    query: PageQuery,
    load: Callable[[Sequence[int]], Awaitable[Sequence[T]]],
    total: int,
    ids: Callable[[int, int], Awaitable[Sequence[int]]] | None,
    tope: int | None = None,
) -> tuple[str | None, str | None, list[T]]:
    """The links and the loaded items of one page of ``total`` rows (see :func:`paginate`),
    none past row ``tope`` when given."""
    offset = (query.page - 1) * query.size
    size = query.size if tope is None else max(0, min(query.size, tope - offset))
    pagina: list[int] = []
    if offset < total and ids is not None:
        pagina = list(await ids(offset, size))
    elif offset < total:
        # tortoise types every values_list() as tuples; flat=True returns the bare ids.
        page = queryset.offset(offset).limit(size).values_list("id", flat=True)
        pagina = cast("list[int]", list(await page))
    nxt, prev = page_links(request, query, total)
    results = list(await load(pagina)) if pagina else []
    return nxt, prev, results
