"""Page-number pagination with bounds: django-ninja's own accepts any integer, and a page
number past 2**63 overflowed the database's OFFSET (found by schemathesis); now it is a 422."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int | None = Field(None, ge=1, le=1000)


class BoundedPageNumberPagination(PageNumberPagination):
    # Named, so the schema's components do not hold two different "Input"s.
    Input = PageQuery
