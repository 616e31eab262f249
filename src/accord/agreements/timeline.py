"""An application's whole story for the people it belongs to, oldest first: started, each
signed scan, each change of state, the signer's confirmation, the licence it became and the
applicant's invitation to it. Reads only (rows the services wrote; the audit chain keeps the
tamper-evident copy)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from accord.accounts.selectors import verified_emails
from accord.licences.models import LicenceMember

from .models import Application


@dataclass(frozen=True)
class Entry:
    when: datetime
    what: str
    who: str = ""
    comment: str = ""


_STATE_EVENTS: dict[str, Callable[[], str]] = {
    Application.State.SUBMITTED: lambda: _("Submitted; waiting for review"),
    Application.State.RETURNED: lambda: _("Returned to the applicant for changes"),
    Application.State.APPROVED: lambda: _("Approved by the custodian"),
    Application.State.REJECTED: lambda: _("Rejected by the custodian"),
    Application.State.WITHDRAWN: lambda: _("Withdrawn by the applicant"),
    Application.State.DRAFT: lambda: _("Back to draft"),
}


def timeline(application: Application) -> list[Entry]:
    applicant = application.applicant
    entries = [
        Entry(application.created, _("Application started"), getattr(applicant, "email", ""))
    ]
    for agreement in application.signed_agreements.order_by("created", "pk"):
        entries.append(
            Entry(
                agreement.created,
                _("Signed agreement uploaded (%(pages)s pages)") % {"pages": agreement.pages},
            )
        )
    for t in application.transitions.select_related("actor").order_by("created", "pk"):
        label = _STATE_EVENTS.get(t.to_state)
        what = label() if label else t.to_state
        entries.append(Entry(t.created, what, t.actor.email if t.actor else "", t.comment))
    if application.signer_confirmed_at:
        entries.append(
            Entry(
                application.signer_confirmed_at,
                _("The signer confirmed signing the agreement"),
                application.signer_confirmed_email,
            )
        )
    licence = getattr(application, "licence", None)
    if licence is not None:
        entries.append(
            Entry(
                licence.granted_at,
                _("Licence %(reference)s granted") % {"reference": licence.reference},
            )
        )
        if applicant is not None:
            mine = licence.members.filter(
                Q(user=applicant) | Q(email__in=verified_emails(applicant))
            )
            for member in mine:
                entries.append(
                    Entry(member.created, _("Invitation to the licence sent to you"), member.email)
                )
                if member.status == LicenceMember.Status.ACTIVE and member.accepted_at:
                    entries.append(
                        Entry(
                            member.accepted_at,
                            _("You accepted the terms; your data access started"),
                            member.email,
                        )
                    )
    return sorted(entries, key=lambda e: e.when)


def next_step(application: Application, *, for_user, memberships: dict | None = None) -> str:
    """What the applicant does next (empty when nothing is theirs to do). ``memberships``
    (licence id → the user's membership status there), when a list page has it, saves a
    query per row."""
    state = application.state
    if state in (Application.State.DRAFT, Application.State.RETURNED):
        return _("Complete the application, upload the signed agreement and submit it.")
    if state == Application.State.SUBMITTED:
        if not application.signer_confirmed_at:
            return _(
                "Waiting for the signer (%(email)s) to confirm by the emailed link; you can "
                "send them a new link from the application page."
            ) % {"email": application.signer_email}
        return _("Waiting for the custodian's review.")
    if state == Application.State.APPROVED:
        licence = getattr(application, "licence", None)
        if licence is None:
            return ""
        if memberships is None:
            memberships = dict(
                licence.members.filter(
                    Q(user=for_user) | Q(email__in=verified_emails(for_user))
                ).values_list("licence_id", "status")
            )
        status = memberships.get(licence.pk)
        if status == LicenceMember.Status.INVITED:
            return _("Accept the invitation to licence %(reference)s to start your access.") % {
                "reference": licence.reference
            }
        if status == LicenceMember.Status.ACTIVE:
            return _("Your access is ready: download the files from “Your data access”.")
        if licence.signer_id == for_user.pk:
            return _("Invite your group's members on the licence page.")
        return _("Ask the signer to invite you to licence %(reference)s.") % {
            "reference": licence.reference
        }
    return ""
