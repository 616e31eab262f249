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

from accord.core.permissions import Permission, custodian_ids_with


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
            ids = custodian_ids_with(request.user, permission)
            if ids is not None and not ids:
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
    """Marks a staff action (approve, revoke, publish terms) that needs a recent
    re-authentication. Enforcement is added by the hardening work (issue #5); views that
    change important state must already wear it so that work reaches them."""
    view.sensitive_action = True
    return view
