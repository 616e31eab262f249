"""Licence expiry and renewal: a licence of a dataset with a term expires at ``expires_at``;
the signer renews it from 30 days before until 30 days after (re-confirming their details and
the current terms), which starts a new term and gives access back."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from accord.access import policy
from accord.access.services import entitlements_sync_for_licence
from accord.accounts.models import User
from accord.agreements import licence_agreement
from accord.agreements.licence_agreement import LicenceAgreement
from accord.catalog.models import Dataset, LicenseVersion
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
    *, licence: Licence, actor: User, details_confirmed: bool, terms_accepted: bool
) -> Licence:
    """The signer renews: re-confirms their details and accepts the dataset's current terms.
    A new term starts at the old expiry (renewing early loses no days) or now (after expiry),
    the licence is active again on the current terms and access resumes at once. A dataset
    that renews only with a newly signed agreement refuses this (``licence_renew_signed``)."""
    licence = licence_lock(licence)
    terms = _renewable_terms(licence, actor)
    if licence.dataset.renewal_requires_signed_agreement:
        raise Conflict(
            _(
                "%(dataset)s renews licences only with a newly signed agreement: on the renewal "
                "page of licence %(ref)s, download the agreement for the current terms, have it "
                "signed, and upload the signed scan."
            )
            % {"dataset": licence.dataset, "ref": licence.reference},
            code="renewal-needs-signed-agreement",
        )
    _require_confirmed(details_confirmed)
    if not terms_accepted:
        raise DomainError(_("Accept the current terms to renew."), field="terms_accepted")
    return _renew(licence, terms, actor=actor, agreement=None)


def licence_renewal_document(*, licence: Licence, actor: User) -> LicenceAgreement:
    """The agreement the signer signs to renew on the current terms (404 for anyone but the
    signer; a conflict when renewal is not open)."""
    with transaction.atomic():
        locked = licence_lock(licence)
        terms = _renewable_terms(locked, actor)
    return licence_agreement.renewal_agreement(locked, terms)


def licence_renew_signed(
    *, licence: Licence, actor: User, details_confirmed: bool, data: bytes
) -> Licence:
    """The signer renews with the renewal agreement signed: the file goes through the intake
    applications use (malware scan, sandboxed checks, the QR code names this licence, the
    current terms and the expiry being renewed) and is stored; the renewal is audited with its
    hash. A refused file leaves nothing behind."""
    _require_confirmed(details_confirmed)
    document = licence_renewal_document(licence=licence, actor=actor)
    checked = licence_agreement.check_upload(document, data, actor=actor)
    written: list[str] = []
    try:
        with transaction.atomic():
            licence = licence_lock(licence)
            terms = _renewable_terms(licence, actor)
            if (terms.pk, licence.expires_at) != (
                document.license_version.pk,
                document.licence.expires_at,
            ):
                raise Conflict(
                    _(
                        "The licence or its terms changed since you downloaded the renewal "
                        "agreement: download it again, sign it and upload it."
                    ),
                    code="renewal-changed",
                )
            stored = licence_agreement.store_checked(checked, data, written)
            licence = _renew(licence, terms, actor=actor, agreement=stored)
    except Exception:
        licence_agreement.discard(written)
        raise
    return licence


def _require_confirmed(details_confirmed: bool) -> None:
    if not details_confirmed:
        raise DomainError(
            _(
                "Confirm that your name, address and organisation shown are still correct (or "
                "correct them in your account first)."
            ),
            field="details_confirmed",
        )


def _renewable_terms(licence: Licence, actor: User) -> LicenseVersion:
    """The terms a renewal of the (locked) licence is on, or why it cannot be renewed now."""
    if not policy.can_manage_members(actor, licence):
        raise NotFound(_("No such licence."))
    now = clock.now()
    state = renewal_state(licence, now=now)
    old_expiry = licence.expires_at
    if old_expiry is None:
        raise Conflict(
            _("Licence %(ref)s does not expire, so it needs no renewal.")
            % {"ref": licence.reference},
            code="licence-does-not-expire",
        )
    if state == "not_yet":
        raise Conflict(
            _("Licence %(ref)s can be renewed from %(date)s, 30 days before it expires.")
            % {"ref": licence.reference, "date": f"{(old_expiry - RENEW_BEFORE):%Y-%m-%d}"},
            code="renewal-not-open",
        )
    if state == "closed":
        raise Conflict(
            _(
                "Licence %(ref)s can no longer be renewed (it is %(status)s); apply again for "
                "the dataset."
            )
            % {"ref": licence.reference, "status": licence.get_status_display().lower()},
            code="renewal-closed",
        )
    terms = licence.dataset.current_license()
    if terms is None:
        raise Conflict(
            _("%(dataset)s has no published terms in force; ask the custodian.")
            % {"dataset": licence.dataset},
            code="no-current-terms",
        )
    return terms


def _renew(licence: Licence, terms: LicenseVersion, *, actor: User, agreement) -> Licence:
    now = clock.now()
    old_expiry = licence.expires_at
    assert old_expiry is not None  # _renewable_terms refused a licence without one
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
        **(agreement.as_details() if agreement else {}),
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
