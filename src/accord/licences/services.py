"""Writes for licences and their members: the grant on approval, invitations, a member's
click-through acceptance, the signer adding or removing members, and custodian staff
suspending, reinstating or revoking. Every change locks the licence, records its audit event
and calls the entitlement sync inside its transaction, so access follows at once; emails go out
after commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.access import policy
from accord.access.services import entitlements_sync_for_licence
from accord.accounts.models import User
from accord.accounts.selectors import has_verified_email
from accord.agreements.content import (
    InvalidApplication,
    clean_members,
    policy_for,
    policy_member_fields,
)
from accord.agreements.models import Application
from accord.audit.services import AuditEntry, audit_record_many
from accord.core import clock
from accord.core.errors import Conflict, DomainError, NotAllowed, NotFound
from accord.notifications import agreements as notify

from .models import DeletionAttestation, Licence, LicenceMember
from .services_closeout import deletion_attestation_request
from .states import VERBS, transition_check


def licence_audit(
    licence: Licence, action: str, actor: User | None, target=None, **details
) -> None:
    """Record ``action`` on the licence (or, with ``target``, on one of its members)."""
    audit_record_many([licence_audit_entry(licence, action, actor, target, **details)])


def licence_audit_entry(
    licence: Licence, action: str, actor: User | None, target=None, **details
) -> AuditEntry:
    """What ``licence_audit`` appends; a list of them is appended at once with
    ``audit_record_many`` (the same action on every licence of a dataset)."""
    return AuditEntry(
        event_type=f"agreements:licence:{action}"
        if target is None
        else f"agreements:member:{action}",
        actor=actor,
        target=target or licence,
        custodian_id=licence.dataset.custodian_id,
        dataset_id=licence.dataset_id,
        licence_id=licence.pk,
        details={"licence": licence.reference, **details},
    )


def licence_lock(licence: Licence) -> Licence:
    """The licence re-read under a row lock, with what the services and emails read."""
    return (
        Licence.objects.select_for_update(of=("self",))
        .select_related("dataset", "dataset__custodian", "license_version", "signer")
        .get(pk=licence.pk)
    )


def _invite(licence: Licence, member: dict, actor: User) -> LicenceMember:
    row, _ = LicenceMember.objects.update_or_create(
        licence=licence,
        email=member["email"],
        defaults={
            "full_name": member["full_name"],
            "extra": member.get("extra") or {},
            "status": LicenceMember.Status.INVITED,
            "user": None,
            "accepted_at": None,
            "removed_at": None,
        },
    )
    licence_audit(licence, "invite", actor, target=row)
    notify.member_invited(row)
    return row


def licence_grant(*, application: Application, actor: User) -> Licence:
    """Turn an approved application into a licence. Called by application_approve inside
    its transaction (the application row is locked there)."""
    signer = application.signer_user
    if signer is None:
        raise Conflict(
            f"The signer of {application.reference} has not confirmed yet; a licence needs "
            "their confirmation first.",
            code="signer-not-confirmed",
        )
    licence = Licence.objects.create(
        reference=application.reference.replace("LA-", "L-", 1),
        dataset=application.dataset,
        license_version=application.license_version,
        signer=signer,
        application=application,
        granted_at=clock.now(),
    )
    from .expiry import licence_term_end  # expiry builds on this module's helpers

    licence.expires_at = licence_term_end(licence.dataset, licence.granted_at)
    if licence.expires_at:
        licence.save(update_fields=["expires_at"])
    licence.variants.set(application.variants.all())
    licence_audit(
        licence,
        "grant",
        actor,
        application=application.reference,
        signer=licence.signer_id,
        variants=sorted(v.slug for v in application.variants.all()),
        license_version=application.license_version.version,
    )
    for member in application.members:
        _invite(licence, member, actor)
    entitlements_sync_for_licence(licence=licence, actor=actor, reason="licence granted")
    return licence


def _require_signer(licence: Licence, actor: User) -> None:
    if not policy.can_manage_members(actor, licence):
        raise NotFound("No such licence.")
    if not licence.is_in_force():
        raise Conflict(
            f"Licence {licence.reference} is {licence.get_status_display().lower()}; its "
            "members cannot be changed.",
            code="licence-not-in-force",
        )


@transaction.atomic
def licence_member_add(*, licence: Licence, actor: User, full_name: str, email: str, extra=None):
    licence = licence_lock(licence)
    _require_signer(licence, actor)
    rules = policy_for(licence.dataset)
    errors: dict[str, str] = {}
    # The same rules as on the application form, so a member added later is no different.
    cleaned = clean_members(
        rules,
        [{"full_name": full_name, "email": email, "extra": extra or {}}],
        errors,
        dataset=licence.dataset,
        signer_email=licence.signer.email,
    )
    if errors:
        raise InvalidApplication(errors)
    if not cleaned:
        raise DomainError("Give the member's name and email.", field="email")
    member = cleaned[0]
    missing = [
        f.label
        for f in policy_member_fields(rules)
        if f.required and not member["extra"].get(f.key)
    ]
    if missing:
        raise DomainError(f"Give the member's {', '.join(missing)}.", field="extra")
    existing = licence.members.filter(email=member["email"]).first()
    if existing is not None and existing.status != LicenceMember.Status.REMOVED:
        raise Conflict(f"{member['email']} is already a member of {licence.reference}.")
    row = _invite(licence, member, actor)
    entitlements_sync_for_licence(licence=licence, actor=actor, reason="member invited")
    return row


RESEND_INTERVAL = timedelta(minutes=15)
RESENDS_PER_DAY = 5


@transaction.atomic
def licence_member_resend(*, licence: Licence, member: LicenceMember, actor: User) -> LicenceMember:
    """Email an invitation again (the signer's "resend"), at most once a quarter of an hour and
    five times a day per invitation, so the button cannot be turned into a mail cannon."""
    from accord.audit.models import Event

    licence = licence_lock(licence)
    _require_signer(licence, actor)
    locked = licence.members.select_for_update().filter(pk=member.pk).first()
    if locked is None:
        raise NotFound(_("No such invitation."))
    member = locked
    if member.status != LicenceMember.Status.INVITED:
        raise Conflict(
            _("%(email)s is not waiting for an invitation any more.") % {"email": member.email},
            code="not-invited",
        )
    now = clock.now()
    sent = Event.objects.filter(
        event_type__in=("agreements:member:invite", "agreements:member:invite-resend"),
        licence_id=licence.pk,
        target_id=str(member.pk),
        created__gte=now - timedelta(days=1),
    ).values_list("created", flat=True)
    last = max(sent, default=None)
    if last is not None and last > now - RESEND_INTERVAL:
        raise Conflict(
            _(
                "The invitation to %(email)s was sent less than 15 minutes ago; give it time "
                "to arrive (and ask them to look in their spam folder) before sending it again."
            )
            % {"email": member.email},
            code="resend-too-soon",
        )
    if len(sent) >= RESENDS_PER_DAY + 1:
        raise Conflict(
            _(
                "The invitation to %(email)s was sent %(count)s times today; try again "
                "tomorrow, or check the address."
            )
            % {"email": member.email, "count": len(sent)},
            code="resend-limit",
        )
    licence_audit(licence, "invite-resend", actor, target=member)
    notify.member_invited(member)
    return member


@transaction.atomic
def licence_member_remove(*, licence: Licence, member: LicenceMember, actor: User) -> LicenceMember:
    licence = licence_lock(licence)
    _require_signer(licence, actor)
    member = LicenceMember.objects.select_for_update(of=("self",)).get(
        pk=member.pk, licence=licence
    )
    if member.status == LicenceMember.Status.REMOVED:
        return member
    member.status = LicenceMember.Status.REMOVED
    member.removed_at = timezone.now()
    member.save()
    licence_audit(licence, "remove", actor, target=member)
    entitlements_sync_for_licence(licence=licence, actor=actor, reason="member removed")
    notify.member_removed(member)
    return member


@transaction.atomic
def licence_member_accept(*, member: LicenceMember, actor: User, extra=None) -> LicenceMember:
    """The invited person accepts the terms. They must be signed in with the invited
    address, verified; the dataset's member fields must be filled in."""
    member = (
        LicenceMember.objects.select_for_update(of=("self",))
        .select_related("licence", "licence__dataset", "licence__signer")
        .get(pk=member.pk)
    )
    if not has_verified_email(actor, member.email):
        raise NotFound("No such invitation.")
    if member.status == LicenceMember.Status.ACTIVE and member.user_id == actor.pk:
        return member
    if member.status != LicenceMember.Status.INVITED:
        raise Conflict(
            "This invitation was withdrawn by the signer. Ask them to invite you again.",
            code="invitation-withdrawn",
        )
    licence = member.licence
    if not licence.is_in_force():
        raise Conflict(
            f"Licence {licence.reference} is not in force, so it cannot be joined.",
            code="licence-not-in-force",
        )
    if (
        LicenceMember.objects.filter(
            licence=licence, user=actor, status=LicenceMember.Status.ACTIVE
        )
        .exclude(pk=member.pk)
        .exists()
    ):
        raise NotAllowed("You are already a member of this licence.")
    values = dict(member.extra)
    values.update({k: str(v).strip()[:200] for k, v in (extra or {}).items()})
    fields = policy_member_fields(policy_for(licence.dataset))
    missing = [f.label for f in fields if f.required and not values.get(f.key)]
    if missing:
        raise DomainError(f"Fill in your {', '.join(missing)}.", field="extra")
    member.extra = {f.key: values.get(f.key, "") for f in fields}
    member.status = LicenceMember.Status.ACTIVE
    member.user = actor
    member.accepted_at = timezone.now()
    member.accepted_license_version = licence.license_version
    member.save()
    licence_audit(
        licence,
        "accept",
        actor,
        target=member,
        license_version=licence.license_version.version,
    )
    entitlements_sync_for_licence(licence=licence, actor=actor, reason="member accepted")
    notify.member_joined(member)
    return member


# --- The signer ends the licence -------------------------------------------------------------


@transaction.atomic
def licence_close(*, licence: Licence, actor: User, confirmation: str, reason: str = "") -> Licence:
    """The signer ends their licence before its term (the group no longer needs the data, the
    signer leaves the institution, or wants their personal data erased): access ends at once
    for everyone, the members are told, and deletion of every copy is requested. Final, like
    a revocation: a new application makes a new licence. Closing twice closes once."""
    licence = licence_lock(licence)
    if not policy.can_close_licence(actor, licence):
        raise NotFound(_("No such licence."))
    if licence.status == Licence.Status.CLOSED:
        return licence
    if licence.status not in (Licence.Status.ACTIVE, Licence.Status.SUSPENDED):
        raise Conflict(
            _("Licence %(reference)s is %(status)s already; there is nothing to close.")
            % {"reference": licence.reference, "status": licence.get_status_display().lower()},
            code="licence-not-in-force",
        )
    if confirmation.strip() != licence.reference:
        raise DomainError(
            _("Type the licence's reference, %(reference)s, to confirm that you end it.")
            % {"reference": licence.reference},
            field="confirmation",
        )
    reason = reason.strip()
    if len(reason) > 2000:
        raise DomainError(_("Keep the reason under 2000 characters."), field="reason")
    source = licence.status
    licence.status = Licence.Status.CLOSED
    licence.ended_at = clock.now()
    licence.end_reason = reason
    licence.save(update_fields=["status", "ended_at", "end_reason", "updated"])
    # The reason is the signer's free text: it stays on the licence, not in the hashed chain.
    licence_audit(licence, "close", actor, source=source, status=licence.status)
    entitlements_sync_for_licence(licence=licence, actor=actor, reason="licence closed by signer")
    notify.licence_status_changed(licence, action="close", reason=reason)
    deletion_attestation_request(
        licence=licence, reason=DeletionAttestation.Reason.CLOSED, actor=actor
    )
    return licence


# --- Custodian staff: suspend, reinstate, revoke (the table is in states.py) ----------------


def _require_staff(licence: Licence, actor: User) -> None:
    if not policy.can_manage(actor, licence):
        # Reviewers may read the licence but not end it; for other custodians' staff it does
        # not exist. Both get the same answer as the web decorator's object check: not found.
        if policy.can_view_licence_as_staff(actor, licence):
            raise NotAllowed(
                "Only a data manager or administrator of the custodian may suspend, reinstate "
                "or revoke a licence; ask one of them.",
                code="not-licence-manager",
            )
        raise NotFound("No such licence.")


def _change(*, licence: Licence, actor: User, action: str, reason: str) -> Licence:
    licence = licence_lock(licence)
    _require_staff(licence, actor)
    transition, reason = transition_check(licence, action, reason)
    source = licence.status
    licence.status = transition.target
    if transition.target == Licence.Status.ACTIVE:
        licence.ended_at = None
        licence.end_reason = ""
    else:
        licence.ended_at = timezone.now()
        licence.end_reason = reason
    licence.save(update_fields=["status", "ended_at", "end_reason", "updated"])
    licence_audit(licence, action, actor, source=source, status=transition.target, reason=reason)
    entitlements_sync_for_licence(
        licence=licence, actor=actor, reason=f"licence {VERBS[action]}: {reason}".rstrip(": ")
    )
    notify.licence_status_changed(licence, action=action, reason=reason)
    if transition.target == Licence.Status.REVOKED:
        deletion_attestation_request(
            licence=licence, reason=DeletionAttestation.Reason.REVOKED, actor=actor
        )
    return licence


@transaction.atomic
def licence_revoke(*, licence: Licence, actor: User, reason: str) -> Licence:
    """End the licence for good: the signer and every member lose access at once (links
    already issued are refused at their next request, by the policy's use-time check)."""
    return _change(licence=licence, actor=actor, action="revoke", reason=reason)


@transaction.atomic
def licence_suspend(*, licence: Licence, actor: User, reason: str) -> Licence:
    """Stop access while something is looked into; reinstating gives it back."""
    return _change(licence=licence, actor=actor, action="suspend", reason=reason)


@transaction.atomic
def licence_reinstate(*, licence: Licence, actor: User, reason: str = "") -> Licence:
    return _change(licence=licence, actor=actor, action="reinstate", reason=reason)


def licence_staff_action(*, licence: Licence, actor: User, action: str, reason: str) -> Licence:
    services: dict[str, Callable[..., Licence]] = {
        "revoke": licence_revoke,
        "suspend": licence_suspend,
        "reinstate": licence_reinstate,
    }
    if action not in services:
        raise NotFound("No such action.")
    return services[action](licence=licence, actor=actor, reason=reason)
