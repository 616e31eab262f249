"""Changes of terms (SMIC S6, CASMEMG C5): custodian staff publish a new version of a dataset's
terms with at least the dataset's notice; every active licence gets a pending TermsChange and
its holders a notice; the signer accepts (the licence moves to the new version, access goes
on) or opts out (the licence is void at once, access ends, deletion is requested). On the
effective date a change nobody answered lapses: the licence is suspended until the signer
accepts, or voided, as the dataset says."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accord.access import policy
from accord.access.services import entitlements_sync_for_licence
from accord.accounts.models import User
from accord.agreements import licence_agreement
from accord.agreements.licence_agreement import LicenceAgreement
from accord.audit.models import Event
from accord.audit.services import audit_record_many
from accord.catalog.models import LicenseVersion
from accord.catalog.services_staff import (
    ClauseText,
    licence_version_draft,
    licence_version_publish,
)
from accord.core import clock
from accord.core.errors import Conflict, DomainError, NotFound
from accord.notifications import terms as notify
from accord.notifications.reminders import reminder_claim

from .models import DeletionAttestation, Licence, TermsChange
from .services import licence_audit, licence_audit_entry, licence_lock
from .services_closeout import deletion_attestation_request

# Days before the effective date at which a signer who has not answered is reminded.
TERMS_REMINDER_DAYS = (14, 7, 1)


def earliest_effective_date(dataset) -> dt.date:
    return clock.localdate() + dt.timedelta(days=dataset.notice_days)


@transaction.atomic
def terms_publish(*, version: LicenseVersion, actor: User) -> LicenseVersion:
    """Publish a draft of new terms with the dataset's notice, and open a TermsChange (with
    its notice to the signer and members) for every licence of the dataset in force or
    suspended. Publishing twice changes nothing."""
    dataset = version.dataset
    if version.is_frozen:
        return version
    earliest = earliest_effective_date(dataset)
    if version.effective_date < earliest:
        raise DomainError(
            gettext(
                "New terms need %(days)s days' notice: set the effective date to %(date)s or later."
            )
            % {"days": dataset.notice_days, "date": earliest.isoformat()},
            field="effective_date",
        )
    version = licence_version_publish(version=version, actor=actor)
    licences = (
        Licence.objects.select_for_update(of=("self",))
        .filter(dataset=dataset, status__in=(Licence.Status.ACTIVE, Licence.Status.SUSPENDED))
        .exclude(license_version__version__gte=version.version)
        .exclude(terms_changes__license_version=version)  # opened already: publish once
        .select_related("dataset", "license_version")
        .order_by("pk")
    )
    changes, events = [], []
    for licence in licences:
        changes.append(
            TermsChange(
                licence=licence,
                license_version=version,
                previous_version=licence.license_version,
            )
        )
        events.append(
            licence_audit_entry(
                licence,
                "terms_notice",
                actor,
                license_version=version.version,
                previous_version=licence.license_version.version,
                effective_date=version.effective_date.isoformat(),
            )
        )
    # One insert for all changes and one append of all their events (each licence still has
    # its own); the notices are written by the worker, a batch of licences per task
    # (notifications.terms.terms_notices), so a dataset with 20k licences publishes in seconds.
    audit_record_many(events)
    created = TermsChange.objects.bulk_create(changes, batch_size=1000)
    notify.terms_notices_enqueue([c.pk for c in created])
    return version


@transaction.atomic
def terms_draft_and_publish(
    *,
    dataset,
    actor: User,
    title: str,
    effective_date: dt.date,
    clauses: list[ClauseText],
    change_summary: str = "",
) -> LicenseVersion:
    """Draft the next terms (reusing a draft already started) and publish them in one step, as
    a script does through the API: an effective date inside the notice period leaves no draft
    behind."""
    if not policy.can_manage_terms(actor, dataset):
        raise NotFound(gettext("No such dataset."))
    draft = (
        dataset.license_versions.filter(status=LicenseVersion.Status.DRAFT)
        .order_by("-version")
        .first()
    )
    version = licence_version_draft(
        dataset=dataset,
        actor=actor,
        title=title,
        effective_date=effective_date,
        change_summary=change_summary,
        clauses=clauses,
        version=draft,
    )
    return terms_publish(version=version, actor=actor)


def _change_for_signer(licence: Licence, actor: User) -> TermsChange:
    if not policy.can_manage_members(actor, licence):
        raise NotFound(gettext("No such licence."))
    change = (
        TermsChange.objects.select_for_update(of=("self",))
        .select_related("license_version", "previous_version")
        .filter(licence=licence, status__in=(TermsChange.Status.PENDING, TermsChange.Status.LAPSED))
        .order_by("-license_version__version")
        .first()
    )
    if change is None:
        raise Conflict(
            gettext(
                "Licence %(ref)s has no change of terms waiting for an answer; it is on "
                "version %(version)s."
            )
            % {"ref": licence.reference, "version": licence.license_version.version},
            code="no-terms-change",
        )
    return change


def _suspended_for_lapsed_terms(licence: Licence) -> bool:
    """Did the licence's latest suspension come from unanswered new terms? Accepting them lifts
    only that one: a suspension staff ordered for another reason stays until they reinstate."""
    last = (
        Event.objects.filter(
            licence_id=licence.pk,
            event_type__in=(
                "agreements:licence:suspend",
                "agreements:licence:reinstate",
                "agreements:licence:terms_lapse",
            ),
        )
        .order_by("-seq")
        .values_list("event_type", "details")
        .first()
    )
    return (
        last is not None
        and last[0] == "agreements:licence:terms_lapse"
        and last[1].get("status") == Licence.Status.SUSPENDED
    )


@transaction.atomic
def terms_change_accept(*, licence: Licence, actor: User) -> Licence:
    """The signer accepts the new terms (click-through): the licence moves to them and access
    goes on; a licence suspended because the change lapsed is active again. A dataset that
    wants new terms signed refuses the click-through (``terms_change_accept_signed``)."""
    licence = licence_lock(licence)
    change = _change_for_signer(licence, actor)
    if licence.dataset.terms_acceptance == "signed":
        raise Conflict(
            gettext(
                "%(dataset)s accepts new terms only with a signed agreement: on the terms page "
                "of licence %(ref)s, download the agreement for the new terms (version "
                "%(version)s), have it signed, and upload the signed scan."
            )
            % {
                "dataset": licence.dataset,
                "ref": licence.reference,
                "version": change.license_version.version,
            },
            code="terms-need-signed-agreement",
        )
    return _accept(licence, change, actor=actor, agreement=None)


def terms_change_document(*, licence: Licence, actor: User) -> LicenceAgreement:
    """The agreement the signer signs to accept the pending new terms (404 for anyone but the
    signer; a conflict when nothing is pending)."""
    with transaction.atomic():
        change = _change_for_signer(licence, actor)
    return licence_agreement.terms_agreement(licence, change.license_version)


def terms_change_accept_signed(*, licence: Licence, actor: User, data: bytes) -> Licence:
    """The signer accepts the new terms by uploading the agreement for them, signed: the file
    goes through the intake applications use (malware scan, sandboxed checks, the QR code names
    this licence and version) and is stored; the acceptance is audited with its hash. A
    refused file leaves nothing behind."""
    document = terms_change_document(licence=licence, actor=actor)
    checked = licence_agreement.check_upload(document, data, actor=actor)
    written: list[str] = []
    try:
        with transaction.atomic():
            licence = licence_lock(licence)
            change = _change_for_signer(licence, actor)
            if change.license_version_id != document.license_version.pk:
                raise Conflict(
                    gettext(
                        "Newer terms (version %(version)s) were published since you downloaded "
                        "the agreement: download the agreement for them, sign it and upload it."
                    )
                    % {"version": change.license_version.version},
                    code="terms-changed-again",
                )
            stored = licence_agreement.store_checked(checked, data, written)
            licence = _accept(licence, change, actor=actor, agreement=stored)
    except Exception:
        licence_agreement.discard(written)
        raise
    return licence


def _accept(licence: Licence, change: TermsChange, *, actor: User, agreement) -> Licence:
    if licence.status not in (Licence.Status.ACTIVE, Licence.Status.SUSPENDED):
        raise Conflict(
            gettext("Licence %(ref)s is %(status)s; its terms can no longer change.")
            % {"ref": licence.reference, "status": licence.get_status_display().lower()},
            code="licence-not-in-force",
        )
    restored = (
        change.status == TermsChange.Status.LAPSED
        and licence.status == Licence.Status.SUSPENDED
        and _suspended_for_lapsed_terms(licence)
    )
    now = clock.now()
    previous = licence.license_version
    licence.license_version = change.license_version
    fields = ["license_version", "updated"]
    if restored:
        licence.status = Licence.Status.ACTIVE
        licence.ended_at = None
        licence.end_reason = ""
        fields += ["status", "ended_at", "end_reason"]
    licence.save(update_fields=fields)
    change.status, change.decided_at, change.decided_by = TermsChange.Status.ACCEPTED, now, actor
    change.save(update_fields=["status", "decided_at", "decided_by", "updated"])
    licence_audit(
        licence,
        "terms_accept",
        actor,
        license_version=change.license_version.version,
        previous_version=previous.version,
        restored=restored,
        **(agreement.as_details() if agreement else {}),
    )
    entitlements_sync_for_licence(
        licence=licence, actor=actor, reason=f"new terms v{change.license_version.version}"
    )
    notify.terms_accepted(change)
    return licence


def _void(licence: Licence, change: TermsChange, *, actor: User | None, reason: str, now) -> None:
    licence.status = Licence.Status.VOID
    licence.ended_at = now
    licence.end_reason = reason
    licence.save(update_fields=["status", "ended_at", "end_reason", "updated"])
    entitlements_sync_for_licence(licence=licence, actor=actor, reason=reason)
    notify.licence_voided(change, reason=reason)


@transaction.atomic
def terms_change_opt_out(*, licence: Licence, actor: User) -> Licence:
    """The signer refuses the new terms: the licence is void at once (access ends for
    everyone), the members are told, and deletion of every copy is requested."""
    licence = licence_lock(licence)
    change = _change_for_signer(licence, actor)
    now = clock.now()
    change.status, change.decided_at, change.decided_by = TermsChange.Status.OPTED_OUT, now, actor
    change.save(update_fields=["status", "decided_at", "decided_by", "updated"])
    reason = gettext("The signer opted out of the new terms (version %(version)s).") % {
        "version": change.license_version.version
    }
    licence_audit(
        licence,
        "terms_opt_out",
        actor,
        license_version=change.license_version.version,
        source=licence.status,
        status=Licence.Status.VOID,
    )
    _void(licence, change, actor=actor, reason=reason, now=now)
    deletion_attestation_request(
        licence=licence, reason=DeletionAttestation.Reason.OPT_OUT, actor=actor
    )
    return licence


# A publish's notices are written by its tasks within seconds; after this long without them
# the task was lost (a worker that died with it) and the scheduler writes them itself.
NOTICES_OVERDUE = dt.timedelta(minutes=10)


def step_terms_notices(*, now: dt.datetime) -> int:
    """Write the notices of changes of terms whose task never ran; returns the emails queued.
    ``terms_notices`` skips a change whose notices exist, so nobody is told twice."""
    overdue = TermsChange.objects.filter(
        notified_at__isnull=True, created__lte=now - NOTICES_OVERDUE
    ).order_by("pk")
    ids = list(overdue.values_list("pk", flat=True))
    return sum(
        notify.terms_notices(ids[start : start + notify.NOTICE_BATCH])
        for start in range(0, len(ids), notify.NOTICE_BATCH)
    )


def step_terms_reminders(*, now: dt.datetime) -> int:
    """Remind the signer of each unanswered change 14, 7 and 1 days before its effective date,
    each once."""
    today = timezone.localdate(now)
    horizon = today + dt.timedelta(days=max(TERMS_REMINDER_DAYS))
    pending = TermsChange.objects.filter(
        status=TermsChange.Status.PENDING,
        license_version__effective_date__gt=today,
        license_version__effective_date__lte=horizon,
    ).select_related("license_version")
    sent = 0
    for change in pending:
        left = (change.license_version.effective_date - today).days
        days = min(d for d in TERMS_REMINDER_DAYS if left <= d)
        with transaction.atomic():
            if not reminder_claim(key=f"terms-change:{change.pk}:{days}d", now=now):
                continue
            change = TermsChange.objects.select_related(
                "licence", "licence__dataset", "licence__signer", "license_version"
            ).get(pk=change.pk)
            if change.status != TermsChange.Status.PENDING:
                continue
            licence_audit(
                change.licence,
                "terms_reminder",
                None,
                license_version=change.license_version.version,
                days=days,
            )
            notify.terms_reminder(change, days=days)
            sent += 1
    return sent


def step_terms_effective(*, now: dt.datetime) -> int:
    """On the effective date, each change still pending lapses: the licence is suspended until
    the signer accepts, or voided (and deletion requested), as the dataset says."""
    today = timezone.localdate(now)
    due = TermsChange.objects.filter(
        status=TermsChange.Status.PENDING, license_version__effective_date__lte=today
    ).values_list("pk", flat=True)
    done = 0
    for pk in due:
        with transaction.atomic():
            change = (
                TermsChange.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("license_version")
                .filter(pk=pk, status=TermsChange.Status.PENDING)
                .first()
            )
            if change is None:
                continue
            licence = licence_lock(change.licence)
            change.status = TermsChange.Status.LAPSED
            change.save(update_fields=["status", "updated"])
            version = change.license_version.version
            if licence.dataset.terms_no_action == "void":
                reason = gettext(
                    "The new terms (version %(version)s) were not accepted by their effective date."
                ) % {"version": version}
                licence_audit(licence, "terms_lapse", None, license_version=version, status="void")
                _void(licence, change, actor=None, reason=reason, now=now)
                deletion_attestation_request(
                    licence=licence, reason=DeletionAttestation.Reason.VOID, actor=None, now=now
                )
            elif licence.status == Licence.Status.ACTIVE:
                licence.status = Licence.Status.SUSPENDED
                licence.ended_at = now
                licence.end_reason = gettext(
                    "Suspended until the signer accepts the new terms (version %(version)s)."
                ) % {"version": version}
                licence.save(update_fields=["status", "ended_at", "end_reason", "updated"])
                licence_audit(
                    licence, "terms_lapse", None, license_version=version, status="suspended"
                )
                entitlements_sync_for_licence(licence=licence, reason=licence.end_reason)
                notify.terms_lapsed(change)
            done += 1
    return done
