"""Licence expiry and renewal: a licence of a dataset with a term expires at ``expires_at``;
the signer renews it from 30 days before until 30 days after (re-confirming their details and
the current terms), which starts a new term and gives access back."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accord.access import policy
from accord.access.services import entitlements_sync_for_licence
from accord.catalog.models import Dataset
from accord.core import clock
from accord.core.errors import Conflict, DomainError, NotFound
from accord.notifications import expiry as notify

from .models import Licence
from .services import licence_audit, licence_lock
from .services_closeout import deletion_attestation_request, deletion_attestations_withdraw

RENEW_BEFORE = dt.timedelta(days=30)
# After expiry the signer may still renew for this long; afterwards a new application is needed.
RENEWAL_GRACE = dt.timedelta(days=30)


def licence_term_end(dataset: Dataset, start: dt.datetime) -> dt.datetime | None:
    """When a licence of ``dataset`` starting at ``start`` expires (None: it does not)."""
    if not dataset.licence_term_days:
        return None
    return start + dt.timedelta(days=dataset.licence_term_days)


def renewal_state(licence: Licence, *, now: dt.datetime | None = None) -> str:
    """'none' (no expiry), 'not_yet' (too early), 'open' (may renew now), 'closed' (too late,
    or the licence ended otherwise)."""
    now = now or clock.now()
    if licence.expires_at is None:
        return "none"
    if licence.status == Licence.Status.ACTIVE:
        return "open" if licence.expires_at - RENEW_BEFORE <= now else "not_yet"
    if licence.status == Licence.Status.EXPIRED and now < licence.expires_at + RENEWAL_GRACE:
        return "open"
    return "closed"


def renewal_deadline(licence: Licence) -> dt.datetime | None:
    return licence.expires_at + RENEWAL_GRACE if licence.expires_at else None


@transaction.atomic
def licence_expire(*, licence: Licence, now: dt.datetime) -> Licence | None:
    """End a licence whose term is over (the scheduler's step; idempotent: a licence already
    handled is left alone). Access stops at once; the signer (and the members) are told how to
    renew, and deletion of local copies is requested."""
    locked = (
        Licence.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("dataset", "dataset__custodian", "license_version", "signer")
        .filter(
            pk=licence.pk,
            status__in=[Licence.Status.ACTIVE, Licence.Status.SUSPENDED],
            expires_at__lte=now,
        )
        .first()
    )
    if locked is None or locked.expires_at is None:
        return None  # another run has it, or it was renewed or ended meanwhile
    licence, expires_at = locked, locked.expires_at
    source = licence.status
    licence.status = Licence.Status.EXPIRED
    licence.ended_at = expires_at
    licence.end_reason = "The licence term ended without renewal."
    licence.save(update_fields=["status", "ended_at", "end_reason", "updated"])
    licence_audit(licence, "expire", None, source=source, expires_at=expires_at.isoformat())
    entitlements_sync_for_licence(licence=licence, actor=None, reason="licence expired")
    notify.licence_expired(licence, renew_by=renewal_deadline(licence))
    _request_deletion_attestation(licence, now=now)
    return licence


def _request_deletion_attestation(licence: Licence, *, now: dt.datetime) -> None:
    """Close-out of an expired licence: the signer (and members who downloaded, if the dataset
    wants) confirm deleting their copies (accord.licences.services_closeout)."""
    deletion_attestation_request(licence=licence, reason="expired", actor=None, now=now)


@transaction.atomic
def licence_renew(
    *, licence: Licence, actor, details_confirmed: bool, terms_accepted: bool
) -> Licence:
    """The signer renews: re-confirms their details and accepts the dataset's current terms.
    A new term starts at the old expiry (renewing early loses no days) or now (after expiry),
    the licence is active again on the current terms and access resumes at once."""
    licence = licence_lock(licence)
    if not policy.can_manage_members(actor, licence):
        raise NotFound("No such licence.")
    now = clock.now()
    state = renewal_state(licence, now=now)
    old_expiry = licence.expires_at
    if old_expiry is None:
        raise Conflict(
            f"Licence {licence.reference} does not expire, so it needs no renewal.",
            code="licence-does-not-expire",
        )
    if state == "not_yet":
        raise Conflict(
            f"Licence {licence.reference} can be renewed from "
            f"{(old_expiry - RENEW_BEFORE):%Y-%m-%d}, 30 days before it expires.",
            code="renewal-not-open",
        )
    if state == "closed":
        raise Conflict(
            f"Licence {licence.reference} can no longer be renewed (it is "
            f"{licence.get_status_display().lower()}); apply again for the dataset.",
            code="renewal-closed",
        )
    if licence.dataset.renewal_requires_signed_agreement:
        raise Conflict(
            f"{licence.dataset} renews licences only with a newly signed agreement: apply for "
            "the dataset again and the custodian will grant a new licence on approval.",
            code="renewal-needs-signed-agreement",
        )
    if not details_confirmed:
        raise DomainError(
            "Confirm that your name, address and organisation shown are still correct (or "
            "correct them in your account first).",
            field="details_confirmed",
        )
    if not terms_accepted:
        raise DomainError("Accept the current terms to renew.", field="terms_accepted")
    terms = licence.dataset.current_license()
    if terms is None:
        raise Conflict(
            f"{licence.dataset} has no published terms in force; ask the custodian.",
            code="no-current-terms",
        )
    source = licence.status
    start = max(now, old_expiry) if source == Licence.Status.ACTIVE else now
    new_expiry = licence_term_end(licence.dataset, start) or start
    licence.expires_at = new_expiry
    licence.status = Licence.Status.ACTIVE
    licence.license_version = terms
    licence.ended_at = None
    licence.end_reason = ""
    licence.save(
        update_fields=[
            "expires_at",
            "status",
            "license_version",
            "ended_at",
            "end_reason",
            "updated",
        ]
    )
    licence_audit(
        licence,
        "renew",
        actor,
        source=source,
        previous_expires_at=old_expiry.isoformat(),
        expires_at=new_expiry.isoformat(),
        license_version=terms.version,
        details_confirmed=True,
        terms_accepted=True,
    )
    entitlements_sync_for_licence(licence=licence, actor=actor, reason="licence renewed")
    deletion_attestations_withdraw(
        licence=licence,
        reasons=("expired",),
        actor=actor,
        why="licence renewed",
    )
    notify.licence_renewed(licence)
    return licence
