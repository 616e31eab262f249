"""allauth's authentication backend, looking people up by verified address only."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend

from accord.accounts import selectors


class EmailAuthenticationBackend(AuthenticationBackend):
    def _authenticate_by_email(self, email: str, password: str):
        # allauth falls back to unverified addresses of any account; an address somebody added
        # without proving it must not become a way to sign in (or to be sent a verification
        # link when signing in with it).
        for user in selectors.users_for_login(email):
            if self._check_password(user, password):
                return user
        return None
