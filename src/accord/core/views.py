"""Health check and the home page."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect

from accord.core.decorators import public


@public
def healthz(request):
    """200 when the database answers, 503 when it does not (for load balancers and systemd)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return JsonResponse(
            {"status": "unavailable", "database": "unreachable", "detail": type(exc).__name__},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok"})


@public
def home(request):
    return redirect("catalog:dataset_list")
