"""Two-factor authentication (allauth.mfa, TOTP) is required of custodian staff and superusers.

Enforced by middleware so no staff page, admin page or session API call can be reached
without it: such a user is sent to set up an authenticator app first. allauth then asks for the
code at every sign-in. Regular applicants and members are not forced (they may opt in).
"""

from __future__ import annotations

from io import BytesIO
from urllib.parse import urlencode

import segno
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from accord.catalog.models import CustodianStaff
from accord.core.problem import problem_response

# Paths a user without two-factor must still reach: signing in and out, setting up MFA
# (allauth lives under /accounts/), static files and the health check.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/admin/logout/")


def mfa_required(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or CustodianStaff.objects.filter(user=user).exists()


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and mfa_required(user)
            and not has_totp(user)
        ):
            message = (
                "Custodian staff must use two-factor authentication. Set up an authenticator "
                "app (TOTP) now; you will be asked for its code whenever you sign in."
            )
            if request.path.startswith("/api/"):
                return problem_response(
                    403,
                    f"{message} Open {reverse('mfa_activate_totp')} in your browser.",
                    code="mfa-required",
                )
            messages.warning(request, message)
            url = reverse("mfa_activate_totp")
            return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class MfaAdapter(DefaultMFAAdapter):
    """allauth's MFA with the QR code drawn by segno (already a dependency) instead of the
    qrcode package."""

    def build_totp_svg(self, url: str) -> str:
        buf = BytesIO()
        segno.make(url, error="m").save(buf, kind="svg", scale=4, xmldecl=False)
        return buf.getvalue().decode()
