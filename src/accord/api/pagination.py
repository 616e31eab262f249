"""Page-number pagination with bounds: django-ninja's own accepts any integer, and a page
number past 2**63 overflowed the database's OFFSET (found by schemathesis); now it is a 422."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination, PaginationBase, paginate

MAX_PAGE_SIZE = 1000


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)


class BoundedPageNumberPagination(PageNumberPagination):
    # Named, so the schema's components do not hold two different "Input"s.
    Input = PageQuery  # type: ignore[assignment]  # ninja's own Input, with bounds


class LinkHeaderPagination(PaginationBase):
    """Pages of an endpoint whose body was always a bare JSON array, kept so for existing
    clients: ``?page=`` and ``?page_size=`` (at most 1000) choose the page; the body is that
    page's array; ``X-Total-Count`` holds the number of rows and ``Link`` (RFC 8288) the
    ``next``/``prev`` pages' addresses. The endpoint must take ``response: HttpResponse``.

    Only the page's rows are turned into output (``to_out``), so a page costs the same
    number of queries however many rows there are. With ``counted=False`` the rows are not
    counted (a list whose count reads every row, such as the rules deciding whether each
    entitlement is usable): the page reads one row more to know whether there is a next page,
    and there is no ``X-Total-Count``."""

    Input = PageQuery  # type: ignore[assignment]
    Output = None  # type: ignore[assignment]  # the body stays a list: ninja leaves its schema

    def __init__(self, *, page_size: int = 100, to_out=None, counted: bool = True, **kwargs):
        self.page_size = page_size
        self.to_out = to_out
        self.counted = counted
        super().__init__(**kwargs)

    def paginate_queryset(self, queryset, pagination: PageQuery, request, **params):
        size = min(pagination.page_size or self.page_size, MAX_PAGE_SIZE)
        offset = (pagination.page - 1) * size
        if self.counted:
            total = self._items_count(queryset)
            rows = list(queryset[offset : offset + size])
            more = offset + size < total
        else:
            rows = list(queryset[offset : offset + size + 1])
            more = len(rows) > size
            rows = rows[:size]
        response = params.get("response")
        if response is not None:
            if self.counted:
                response["X-Total-Count"] = str(total)
            links = []
            if more:
                links.append(f'<{_page_url(request, pagination.page + 1)}>; rel="next"')
            if pagination.page > 1:
                links.append(f'<{_page_url(request, pagination.page - 1)}>; rel="prev"')
            if links:
                response["Link"] = ", ".join(links)
        return [self.to_out(row) for row in rows] if self.to_out else rows


class OutputRows:
    """A queryset handed to ``@paginate(BoundedPageNumberPagination)``: the paginator counts
    it and slices it in the database, and only the page's rows are turned into output by
    ``to_out`` (so a page costs the same number of queries however many rows there are)."""

    def __init__(self, qs, to_out):
        self.qs = qs
        self.to_out = to_out

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        return [self.to_out(row) for row in self.qs[item]]


def _page_url(request, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def link_paginated(*, page_size: int = 100, to_out=None, counted: bool = True):
    """``@link_paginated(to_out=...)`` under ``@router.get(...)``, on a view taking
    ``response: HttpResponse``: see LinkHeaderPagination (and ``UNCOUNTED_PAGES_DOC`` for
    ``counted=False``)."""

    def decorate(func):
        # Resolved here: under `from __future__ import annotations` ninja would look the
        # name up in the pagination wrapper's module, and miss the response argument.
        func.__annotations__["response"] = HttpResponse
        return paginate(LinkHeaderPagination, page_size=page_size, to_out=to_out, counted=counted)(
            func
        )

    return decorate


PAGES_DOC = (
    "\n\nPaginated: `?page=` (from 1) and `?page_size=` (default {size}, at most 1000). The body "
    "is the page's array; the `X-Total-Count` header gives the number of rows and the `Link` "
    'header the `rel="next"` (and `rel="prev"`) page\'s address; no `next` link means the last '
    "page."
)
UNCOUNTED_PAGES_DOC = (
    "\n\nPaginated: `?page=` (from 1) and `?page_size=` (default {size}, at most 1000). The body "
    'is the page\'s array; the `Link` header gives the `rel="next"` (and `rel="prev"`) '
    "page's address; no `next` link means the last page. The rows are not counted (no "
    "`X-Total-Count`): counting them would read every one."
)
