"""Carrying a subject's consent withdrawal through: their files stop being served (the rule is
in access.policy: a withdrawn subject's files and retired files are never servable), each
affected variant publishes a new release without them, shared sheets are redacted or listed
for staff, and everyone who downloaded any of those files is asked to delete them and attest.

The shared-sheet rule (see catalog.models): a shared CSV whose header has the variant's
``subject_column`` gets a redacted copy without the subject's rows (written with Python's csv
module, so quoting may differ; it keeps the original's scan verdict: only rows were removed);
the original is retired, listed as removed by the release and named in the attestations of
those who downloaded it. Any other shared file of an affected variant stays served, is listed
on the withdrawal page for staff to replace with a redacted copy, and is named in the
attestations of those who downloaded it.

``withdrawal_carry_out`` runs inside ``services_staff.subject_withdraw``'s transaction, which
locks the subject, records the audit event and makes the whole thing happen once.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files import File
from django.db.models import QuerySet

from accord.accounts.models import User
from accord.audit.services import audit_record
from accord.catalog.models import (
    DataFile,
    Subject,
    SubjectWithdrawal,
    Variant,
    VariantRelease,
    same_subject_code,
)
from accord.catalog.releases import current_files, release_publish_without
from accord.core import clock
from accord.core.storage import protected_storage, sha256_of
from accord.licences.models import DeletionAttestation
from accord.licences.services_closeout import deletion_attestation_request_for_files


@dataclass
class WithdrawalOutcome:
    withdrawal: SubjectWithdrawal
    releases: list[VariantRelease] = field(default_factory=list)
    removed: list[DataFile] = field(default_factory=list)  # no longer served
    redacted: list[DataFile] = field(default_factory=list)  # the new copies of shared sheets
    to_review: list[DataFile] = field(default_factory=list)
    attestations: list[DeletionAttestation] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # storage names this call wrote


def _redacted_copy(
    sheet: DataFile, *, column: str, subject: Subject, outcome: WithdrawalOutcome
) -> DataFile | None:
    """A new row (and stored copy) of ``sheet`` without ``subject``'s rows; None when the
    sheet has no such column (so Accord cannot tell) or no row of theirs (nothing to do).
    Raises ValueError when the sheet cannot be read as a CSV."""
    from accord.catalog.services import content_name  # ingest's naming; imports us not

    storage = protected_storage()
    with tempfile.NamedTemporaryFile("w+b", suffix=".csv", delete=False) as out:
        tmp = Path(out.name)
    with storage.open(sheet.storage_name, "rb") as raw, tmp.open("wb") as out:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        first = text.readline()
        header = next(csv.reader([first]), [])
        if column not in header:
            return None
        at = header.index(column)
        ending = "\r\n" if first.endswith("\r\n") else "\n"
        sink = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = csv.writer(sink, lineterminator=ending)
        writer.writerow(header)
        dropped = 0
        for row in csv.reader(text):
            if len(row) > at and same_subject_code(row[at].strip(), subject.code):
                dropped += 1
                continue
            writer.writerow(row)
        sink.flush()
        sink.detach()
    try:
        if not dropped:
            return None
        with tmp.open("rb") as fh:
            digest, size = sha256_of(fh)
        name = content_name(sheet.variant, sheet.path, digest)
        if not storage.exists(name):
            with tmp.open("rb") as fh:
                stored = storage.save(name, File(fh, name=sheet.path))
            outcome.written.append(stored)
            name = stored
    finally:
        tmp.unlink(missing_ok=True)
    return DataFile(
        variant=sheet.variant,
        path=sheet.path,
        size=size,
        sha256=digest,
        media_type=sheet.media_type,
        storage_name=name,
        scan_status=sheet.scan_status,
        scan_detail=sheet.scan_detail,
        shared=True,
    )


def _carry_out_in_variant(
    variant: Variant, *, subject: Subject, outcome: WithdrawalOutcome, now
) -> None:
    before = list(
        DataFile.objects.filter(variant=variant, retired_at__isnull=True)
        .select_related("subject", "variant", "variant__dataset")
        .order_by("path")
    )
    theirs = [f for f in before if f.subject_id == subject.pk]
    retired: list[DataFile] = []
    replacements: list[tuple[DataFile, DataFile]] = []
    review: list[DataFile] = []
    for shared in (f for f in before if f.shared):
        copy = None
        if variant.subject_column and shared.path.lower().endswith(".csv"):
            try:
                copy = _redacted_copy(
                    shared, column=variant.subject_column, subject=subject, outcome=outcome
                )
            except (ValueError, UnicodeDecodeError, csv.Error):
                copy = None  # not a readable CSV: staff must look at it
            if copy is not None:
                replacements.append((shared, copy))
                continue
            if _has_column(shared, variant.subject_column):
                continue  # a sheet with the column and none of their rows: nothing to do
        review.append(shared)
    if not theirs and not replacements:
        return  # this variant never held anything of theirs
    for old, _copy in replacements:
        retired.append(old)
    DataFile.objects.filter(pk__in=[f.pk for f in theirs + retired]).update(retired_at=now)
    for _old, copy in replacements:
        copy.save()
        outcome.redacted.append(copy)
    removed = theirs + retired
    release = release_publish_without(
        variant=variant,
        before=before,
        removed=removed,
        reason=VariantRelease.Reason.WITHDRAWAL,
        withdrawal=outcome.withdrawal,
    )
    outcome.releases.append(release)
    outcome.removed += removed
    outcome.to_review += review
    audit_record(
        event_type="catalog:variant:release",
        actor=outcome.withdrawal.withdrawn_by,
        target=variant,
        custodian_id=variant.dataset.custodian_id,
        dataset_id=variant.dataset_id,
        details={
            "release": release.label,
            "reason": release.reason,
            "subject": subject.code,
            "removed": sorted(f.path for f in removed),
            "redacted": sorted(f.path for _old, f in replacements),
            "files": len(current_files(variant)),
        },
    )


def _has_column(sheet: DataFile, column: str) -> bool:
    try:
        with protected_storage().open(sheet.storage_name, "rb") as raw:
            first = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="").readline()
    except (OSError, UnicodeDecodeError):
        return False
    return column in next(csv.reader([first]), [])


def withdrawal_carry_out(*, subject: Subject, actor: User | None) -> WithdrawalOutcome:
    """Everything a withdrawal does beyond marking the subject (see the module docstring).
    The caller holds the subject's row lock inside its transaction and has set its status."""
    now = clock.now()
    withdrawal = SubjectWithdrawal.objects.create(subject=subject, withdrawn_by=actor)
    outcome = WithdrawalOutcome(withdrawal=withdrawal)
    storage = protected_storage()
    try:
        variants = Variant.objects.select_for_update().filter(dataset_id=subject.dataset_id)
        for variant in variants.select_related("dataset").order_by("position", "pk"):
            _carry_out_in_variant(variant, subject=subject, outcome=outcome, now=now)
        withdrawal.files_to_review.set(outcome.to_review)
        asked: QuerySet[DataFile] = DataFile.objects.filter(
            pk__in=[f.pk for f in outcome.removed + outcome.to_review]
        )
        outcome.attestations = deletion_attestation_request_for_files(
            files=asked, reason=DeletionAttestation.Reason.WITHDRAWAL, actor=actor, now=now
        )
        withdrawal.attestations.set(outcome.attestations)
    except BaseException:
        for name in outcome.written:  # the rows naming them rolled back
            if storage.exists(name):
                storage.delete(name)
        raise
    return outcome
