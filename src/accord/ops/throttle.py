"""django-axes glue: which account a failed sign-in was aimed at."""

from __future__ import annotations


def axes_username(request, credentials: dict | None = None) -> str | None:
    """allauth authenticates with ``email=``; its form posts ``login``. Lower-cased so that
    changing the case of the address does not reset the failure count."""
    value = None
    if credentials:
        value = credentials.get("email") or credentials.get("username")
    if not value and request is not None:
        data = getattr(request, "data", None) or request.POST
        value = data.get("login") or data.get("email")
    return value.strip().lower() if isinstance(value, str) else value
