"""Reads of papers: what a dataset requires of a paper (for the check), the author's papers,
the custodian's register with its filters, and the public list on a dataset's page."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accord.access import policy
from accord.catalog.citations import citation_set, csl_item, naming_rule
from accord.catalog.models import Dataset, PublicationRule, RequiredCitation, Subject, Variant
from accord.core.errors import NotFound

from .check import Citation, ImageRule, Requirements
from .models import Publication


def citation_title(citation: RequiredCitation) -> str:
    """The title a reference-list entry must contain: the citation's CSL-JSON title (derived
    from its BibTeX when none was stored), else the quoted part of the formatted reference."""
    title = str(csl_item(citation).get("title") or "").strip()
    if title:
        return title
    quoted = re.search(r"[\"“”](.+?)[\"“”]", citation.text)
    return quoted.group(1) if quoted else citation.text


def required_citations(dataset: Dataset, variants: Iterable[Variant]) -> list[RequiredCitation]:
    """The citations a paper using ``variants`` must contain ("How to cite" decides)."""
    return citation_set(dataset, list(variants)).citations


def naming(dataset: Dataset) -> tuple[str, str]:
    """What papers must call the data and the rule as the author is shown it ("" when the
    terms set no name: SMIC)."""
    if not dataset.citation_name:
        return "", ""
    return dataset.citation_name, naming_rule(dataset)


def pdf_required(dataset: Dataset) -> bool:
    """Does the dataset's agreement ask for an electronic copy of every paper (SMIC S4)?"""
    from accord.agreements.content import policy_for

    return policy_for(dataset).publications_required


def image_rules(dataset: Dataset, variants: Iterable[Variant]) -> list[PublicationRule]:
    ids = [variant.pk for variant in variants]
    return list(
        PublicationRule.objects.filter(dataset=dataset)
        .filter(Q(variant__isnull=True) | Q(variant__in=ids))
        .select_related("variant")
        .prefetch_related("subjects")
        .order_by("variant__position", "pk")
    )


def requirements_for(dataset: Dataset, variants: Iterable[Variant]) -> Requirements:
    variants = list(variants)
    citations = [
        Citation(key=c.key, name=c.text, title=citation_title(c), doi=c.doi)
        for c in required_citations(dataset, variants)
    ]
    rules = [
        ImageRule(
            scope=f"{dataset.short_name or dataset.name} ({rule.variant.name})"
            if rule.variant
            else str(dataset.short_name or dataset.name),
            mode=rule.mode,
            subjects=tuple(sorted(s.code for s in rule.subjects.all())),
            notice=rule.notice,
            conditions=rule.conditions,
        )
        for rule in image_rules(dataset, variants)
    ]
    subjects = dict(Subject.objects.filter(dataset=dataset).values_list("code", "status"))
    name, rule = naming(dataset)
    return Requirements(
        citations=citations,
        required_name=name,
        naming_rule=rule,
        image_rules=rules,
        subjects=subjects,
    )


def _with_related(publications: QuerySet[Publication]) -> QuerySet[Publication]:
    return publications.select_related("dataset", "registered_by").prefetch_related("variants")


def publications_mine(user) -> QuerySet[Publication]:
    return _with_related(policy.publications_of(user))


def publication_mine(user, pk: int) -> Publication:
    """The author's own paper, or NotFound (also for someone else's)."""
    publication = publications_mine(user).filter(pk=pk).first()
    if publication is None:
        raise NotFound(_("No such paper."))
    return publication


def reviewable_dataset(user, slug: str) -> Dataset:
    dataset = policy.datasets_with_paper_review(user).filter(slug=slug).first()
    if dataset is None:
        raise NotFound(_("No such dataset."))
    return dataset


def publication_for_staff(user, pk: int) -> Publication:
    publication = _with_related(policy.publications_reviewable_by(user)).filter(pk=pk).first()
    if publication is None:
        raise NotFound(_("No such paper."))
    return publication


def publications_for_staff(
    user,
    *,
    dataset: Dataset | None = None,
    state: str = "",
    year: int | None = None,
    variant: str = "",
) -> QuerySet[Publication]:
    """The custodian's register: registered papers of the datasets ``user`` reviews papers
    for, filtered by compliance state (an override counts), year and variant slug."""
    papers = policy.publications_reviewable_by(user)
    if dataset is not None:
        papers = papers.filter(dataset=dataset)
    if state:
        papers = papers.filter(Q(override_state=state) | Q(override_state="", check_state=state))
    if year:
        papers = papers.filter(year=year)
    if variant:
        papers = papers.filter(variants__slug=variant).distinct()
    return _with_related(papers)


def public_publications(dataset: Dataset) -> QuerySet[Publication]:
    """Registered papers whose authors chose to show them on the dataset's page."""
    return Publication.objects.filter(
        dataset=dataset, status=Publication.Status.REGISTERED, is_public=True
    ).order_by("-year", "title")
