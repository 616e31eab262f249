"""allauth adapter: keeps allauth's flows, adds Accord's rules at its hooks: an address counts
once verified (and then nobody else's unverified claim to it does), and every sign-in and
sign-out is recorded, with a warning for a new device."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from accord.accounts import selectors
from accord.core.net import client_ip

DEVICE_COOKIE = "accord_device"
_DEVICE_SALT = "accord.accounts.device"
_DEVICE_COOKIE_AGE = 365 * 24 * 3600


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request):
        """The address allauth rate-limits by: the same one the lockout and the audit trail
        use (accord.core.net), so sign-in works behind nginx on gunicorn's unix socket."""
        ip = client_ip(request)
        if ip is None:
            raise PermissionDenied(
                gettext(
                    "Accord cannot tell your address: the proxy in front of it must send "
                    "X-Real-IP (see deploy/nginx/accord-proxy.conf). Tell the site's operator."
                )
            )
        return ip

    def get_email_confirmation_url(self, request, emailconfirmation):
        url = super().get_email_confirmation_url(request, emailconfirmation)
        if request is None and url.startswith("/"):
            return settings.SITE_URL + url
        return url

    def get_login_redirect_url(self, request):
        """Custodian staff sign in to review: land them on their queue, not the public catalogue.
        A ?next= link (for example from an email) still wins; allauth checks it first."""
        from django.urls import reverse

        from accord.agreements.selectors_home import has_journey
        from accord.core.permissions import is_custodian_staff

        if is_custodian_staff(request.user):
            return reverse("agreements:review_queue")
        if has_journey(request.user):
            # What waits for them (an invitation, a confirmation, an application's next step).
            return reverse("agreements:my_applications")
        return super().get_login_redirect_url(request)

    def send_confirmation_mail(self, request, emailconfirmation, signup):
        address = emailconfirmation.email_address
        owner = selectors.verified_user_for_email(address.email)
        if owner is not None and owner.pk != address.user_id:
            # Another account owns this address: the link could never work, and its owner
            # would only get a confusing (or phishing-friendly) request from a stranger.
            return
        super().send_confirmation_mail(request, emailconfirmation, signup)

    def confirm_email(self, request, email_address) -> bool:
        from accord.accounts.services import email_claims_release

        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            email_claims_release(
                email=email_address.email, keep=email_address.user, reason="verified"
            )
        return confirmed

    def post_login(self, request, user, **kwargs):
        from accord.accounts.services import session_sign_in_record

        response = super().post_login(request, user, **kwargs)
        # A missing, altered or expired cookie all read as None: a browser not seen before.
        key = request.get_signed_cookie(
            DEVICE_COOKIE, default=None, salt=_DEVICE_SALT, max_age=_DEVICE_COOKIE_AGE
        )
        sign_in = session_sign_in_record(
            user=user,
            device_key=key,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            ip_address=client_ip(request),
        )
        response.set_signed_cookie(
            DEVICE_COOKIE,
            sign_in.device_key,
            salt=_DEVICE_SALT,
            max_age=_DEVICE_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response

    def logout(self, request) -> None:
        from accord.accounts.services import session_sign_out_record

        if request.user.is_authenticated:
            session_sign_out_record(user=request.user)
        super().logout(request)
