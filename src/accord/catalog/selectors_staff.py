"""Reads for the custodian staff's catalogue pages. Which datasets a person may edit is
decided by access.policy; these only shape what the pages show."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from accord.access import policy
from accord.catalog.models import Dataset, PublicationRule, Subject, Variant
from accord.core.permissions import Permission


def editable_datasets(user) -> QuerySet[Dataset]:
    """The datasets on a staff member's catalogue page, with their subject and rule counts."""
    return (
        policy.datasets_editable_by(user, Permission.CATALOG_DATASET_MANAGE)
        .annotate(
            subject_count=Count("subjects", distinct=True),
            withdrawn_count=Count(
                "subjects", filter=Q(subjects__status=Subject.Status.WITHDRAWN), distinct=True
            ),
            rule_count=Count("publication_rules", distinct=True),
        )
        .order_by("custodian__name", "name")
    )


def editable_dataset_or_404(user, slug: str, permission: Permission) -> Dataset:
    """``slug``'s dataset if ``user`` may change it under ``permission``; 404 for "no such
    dataset" and "not yours" alike."""
    return get_object_or_404(policy.datasets_editable_by(user, permission), slug=slug)


def dataset_subjects(dataset: Dataset) -> QuerySet[Subject]:
    return dataset.subjects.select_related("withdrawal").order_by("code")


def rules_for_staff(dataset: Dataset) -> list[PublicationRule]:
    """The dataset-wide rule first, then one per variant, each with its listed subjects."""
    rules = dataset.publication_rules.select_related("variant").prefetch_related(
        Prefetch("subjects", queryset=Subject.objects.order_by("code"))
    )
    return sorted(rules, key=lambda r: (r.variant is not None, r.variant and r.variant.position))


def variants_without_rule(dataset: Dataset) -> QuerySet[Variant]:
    return dataset.variants.filter(publication_rules__isnull=True).order_by("position", "name")
