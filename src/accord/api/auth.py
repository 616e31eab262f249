"""API authentication: a bearer token (hashed at rest) or the browser session with CSRF."""

from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from accord.accounts.models import ApiToken
from accord.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer acc_...``. Read-scoped tokens are refused on unsafe methods."""

    def authenticate(self, request, token):
        api_token = api_token_authenticate(token)
        if api_token is None:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS") and (
            api_token.scope != ApiToken.Scope.WRITE
        ):
            return None
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None and user.is_active:
            return user
        return None


token_or_session = [TokenAuth(), ActiveSessionAuth()]


def require_recent_interactive_sign_in(request) -> None:
    """The API twin of ``accord.core.decorators.sensitive``: a staff decision (approve,
    reject, return, revoke) needs a person who signed in with two-factor recently. A token is
    a standing credential, so it cannot make decisions; a browser session older than
    ACCORD_REAUTH_SECONDS must re-authenticate first."""
    from django.conf import settings

    from accord.core.decorators import recently_authenticated
    from accord.core.errors import NotAllowed

    if getattr(request, "api_token", None) is not None:
        raise NotAllowed(
            "Staff decisions cannot be made with an API token. Sign in to the portal (with "
            "two-factor) and decide on the review page, or call this endpoint from that "
            "signed-in browser session.",
            code="interactive-sign-in-required",
        )
    if not recently_authenticated(request):
        minutes = settings.ACCOUNT_REAUTHENTICATION_TIMEOUT // 60
        raise NotAllowed(
            f"Your sign-in is more than {minutes} minutes old. Confirm your password or code "
            "at /accounts/reauthenticate/ and try again.",
            code="reauthentication-required",
        )
