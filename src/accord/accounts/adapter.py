"""allauth adapter: keeps allauth's flows, adds Accord's rules at its hooks: an address counts
once verified (and then nobody else's unverified claim to it does)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from accord.accounts import selectors
from accord.core.net import client_ip


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

        from accord.core.permissions import is_custodian_staff

        if is_custodian_staff(request.user):
            return reverse("agreements:review_queue")
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
