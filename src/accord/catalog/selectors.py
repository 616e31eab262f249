"""Reads for the public catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import translation

from accord.access import policy
from accord.catalog.models import (
    Clause,
    ClauseTranslation,
    Dataset,
    PublicationRule,
    RequiredCitation,
    Subject,
    Variant,
)


def published_datasets() -> QuerySet[Dataset]:
    return (
        Dataset.objects.filter(is_published=True)
        .select_related("custodian")
        .annotate(variant_count=Count("variants", distinct=True))
        # By the original name: a translation may be missing, and pages must keep one order.
        .order_by("name_en", "pk")
    )


def published_dataset_or_404(slug: str) -> Dataset:
    return get_object_or_404(
        Dataset.objects.select_related("custodian"), slug=slug, is_published=True
    )


def variants_with_totals(dataset: Dataset) -> QuerySet[Variant]:
    """The variants with the count and size of the files they offer (the files
    ``policy.variant_file_list`` lists)."""
    listed = Q(files__scan_status__in=policy.servable_scan_statuses())
    return (
        dataset.variants.annotate(
            file_count=Count("files", filter=listed), total_size=Sum("files__size", filter=listed)
        )
        .prefetch_related("citations")
        .order_by("position", "name")
    )


def dataset_citations(dataset: Dataset) -> QuerySet[RequiredCitation]:
    return dataset.citations.prefetch_related("variants").order_by("position")


def citations_for_variants(dataset: Dataset, variants) -> list[RequiredCitation]:
    """The citations a user of ``variants`` must include: dataset-wide ones plus each
    variant's own."""
    wanted = {v.pk for v in variants}
    result = []
    for citation in dataset_citations(dataset):
        required_for = {v.pk for v in citation.variants.all()}
        if not required_for or required_for & wanted:
            result.append(citation)
    return result


def publication_rules(dataset: Dataset) -> QuerySet[PublicationRule]:
    """The dataset's rules with what publishable_subjects needs, in three queries however
    many rules there are."""
    active = Subject.objects.filter(status=Subject.Status.ACTIVE).order_by("code")
    return dataset.publication_rules.select_related("variant").prefetch_related(
        Prefetch("subjects", queryset=Subject.objects.order_by("code")),
        Prefetch("dataset__subjects", queryset=active, to_attr="active_subjects"),
    )


def publishable_subjects(rule: PublicationRule) -> list[Subject]:
    """Subjects whose images may be shown under ``rule`` right now."""
    listed = {s.pk for s in rule.subjects.all()}
    active = getattr(rule.dataset, "active_subjects", None)
    if active is None:  # a rule not read through publication_rules
        active = rule.dataset.subjects.filter(status=Subject.Status.ACTIVE).order_by("code")
    if rule.mode == PublicationRule.Mode.ALLOW:
        return [s for s in active if s.pk in listed]
    return [s for s in active if s.pk not in listed]


@dataclass(frozen=True)
class ClauseReading:
    """A clause as a reader sees it: in their language where the custodian's staff translated
    it (``translated``: the page says the English text governs), else the English original."""

    code: str
    title: str
    text: str
    translated: bool = False


def _reading_language(language: str | None) -> str:
    code = language or translation.get_language() or settings.LANGUAGE_CODE
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return settings.LANGUAGE_CODE


def clauses_read_in(clauses: Iterable[Clause], language: str | None = None) -> list[Clause]:
    """``clauses`` in their order, each given ``.reading`` (a ClauseReading) in ``language``
    (the active one by default), a field without a translation falling back to English. One
    query for the translations, however many clauses."""
    clauses = list(clauses)
    language = _reading_language(language)
    found: dict[int, ClauseTranslation] = {}
    if language != settings.LANGUAGE_CODE and clauses:
        found = {
            t.clause_id: t
            for t in ClauseTranslation.objects.filter(
                clause__in=[c.pk for c in clauses], language=language
            )
        }
    for clause in clauses:
        t = found.get(clause.pk)
        clause.reading = ClauseReading(  # type: ignore[attr-defined]  # for the templates
            code=clause.code,
            title=(t and t.title) or clause.title,
            text=(t and t.text) or clause.text,
            translated=bool(t and (t.title or t.text)),
        )
    return clauses
