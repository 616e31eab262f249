"""The record of a variant's releases: which files each release held and which a release
removed (for a consent withdrawal). ``Variant.release`` is the current label; its record is
kept up to date by ingest (a re-ingest under the same label changes what that label holds),
and a withdrawal publishes the next label, leaving the earlier record as it was.

Called from inside the services' transactions (ingest, withdrawal); they audit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db.models import QuerySet

from accord.catalog.models import DataFile, ReleaseFile, Subject, Variant, VariantRelease
from accord.core import clock


def current_files(variant: Variant) -> QuerySet[DataFile]:
    """The files the variant's current release holds: not retired, no withdrawn subject's."""
    return (
        DataFile.objects.filter(variant=variant, retired_at__isnull=True)
        .exclude(subject__status=Subject.Status.WITHDRAWN)
        .select_related("subject")
        .order_by("path")
    )


def _entries(release: VariantRelease, files: Iterable[DataFile], change: str) -> None:
    ReleaseFile.objects.bulk_create(
        ReleaseFile(
            release=release,
            data_file=f,
            change=change,
            path=f.path,
            sha256=f.sha256,
            size=f.size,
            subject_code=f.subject_code or "",
        )
        for f in files
    )


def release_record_current(*, variant: Variant) -> VariantRelease:
    """Record (or bring up to date) what the variant's current label holds now."""
    release, created = VariantRelease.objects.get_or_create(
        variant=variant,
        label=variant.release,
        defaults={"published_at": clock.now(), "reason": VariantRelease.Reason.RECORDED},
    )
    if not created:
        release.entries.filter(change=ReleaseFile.Change.INCLUDED).delete()
    _entries(release, current_files(variant), ReleaseFile.Change.INCLUDED)
    return release


def next_label(variant: Variant) -> str:
    """The label after the current one: the last number goes up (1.0 -> 1.1, 0.9 -> 0.10);
    a label without one gets ".1"; never a label the variant already used."""
    taken = set(VariantRelease.objects.filter(variant=variant).values_list("label", flat=True))
    label = variant.release
    while True:
        match = re.fullmatch(r"(.*?)(\d+)", label)
        label = f"{match.group(1)}{int(match.group(2)) + 1}" if match else f"{label}.1"
        if label not in taken and label != variant.release:
            return label


def release_publish_without(
    *,
    variant: Variant,
    before: list[DataFile],
    removed: list[DataFile],
    reason: str,
    withdrawal=None,
) -> VariantRelease:
    """Publish the variant's next release: its current files (``removed`` already retired or
    withdrawn by the caller) and the list of what it removed. The current release's record
    keeps every file it held; for a variant ingested before releases were recorded it is made
    now from ``before`` (the files as they were until this change)."""
    if not VariantRelease.objects.filter(variant=variant, label=variant.release).exists():
        previous = VariantRelease.objects.create(
            variant=variant,
            label=variant.release,
            published_at=variant.created,
            reason=VariantRelease.Reason.RECORDED,
        )
        _entries(previous, before, ReleaseFile.Change.INCLUDED)
    variant.release = next_label(variant)
    variant.save(update_fields=["release", "updated"])
    release = VariantRelease.objects.create(
        variant=variant,
        label=variant.release,
        published_at=clock.now(),
        reason=reason,
        withdrawal=withdrawal,
    )
    _entries(release, current_files(variant), ReleaseFile.Change.INCLUDED)
    _entries(release, removed, ReleaseFile.Change.REMOVED)
    return release


def withdrawn_entries(variant: Variant) -> QuerySet[ReleaseFile]:
    """Files earlier releases of ``variant`` held that a later one removed for a consent
    withdrawal (what the manifest lists under "withdrawn")."""
    return (
        ReleaseFile.objects.filter(
            release__variant=variant,
            release__reason=VariantRelease.Reason.WITHDRAWAL,
            change=ReleaseFile.Change.REMOVED,
        )
        .select_related("release", "release__withdrawal", "release__withdrawal__subject")
        .order_by("release__published_at", "path", "pk")
    )
