"""Which emails a person may turn off, and their choice. Reminders and updates are optional;
what the licence or the law requires them to be told (new terms, a suspension or revocation,
a request to delete the data, decisions on their application) always goes out."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accord.accounts.models import User
from accord.audit.services import audit_record
from accord.core import clock

# key -> (what the person reads, the email templates it covers)
OPTIONAL: dict[str, tuple[str | Promise, frozenset[str]]] = {
    "reminders": (
        _("Reminders: a licence ending in 30, 7 and 1 days; new terms not answered yet"),
        frozenset({"licences/expiry_reminder", "licences/terms_reminder"}),
    ),
    "group_updates": (
        _("Updates on your group: a member joined a licence you signed"),
        frozenset({"agreements/member_joined"}),
    ),
}

# Shown on the preferences page so nobody expects to turn these off.
REQUIRED = (
    _("New terms for a licence you hold, and whether they were accepted or lapsed"),
    _("A licence suspended, reinstated, revoked, expired or void"),
    _("Requests to delete the data, their reminders and escalations"),
    _("Invitations to a licence, and being removed from one"),
    _("Decisions on your applications, and confirmations asked of you as signer"),
    _("Account security: new sign-ins, password changes, address verification"),
)


def _key_of(template: str) -> str | None:
    return next((key for key, (_, ts) in OPTIONAL.items() if template in ts), None)


def opted_out(addresses: Iterable[str], template: str) -> set[str]:
    """The addresses among ``addresses`` whose account turned ``template``'s kind off."""
    from .models import EmailPreference

    key = _key_of(template)
    addresses = [a.lower() for a in addresses]
    if key is None or not addresses:
        return set()
    rows = EmailPreference.objects.filter(user__email__in=addresses).values_list(
        "user__email", "opted_out"
    )
    return {email.lower() for email, keys in rows if key in keys}


def preferences_of(user: User) -> set[str]:
    """The optional kinds ``user`` gets."""
    from .models import EmailPreference

    row = EmailPreference.objects.filter(user=user).first()
    off = set(row.opted_out) if row else set()
    return {key for key in OPTIONAL if key not in off}


@transaction.atomic
def email_preferences_set(*, user: User, wanted: Iterable[str]) -> set[str]:
    """Keep the optional kinds in ``wanted`` on and turn the others off; audited."""
    from .models import EmailPreference

    wanted_keys = {k for k in wanted if k in OPTIONAL}
    off = sorted(k for k in OPTIONAL if k not in wanted_keys)
    EmailPreference.objects.update_or_create(
        user=user, defaults={"opted_out": off, "updated": clock.now()}
    )
    audit_record(
        event_type="notifications:preferences:update",
        actor=user,
        target=user,
        details={"opted_out": off},
    )
    return wanted_keys
