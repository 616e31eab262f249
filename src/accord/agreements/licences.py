"""Writes for licences and their members: the grant on approval, invitations, a member's
click-through acceptance, and the signer adding or removing members. Every change calls the
entitlement sync inside its transaction, so a removal takes effect at once."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accord.access.services import entitlements_sync_for_licence
from accord.audit.services import audit_record
from accord.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from accord.notifications import agreements as notify

from .content import InvalidApplication, _clean_members, policy_for, policy_member_fields
from .models import Application, Licence, LicenceMember


def _audit(licence: Licence, action: str, actor, target=None, **details) -> None:
    audit_record(
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


def _invite(licence: Licence, member: dict, actor) -> LicenceMember:
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
    _audit(licence, "invite", actor, target=row, email=row.email)
    notify.member_invited(row)
    return row


def licence_grant(*, application: Application, actor) -> Licence:
    """Turn an approved application into a licence. Called by application_approve inside
    its transaction (the application row is locked there)."""
    licence = Licence.objects.create(
        reference=application.reference.replace("LA-", "L-", 1),
        dataset=application.dataset,
        license_version=application.license_version,
        signer=application.signer_user,
        application=application,
    )
    licence.variants.set(application.variants.all())
    _audit(
        licence,
        "grant",
        actor,
        application=application.reference,
        signer=application.signer_email,
        variants=sorted(v.slug for v in application.variants.all()),
        license_version=application.license_version.version,
    )
    for member in application.members:
        _invite(licence, member, actor)
    entitlements_sync_for_licence(licence=licence, actor=actor, reason="licence granted")
    return licence


def _lock(licence: Licence) -> Licence:
    return (
        Licence.objects.select_for_update(of=("self",))
        .select_related("dataset", "dataset__custodian", "license_version", "signer")
        .get(pk=licence.pk)
    )


def _require_signer(licence: Licence, actor) -> None:
    if licence.signer_id != actor.pk:
        raise NotFound("No such licence.")
    if not licence.is_in_force():
        raise Conflict(
            f"Licence {licence.reference} is {licence.get_status_display().lower()}; its "
            "members cannot be changed.",
            code="licence-not-in-force",
        )


@transaction.atomic
def licence_member_add(*, licence: Licence, actor, full_name: str, email: str, extra=None):
    licence = _lock(licence)
    _require_signer(licence, actor)
    policy = policy_for(licence.dataset)
    errors: dict[str, str] = {}
    # The same rules as on the application form, so a member added later is no different.
    stub = Application(dataset=licence.dataset, signer_email=licence.signer.email)
    cleaned = _clean_members(
        policy,
        [{"full_name": full_name, "email": email, "extra": extra or {}}],
        errors,
        {},
        stub,
    )
    if errors:
        raise InvalidApplication(errors)
    if not cleaned:
        raise DomainError("Give the member's name and email.", field="email")
    member = cleaned[0]
    missing = [
        f.label
        for f in policy_member_fields(policy)
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


@transaction.atomic
def licence_member_remove(*, licence: Licence, member: LicenceMember, actor) -> LicenceMember:
    licence = _lock(licence)
    _require_signer(licence, actor)
    member = LicenceMember.objects.select_for_update(of=("self",)).get(
        pk=member.pk, licence=licence
    )
    if member.status == LicenceMember.Status.REMOVED:
        return member
    member.status = LicenceMember.Status.REMOVED
    member.removed_at = timezone.now()
    member.save()
    _audit(licence, "remove", actor, target=member, email=member.email)
    entitlements_sync_for_licence(licence=licence, actor=actor, reason="member removed")
    notify.member_removed(member)
    return member


@transaction.atomic
def licence_member_accept(*, member: LicenceMember, actor, extra=None) -> LicenceMember:
    """The invited person accepts the terms. They must be signed in with the invited
    address, verified; the dataset's member fields must be filled in."""
    from .services import has_verified_email

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
        raise PermissionDenied("You are already a member of this licence.")
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
    _audit(
        licence,
        "accept",
        actor,
        target=member,
        email=member.email,
        license_version=licence.license_version.version,
    )
    entitlements_sync_for_licence(licence=licence, actor=actor, reason="member accepted")
    notify.member_joined(member)
    return member
