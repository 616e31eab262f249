"""RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

PROBLEM_TYPE_BASE = "https://accord.invalid/problems/"
TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    416: "Range not satisfiable",
    422: "Validation failed",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}


def problem_response(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    instance: str | None = None,
    **extra: Any,
) -> JsonResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (code or str(status)),
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JsonResponse(body, status=status, content_type="application/problem+json")
