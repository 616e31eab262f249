"""Refuses request input PostgreSQL cannot store: NUL characters in query strings, form
fields or JSON bodies. Django's own form fields refuse them already; this covers the API and
every other path at one place, so a stray NUL is a clear 400 rather than a database error.
(Found by the schemathesis run in tests/security.)"""

from __future__ import annotations

from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.translation import gettext

from accord.core.problem import problem_response

MESSAGE = "The request contains a NUL character (\\u0000), which Accord does not accept; remove it."


def _has_nul(request) -> bool:
    for params in (request.GET,):
        for key, values in params.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return True
    content_type = request.content_type or ""
    if request.method in ("POST", "PUT", "PATCH"):
        if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return True
        elif content_type.endswith("json"):
            body = request.body
            if b"\\u0000" in body or b"\x00" in body:
                return True
    return False


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            if request.path.startswith("/api/"):
                return problem_response(400, MESSAGE, code="nul-character")
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ApiProblemMiddleware:
    """Under /api/, a path no endpoint serves and a method an endpoint does not take get
    problem+json like every other API error, not Django's HTML 404 or ninja's plain-text 405:
    an API client parses one error format."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not request.path.startswith("/api/")
            or response.status_code not in (404, 405)
            or response.get("Content-Type", "").startswith("application/problem+json")
        ):
            return response
        docs = reverse("api:openapi-view")
        if response.status_code == 404:
            return problem_response(
                404,
                gettext("No API endpoint has this address; the endpoints are listed at %(docs)s.")
                % {"docs": docs},
                code="no-such-endpoint",
            )
        allowed = response.get("Allow", "")
        problem = problem_response(
            405,
            gettext("%(method)s is not accepted here; use %(allowed)s (see %(docs)s).")
            % {"method": request.method, "allowed": allowed, "docs": docs},
            code="method-not-allowed",
        )
        problem["Allow"] = allowed
        return problem
