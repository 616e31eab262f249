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
