"""Helpers every app's server-rendered pages share: one page of a list with its filters kept,
and a service's refusal shown as messages."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Page, Paginator

from accord.core.errors import DomainError


def paginate(request, qs, per_page: int) -> tuple[Page, str]:
    """One page of ``qs`` and the query string of the other filters (for the page links)."""
    page = Paginator(qs, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def refusal(request, exc: DomainError) -> None:
    """Show why a service refused: one message per field when it names several (``errors``,
    as a form's InvalidApplication does), else its message."""
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict) and errors:
        for message in errors.values():
            messages.error(request, message)
    else:
        messages.error(request, exc.message)
