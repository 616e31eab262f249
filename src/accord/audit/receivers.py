"""Security events from flows we do not write ourselves (allauth's two-factor, axes' lockout)
go into the audit chain here. Our own services call audit_record directly; these libraries
only offer signals, so this module is the one place that listens, connected in
AuditConfig.ready. Each event is written once per custodian the user is staff of, so that
custodian's auditors see it; for everyone else it is a site-wide (superuser-visible) event."""

from __future__ import annotations

from accord.audit.services import audit_record


def _custodian_ids(user) -> list[int | None]:
    from accord.catalog.models import CustodianStaff

    ids = sorted(CustodianStaff.objects.filter(user=user).values_list("custodian_id", flat=True))
    return ids or [None]


def _record_for_user(event_type: str, user, **details) -> None:
    for custodian_id in _custodian_ids(user):
        audit_record(
            event_type=event_type,
            actor=user,
            target=user,
            custodian_id=custodian_id,
            details=details,
        )


def _authenticator(action: str):
    def receiver(sender, request=None, user=None, authenticator=None, **kwargs):
        if user is None:
            return
        _record_for_user(
            f"accounts:two-factor:{action}", user, kind=getattr(authenticator, "type", "")
        )

    return receiver


on_added = _authenticator("add")
on_removed = _authenticator("remove")
on_reset = _authenticator("reset")


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    from accord.accounts.selectors import users_for_login

    # The account that address signs in to (a verified address, or its own), never one that
    # merely listed it unverified.
    user = next(iter(users_for_login(username or "")), None)
    # The address goes beside the chain (erasable with the account); the login typed is
    # kept in the hashed details only when it matched no account (nobody's to erase).
    audit_record(
        event_type="accounts:sign-in:lock-out",
        target=user,
        custodian_id=None,
        details={} if user is not None else {"login": (username or "")[:254]},
        ip_address=ip_address or "",
        user_agent="",
    )


def connect() -> None:
    from allauth.mfa import signals as mfa
    from axes.signals import user_locked_out

    mfa.authenticator_added.connect(on_added, dispatch_uid="accord-audit-mfa-added")
    mfa.authenticator_removed.connect(on_removed, dispatch_uid="accord-audit-mfa-removed")
    mfa.authenticator_reset.connect(on_reset, dispatch_uid="accord-audit-mfa-reset")
    user_locked_out.connect(on_locked_out, dispatch_uid="accord-audit-locked-out")
