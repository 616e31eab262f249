"""Every view declares who may use it. The decorator both enforces the rule and records it as
``view.access_rule`` so tests can prove that no route is left undeclared (default deny).

Rules: ``public`` (anyone), ``signed_in`` (any verified, active account), ``staff(perm)``
(staff of some custodian holding ``perm``; the view must still fetch objects through a
fetch-and-authorize helper that 404s for other custodians' objects), ``superuser``.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from accord.access import policy
from accord.core.permissions import Permission


def _mark(view, rule: str):
    view.access_rule = rule
    return view


def public(view):
    return _mark(view, "public")


def signed_in(view):
    return _mark(login_required(view), "signed-in")


def staff(permission: Permission):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not policy.is_staff_anywhere(request.user, permission):
                raise Http404  # not staff anywhere: the page does not exist for them
            return view(request, *args, **kwargs)

        return _mark(login_required(wrapper), f"staff:{permission}")

    return decorator


def superuser(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_superuser:
            raise Http404
        return view(request, *args, **kwargs)

    return _mark(login_required(wrapper), "superuser")


def sensitive(view):
    """A staff action (approve, revoke, publish terms) that needs a recent sign-in.

    A state-changing request (anything but GET/HEAD/OPTIONS) is let through only if the user
    signed in or re-authenticated (password or TOTP) within ACCORD_REAUTH_SECONDS; otherwise
    allauth's middleware keeps the request, asks for the password (or code) again, and then
    replays it. Wear it together with (inside) ``staff(...)``.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = getattr(request, "user", None)
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and user is not None
            and user.is_authenticated
            and not recently_authenticated(request)
        ):
            from allauth.core.exceptions import ReauthenticationRequired

            raise ReauthenticationRequired()
        return view(request, *args, **kwargs)

    wrapper.sensitive_action = True
    return wrapper


def recently_authenticated(request) -> bool:
    """Did this session sign in, or re-authenticate, recently enough for a sensitive action?"""
    import time

    from allauth.account.internal.flows.login import get_authentication_records
    from django.conf import settings

    records = get_authentication_records(request, request.user)
    if not records:
        return False
    latest = max(r.get("at", 0) for r in records)
    return time.time() - latest < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
