"""Close-out: asking the people who hold copies of a dataset to confirm they deleted them, and
recording the confirmation. Opting out of new terms, expiry without renewal, voiding and
revocation all ask through ``deletion_attestation_request``; a subject's withdrawal of
consent asks through ``deletion_attestation_request_for_files`` (only who downloaded those files).

Which files a person holds comes from the download links used under an entitlement of the
licence (``DownloadLink.objects.used()``: a use in the audit journal), not from the
``downloads:file:serve`` events alone: every way a file leaves the portal journals a use of
its link (a Django stream whether it completed or was
cut off, and a hand-off to nginx or S3, which serve the bytes without an audit "serve" event),
so the links name every file of which some bytes may sit on someone's disk."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from accord.accounts.models import User
from accord.audit.services import audit_record
from accord.catalog.models import DataFile
from accord.core import clock
from accord.core.errors import DomainError, NotFound
from accord.downloads.models import DownloadLink
from accord.notifications import closeout as notify

from .models import DeletionAttestation, Licence, LicenceMember

# How long a person has to confirm, and when they are reminded before that.
ATTESTATION_DAYS = 30
REMINDER_DAYS_BEFORE_DUE = (7, 1)
MAX_STATEMENT = 2000


def downloaded_files(
    licence: Licence, user: User | None = None, *, among: QuerySet[DataFile] | None = None
) -> QuerySet[DataFile]:
    """Files downloaded (wholly or in part) under ``licence``, by ``user`` or by anyone
    (only those ``among`` the given files, when given)."""
    links = DownloadLink.objects.filter(entitlement__licence=licence).used()
    if user is not None:
        links = links.filter(user=user)
    if among is not None:
        links = links.filter(data_file__in=among)
    return DataFile.objects.filter(pk__in=links.values("data_file_id")).order_by("path")


def _audit(attestation: DeletionAttestation, action: str, actor: User | None, **details) -> None:
    licence = attestation.licence
    audit_record(
        event_type=f"licences:attestation:{action}",
        actor=actor,
        target=attestation,
        custodian_id=licence.dataset.custodian_id,
        dataset_id=licence.dataset_id,
        licence_id=licence.pk,
        details={
            "licence": licence.reference,
            "reason": attestation.reason,
            "person": attestation.user_id,
            **details,
        },
    )


@transaction.atomic
def deletion_attestation_request(
    *, licence: Licence, reason: str, actor: User | None, now: datetime | None = None
) -> list[DeletionAttestation]:
    """Ask the signer (who answers for the whole group: every file anyone downloaded under the
    licence) and, when the dataset wants it, each member who downloaded (their own files) to
    confirm deleting their copies. Asking again for the same reason asks nobody twice."""
    if reason not in DeletionAttestation.Reason.values:
        raise ValueError(f"no deletion attestation reason {reason!r}")
    now = now or clock.now()
    licence = Licence.objects.select_related("dataset", "dataset__custodian", "signer").get(
        pk=licence.pk
    )
    people: list[tuple[User, QuerySet[DataFile]]] = [(licence.signer, downloaded_files(licence))]
    if licence.dataset.members_attest_deletion:
        member_ids = LicenceMember.objects.filter(licence=licence, user__isnull=False).values(
            "user_id"
        )
        downloaders = (
            User.objects.filter(
                pk__in=DownloadLink.objects.filter(
                    entitlement__licence=licence, user_id__in=member_ids
                )
                .used()
                .values("user_id")
            )
            .exclude(pk=licence.signer_id)
            .order_by("email")
        )
        people += [(user, downloaded_files(licence, user)) for user in downloaders]

    return _ask(licence=licence, people=people, reason=reason, actor=actor, now=now)


def _ask(
    *,
    licence: Licence,
    people: list[tuple[User, QuerySet[DataFile]]],
    reason: str,
    actor: User | None,
    now: datetime,
) -> list[DeletionAttestation]:
    created = []
    for user, files in people:
        if reason != DeletionAttestation.Reason.WITHDRAWAL:
            existing = DeletionAttestation.objects.filter(
                licence=licence, user=user, reason=reason
            ).first()
            if existing is not None:
                continue
        attestation = DeletionAttestation.objects.create(
            licence=licence,
            user=user,
            reason=reason,
            due_at=now + timedelta(days=ATTESTATION_DAYS),
        )
        attestation.files.set(files)
        _audit(
            attestation,
            "request",
            actor,
            due_at=attestation.due_at.isoformat(),
            files=sorted(f.path for f in files),
            is_signer=user.pk == licence.signer_id,
        )
        notify.attestation_requested(attestation)
        created.append(attestation)
    return created


@transaction.atomic
def deletion_attestation_request_for_files(
    *, files: QuerySet[DataFile], reason: str, actor: User | None, now: datetime | None = None
) -> list[DeletionAttestation]:
    """Ask exactly the people who downloaded some of ``files`` to delete those they got, and
    the signer of each licence they were downloaded under to answer for the group's: each
    attestation lists only ``files`` downloaded under that licence (by that person, or, for
    the signer, by anyone). A licence under which none of them was downloaded asks nobody.
    A consent withdrawal asks this way (an open request of another reason does not cover it)."""
    if reason not in DeletionAttestation.Reason.values:
        raise ValueError(f"no deletion attestation reason {reason!r}")
    now = now or clock.now()
    links = DownloadLink.objects.filter(data_file__in=files).used()
    licences = (
        Licence.objects.filter(pk__in=links.values("entitlement__licence_id"))
        .select_related("dataset", "dataset__custodian", "signer")
        .order_by("reference")
    )
    created: list[DeletionAttestation] = []
    for licence in licences:
        people: list[tuple[User, QuerySet[DataFile]]] = [
            (licence.signer, downloaded_files(licence, among=files))
        ]
        downloaders = (
            User.objects.filter(pk__in=links.filter(entitlement__licence=licence).values("user_id"))
            .exclude(pk=licence.signer_id)
            .order_by("email")
        )
        people += [(user, downloaded_files(licence, user, among=files)) for user in downloaders]
        created += _ask(licence=licence, people=people, reason=reason, actor=actor, now=now)
    return created


@transaction.atomic
def deletion_attestation_confirm(
    *, attestation: DeletionAttestation, actor: User, statement: str
) -> DeletionAttestation:
    """The person asked confirms, in their own words, that they deleted every copy. Only they
    may; confirming twice keeps the first confirmation."""
    attestation = (
        DeletionAttestation.objects.select_for_update(of=("self",))
        .select_related("licence", "licence__dataset", "user")
        .get(pk=attestation.pk)
    )
    if actor is None or attestation.user_id != actor.pk:
        raise NotFound(gettext("No such deletion attestation."))
    if attestation.attested_at is not None:
        return attestation
    statement = (statement or "").strip()
    if not statement:
        raise DomainError(
            gettext(
                "Say how you deleted the copies (for example: deleted from my laptop and the "
                "lab server, backups expire on 1 March); it is kept as your attestation."
            ),
            field="statement",
        )
    if len(statement) > MAX_STATEMENT:
        raise DomainError(
            gettext("Keep the statement under %(n)s characters.") % {"n": MAX_STATEMENT},
            field="statement",
        )
    attestation.statement = statement
    attestation.attested_at = clock.now()
    attestation.save(update_fields=["statement", "attested_at", "updated"])
    _audit(
        attestation,
        "confirm",
        actor,
        statement=statement,
        files=sorted(attestation.files.values_list("path", flat=True)),
    )
    notify.attestation_confirmed(attestation)
    return attestation


@transaction.atomic
def deletion_attestations_withdraw(
    *, licence: Licence, reasons: tuple[str, ...], actor: User, why: str
) -> int:
    """Withdraw the licence's open requests for ``reasons`` (a renewal within the grace period
    withdraws the one its expiry made: the holders may keep the data again). The request and
    its withdrawal, with ``why`` and the files it listed, stay in the audit trail; the row goes,
    so reminders, escalation and the staff overview stop and a later close-out asks afresh.
    Confirmed attestations are kept. Returns how many were withdrawn."""
    if not why.strip():
        raise ValueError("a withdrawal needs a reason")
    open_requests = (
        DeletionAttestation.objects.select_for_update(of=("self",))
        .select_related("licence", "licence__dataset", "user")
        .filter(licence=licence, reason__in=reasons, attested_at__isnull=True)
        .order_by("pk")
    )
    withdrawn = 0
    for attestation in open_requests:
        _audit(
            attestation,
            "withdraw",
            actor,
            why=why,
            due_at=attestation.due_at.isoformat(),
            files=sorted(attestation.files.values_list("path", flat=True)),
        )
        attestation.delete()
        withdrawn += 1
    return withdrawn


def attestation_remind(*, attestation: DeletionAttestation, now: datetime) -> bool:
    """Send the next reminder or the escalation this attestation is due, once: the row's
    counter (or escalation time) is moved with a conditional update in the same transaction
    as the email is queued, so two scheduler runs at once send it once. True if sent."""
    with transaction.atomic():
        row = (
            DeletionAttestation.objects.select_related(
                "licence", "licence__dataset", "licence__dataset__custodian", "user"
            )
            .filter(pk=attestation.pk, attested_at__isnull=True)
            .first()
        )
        if row is None:
            return False
        if now >= row.due_at:
            if row.escalated_at is not None:
                return False
            if not DeletionAttestation.objects.filter(pk=row.pk, escalated_at__isnull=True).update(
                escalated_at=now
            ):
                return False
            row.escalated_at = now
            _audit(row, "escalate", None, due_at=row.due_at.isoformat())
            notify.attestation_escalated(row)
            return True
        due = [d for d in REMINDER_DAYS_BEFORE_DUE if now >= row.due_at - timedelta(days=d)]
        if len(due) <= row.reminded_count:
            return False
        # Several milestones passed while the scheduler was down: one reminder, not a burst.
        if not DeletionAttestation.objects.filter(
            pk=row.pk, reminded_count=row.reminded_count
        ).update(reminded_count=len(due)):
            return False
        row.reminded_count = len(due)
        _audit(row, "remind", None, reminder=row.reminded_count)
        notify.attestation_reminder(row)
        return True


def step_attestation_reminders(*, now: datetime) -> int:
    """The scheduler's step: remind everyone whose confirmation is due soon, and tell the
    custodian of each one overdue. Returns how many emails it queued."""
    horizon = now + timedelta(days=max(REMINDER_DAYS_BEFORE_DUE))
    pending = DeletionAttestation.objects.filter(
        attested_at__isnull=True, escalated_at__isnull=True, due_at__lte=horizon
    ).order_by("due_at", "pk")
    return sum(attestation_remind(attestation=a, now=now) for a in pending)
