"""Reads for the staff pages about a dataset's files: each file's subject, the variants'
releases, and consent withdrawals with who has and has not attested deleting the files.
Who may read them is decided by access.policy."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from accord.access import policy
from accord.catalog.models import (
    DataFile,
    Dataset,
    ReleaseFile,
    SubjectWithdrawal,
    Variant,
    VariantRelease,
)
from accord.catalog.releases import current_files
from accord.core import clock
from accord.licences.models import DeletionAttestation


@dataclass(frozen=True)
class VariantFiles:
    variant: Variant
    files: QuerySet[DataFile]  # not evaluated: the page shows one page of each variant's files
    releases: list[VariantRelease]


def dataset_files(dataset: Dataset) -> list[VariantFiles]:
    """Each variant's current files (with their subject) and its releases, newest first."""
    variants = dataset.variants.order_by("position", "name").prefetch_related(
        Prefetch(
            "releases",
            queryset=VariantRelease.objects.select_related("withdrawal__subject").order_by(
                "-published_at", "-pk"
            ),
        )
    )
    return [
        VariantFiles(variant=v, files=current_files(v), releases=list(v.releases.all()))
        for v in variants
    ]


def withdrawal_or_404(user, slug: str, code: str) -> SubjectWithdrawal:
    """The withdrawal of subject ``code`` of dataset ``slug`` if ``user`` may read it; 404 for
    "none", "no such dataset" and "not yours" alike."""
    return get_object_or_404(
        policy.withdrawals_visible_to(user).select_related(
            "subject", "subject__dataset", "withdrawn_by"
        ),
        subject__dataset__slug=slug,
        subject__code=code,
    )


@dataclass(frozen=True)
class AttestationRow:
    attestation: DeletionAttestation
    files: list[str]
    is_signer: bool
    overdue: bool


def withdrawal_attestations(withdrawal: SubjectWithdrawal) -> list[AttestationRow]:
    """Everyone asked to delete the files, the files each was asked about, and where they
    stand (attested, waiting, overdue), waiting ones first."""
    now = clock.now()
    rows = (
        withdrawal.attestations.select_related("licence", "user")
        .prefetch_related(Prefetch("files", queryset=DataFile.objects.order_by("path")))
        .order_by("attested_at", "licence__reference", "user__email")
    )
    result = [
        AttestationRow(
            attestation=a,
            files=[f.path for f in a.files.all()],
            is_signer=a.user_id == a.licence.signer_id,
            overdue=a.attested_at is None and a.due_at <= now,
        )
        for a in rows
    ]
    return sorted(result, key=lambda r: r.attestation.attested_at is not None)


def withdrawal_releases(withdrawal: SubjectWithdrawal) -> QuerySet[VariantRelease]:
    """The releases the withdrawal published, each with the files it removed."""
    return (
        withdrawal.releases.select_related("variant")
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=ReleaseFile.objects.filter(change=ReleaseFile.Change.REMOVED).order_by(
                    "path"
                ),
                to_attr="removed",
            )
        )
        .order_by("variant__position", "variant__name")
    )


def withdrawal_files_to_review(withdrawal: SubjectWithdrawal) -> QuerySet[DataFile]:
    return withdrawal.files_to_review.select_related("variant").order_by("variant__slug", "path")
