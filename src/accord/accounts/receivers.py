"""allauth announces a changed or reset password only by signal; this is where Accord acts on
it (connected in AccountsConfig.ready). The work is done by services.password_change_apply."""

from __future__ import annotations

from django.contrib import messages
from django.utils.translation import ngettext


def _message(how: str, revoked: int) -> str:
    if how == "reset":
        text = ngettext(
            "Every session of your account was signed out and %(count)d API token was revoked. "
            "Sign in with your new password; create a new token at /account/tokens/ if you "
            "still need one.",
            "Every session of your account was signed out and %(count)d API tokens were "
            "revoked. Sign in with your new password; create new tokens at /account/tokens/ if "
            "you still need them.",
            revoked,
        )
    else:
        text = ngettext(
            "You were signed out everywhere else and %(count)d API token was revoked; create "
            "a new one at /account/tokens/ if you still need one.",
            "You were signed out everywhere else and %(count)d API tokens were revoked; create "
            "new ones at /account/tokens/ if you still need them.",
            revoked,
        )
    return text % {"count": revoked}


def _password_replaced(how: str):
    def receiver(sender, request=None, user=None, **kwargs):
        from accord.accounts.services import password_change_apply

        if user is None:
            return
        revoked = password_change_apply(user=user, how=how)
        if request is not None:
            messages.info(request, _message(how, revoked))

    return receiver


on_password_changed = _password_replaced("change")
on_password_reset = _password_replaced("reset")
on_password_set = _password_replaced("set")


def connect() -> None:
    from allauth.account import signals

    signals.password_changed.connect(on_password_changed, dispatch_uid="accord-password-change")
    signals.password_reset.connect(on_password_reset, dispatch_uid="accord-password-reset")
    signals.password_set.connect(on_password_set, dispatch_uid="accord-password-set")
