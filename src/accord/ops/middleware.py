"""Refuses request input PostgreSQL cannot store: NUL characters in query strings, form
fields or JSON bodies. Django's own form fields refuse them already; this covers the API and
every other path at one place, so a stray NUL is a clear 400 rather than a database error.
(Found by the schemathesis run in tests/security.)"""

from __future__ import annotations

from django.http import HttpResponseBadRequest

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
