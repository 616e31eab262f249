"""Public, read-only catalogue endpoints."""

from __future__ import annotations

from datetime import date

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import paginate

from accord.api.pagination import BoundedPageNumberPagination
from accord.catalog import selectors
from accord.catalog.models import Variant

router = Router(tags=["catalogue"])


class CustodianOut(Schema):
    slug: str
    name: str
    country: str
    website: str


class DatasetOut(Schema):
    slug: str
    name: str
    short_name: str
    summary: str
    modalities: list[str]
    custodian: CustodianOut


class VariantOut(Schema):
    slug: str
    name: str
    release: str
    description: str
    file_count: int
    total_size: int


class ClauseOut(Schema):
    code: str
    title: str
    text: str
    enforcement: str


class LicenseOut(Schema):
    version: int
    title: str
    effective_date: date
    clauses: list[ClauseOut]


class CitationOut(Schema):
    key: str
    text: str
    bibtex: str
    doi: str
    variants: list[str]


class SubjectRuleOut(Schema):
    variant: str | None
    mode: str
    listed_subjects: list[str]
    publishable_subjects: list[str]
    notice: str


class DatasetDetailOut(DatasetOut):
    description: str
    requires_affiliated_email: bool
    variants: list[VariantOut]
    license: LicenseOut | None
    citations: list[CitationOut]
    publication_rules: list[SubjectRuleOut]


class FileOut(Schema):
    path: str
    size: int
    sha256: str
    media_type: str


def _variant_out(v) -> dict:
    return {
        "slug": v.slug,
        "name": v.name,
        "release": v.release,
        "description": v.description,
        "file_count": v.file_count,
        "total_size": v.total_size or 0,
    }


def _citation_out(c) -> dict:
    return {
        "key": c.key,
        "text": c.text,
        "bibtex": c.bibtex,
        "doi": c.doi,
        "variants": [v.slug for v in c.variants.all()],
    }


@router.get("/datasets", response=list[DatasetOut], auth=None, summary="List datasets")
@paginate(BoundedPageNumberPagination, page_size=50)
def list_datasets(request):
    return selectors.published_datasets()


@router.get(
    "/datasets/{slug}",
    response=DatasetDetailOut,
    auth=None,
    summary="One dataset with variants, terms, citations and publication rules",
)
def get_dataset(request, slug: str):
    dataset = selectors.published_dataset_or_404(slug)
    lv = dataset.current_license()
    return {
        "slug": dataset.slug,
        "name": dataset.name,
        "short_name": dataset.short_name,
        "summary": dataset.summary,
        "modalities": dataset.modalities,
        "custodian": dataset.custodian,
        "description": dataset.description,
        "requires_affiliated_email": dataset.requires_affiliated_email,
        "variants": [_variant_out(v) for v in selectors.variants_with_totals(dataset)],
        "license": None
        if lv is None
        else {
            "version": lv.version,
            "title": lv.title,
            "effective_date": lv.effective_date,
            "clauses": list(lv.clauses.all()),
        },
        "citations": [_citation_out(c) for c in selectors.dataset_citations(dataset)],
        "publication_rules": [
            {
                "variant": r.variant.slug if r.variant else None,
                "mode": r.mode,
                "listed_subjects": [s.code for s in r.subjects.all()],
                "publishable_subjects": [s.code for s in selectors.publishable_subjects(r)],
                "notice": r.notice,
            }
            for r in selectors.publication_rules(dataset)
        ],
    }


@router.get(
    "/datasets/{slug}/citations",
    response=list[CitationOut],
    auth=None,
    summary="Required citations (optionally for some variants only)",
)
def get_citations(request, slug: str, variant: str | None = None):
    dataset = selectors.published_dataset_or_404(slug)
    if variant:
        variants = list(dataset.variants.filter(slug__in=variant.split(",")))
        citations = selectors.citations_for_variants(dataset, variants)
    else:
        citations = selectors.dataset_citations(dataset)
    return [_citation_out(c) for c in citations]


@router.get(
    "/variants/{slug}/files",
    response=list[FileOut],
    auth=None,
    summary="File metadata of a variant (names, sizes, checksums; not the data)",
)
@paginate(BoundedPageNumberPagination, page_size=500)
def list_variant_files(request, slug: str):
    variant = get_object_or_404(Variant, slug=slug, dataset__is_published=True)
    return selectors.listed_files(variant)
