"""Helpers every app's server-rendered pages share: one page of a list with its filters kept,
and a service's refusal shown as messages."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Page, Paginator

from accord.core.errors import DomainError

# No list page shows more rows than this, whatever a view asks for: a page's cost stays
# bounded however much data there is (tests/test_list_query_counts.py).
MAX_PAGE_SIZE = 200


def paginate(request, qs, per_page: int, *, param: str = "page") -> tuple[Page, str]:
    """One page of ``qs`` and the query string of the other filters (for the page links).

    ``param`` names the page number in the query string, so one view can show several lists
    each with its own pages. The page also carries ``param`` and ``query`` for the shared
    partial: ``{% include "_pagination.html" with page=... %}``."""
    paginator = Paginator(qs, min(per_page, MAX_PAGE_SIZE))
    page = paginator.get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    page.param = param  # type: ignore[attr-defined]
    page.query = query.urlencode()  # type: ignore[attr-defined]
    return page, page.query  # type: ignore[attr-defined]


def refusal(request, exc: DomainError) -> None:
    """Show why a service refused: one message per field when it names several (``errors``,
    as a form's InvalidApplication does), else its message."""
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict) and errors:
        for message in errors.values():
            messages.error(request, message)
    else:
        messages.error(request, exc.message)
