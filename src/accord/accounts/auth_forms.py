"""allauth's sign-up and password-reset forms, with one change each: an email address counts
only once it is verified (accord.accounts.selectors). Kept apart from accounts.forms because
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


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    def clean_email(self) -> str:
        email = super().clean_email()
        # A reset link goes only to an address its account has verified. Anything else is
        # handled exactly like an unknown address, so the page reveals nothing.
        owner = selectors.verified_user_for_email(email)
        self.users = [owner] if owner is not None and owner.is_active else []
        return email
