"""allauth's sign-up form, changed so that an email address counts only once it is verified
(accord.accounts.selectors). Kept apart from accounts.forms because
allauth imports that module (ACCOUNT_SIGNUP_FORM_CLASS) while building these base classes."""

from __future__ import annotations

from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from django.db import transaction

from accord.accounts import selectors
from accord.accounts.services import email_claims_release


class SignupForm(allauth_forms.SignupForm):
    def validate_unique_email(self, value: str) -> str:
        # allauth treats any address on record as taken, verified or not, so an address typed
        # in by somebody else would lock its owner out. Only a real owner blocks sign-up; then
        # allauth's enumeration-safe path runs (the page looks the same, the owner is emailed).
        self.account_already_exists = selectors.email_is_taken(value)
        return get_adapter().validate_unique_email(value)

    def try_save(self, request):
        with transaction.atomic():
            if not self.account_already_exists:
                # Before the account exists, so allauth gives it the address as its own.
                email = self.cleaned_data["email"]
                email_claims_release(email=email, reason="sign-up")
                self.account_already_exists = selectors.primary_holder(email) is not None
            return super().try_save(request)
