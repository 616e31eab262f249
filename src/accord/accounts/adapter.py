"""allauth adapter: keeps allauth's flows, adds Accord's email rule hooks."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

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
