"""Public, read-only catalogue endpoints."""

from __future__ import annotations

from datetime import date
from typing import Literal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from accord.access import policy
from accord.api.pagination import BoundedPageNumberPagination
from accord.api.problems import ProblemOut
from accord.catalog import citations, selectors
from accord.core.errors import NotFound

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

    @staticmethod
    def resolve_total_size(obj) -> int:
        return obj.total_size or 0


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

    @staticmethod
    def resolve_clauses(obj):
        return obj.clauses.all()


class CitationOut(Schema):
    key: str
    text: str
    bibtex: str
    doi: str
    variants: list[str]
    csl: dict

    @staticmethod
    def resolve_csl(obj) -> dict:
        return citations.csl_item(obj)

    @staticmethod
    def resolve_bibtex(obj) -> str:
        # Generated from the CSL-JSON like every other format, so they never disagree.
        return citations.as_bibtex([citations.csl_item(obj)])

    @staticmethod
    def resolve_variants(obj) -> list[str]:
        return [v.slug for v in obj.variants.all()]


class SubjectRuleOut(Schema):
    variant: str | None
    mode: str
    listed_subjects: list[str]
    publishable_subjects: list[str]
    notice: str

    @staticmethod
    def resolve_variant(obj) -> str | None:
        return obj.variant.slug if obj.variant else None

    @staticmethod
    def resolve_listed_subjects(obj) -> list[str]:
        return [s.code for s in obj.subjects.all()]

    @staticmethod
    def resolve_publishable_subjects(obj) -> list[str]:
        return [s.code for s in selectors.publishable_subjects(obj)]


class DatasetDetailOut(DatasetOut):
    description: str
    requires_affiliated_email: bool
    variants: list[VariantOut]
    license: LicenseOut | None
    citations: list[CitationOut]
    publication_rules: list[SubjectRuleOut]

    @staticmethod
    def resolve_variants(obj):
        return selectors.variants_with_totals(obj)

    @staticmethod
    def resolve_license(obj):
        return obj.current_license()

    @staticmethod
    def resolve_citations(obj):
        return selectors.dataset_citations(obj)

    @staticmethod
    def resolve_publication_rules(obj):
        return selectors.publication_rules(obj)


class ListedFileOut(Schema):
    """A file as the catalogue lists it; downloading goes through /downloads (by file id)."""

    path: str
    size: int
    sha256: str
    media_type: str
    # The subject whose data the file holds; null for a shared file (an annotation sheet) or
    # a variant that does not attribute its files.
    subject: str | None

    @staticmethod
    def resolve_subject(obj) -> str | None:
        return obj.subject_code


@router.get("/datasets", response=list[DatasetOut], auth=None, summary="List datasets")
@paginate(BoundedPageNumberPagination, page_size=50)
def list_datasets(request):
    return selectors.published_datasets()


@router.get(
    "/datasets/{slug}",
    response={200: DatasetDetailOut, frozenset({404}): ProblemOut},
    auth=None,
    summary="One dataset with variants, terms, citations and publication rules",
)
def get_dataset(request, slug: str):
    return selectors.published_dataset_or_404(slug)


_CITATION_FORMATS = {
    fmt: {"schema": {"type": "string"}}
    for fmt in ("application/x-bibtex", "application/x-research-info-systems", "text/plain")
}


@router.get(
    "/datasets/{slug}/citations",
    response={200: list[CitationOut], frozenset({404}): ProblemOut},
    auth=None,
    summary="How to cite: the required citations for some variants, in a chosen format",
    openapi_extra={
        "responses": {
            200: {
                "description": "Without `format`: the citations as JSON. With it: BibTeX, "
                "RIS, a CSL-JSON array or formatted text (with the naming rule first).",
                "content": {
                    **_CITATION_FORMATS,
                    "application/vnd.citationstyles.csl+json": {
                        "schema": {"type": "array", "items": {"type": "object"}}
                    },
                },
            }
        }
    },
)
def get_citations(
    request,
    slug: str,
    variants: str | None = Query(
        None, description="Comma-separated variant slugs; none: every variant."
    ),
    variant: str | None = Query(None, description="Deprecated: the same as `variants`."),
    format: Literal["bibtex", "ris", "csl-json", "text"] | None = None,
):
    """The exact set of citations a user of the chosen variants must include (a citation
    required for no variant in particular is required for all), with the dataset's naming
    rule. An unknown variant is a 404 naming it."""
    dataset = selectors.published_dataset_or_404(slug)
    wanted = [s for s in (variants or variant or "").split(",") if s.strip()]
    chosen = list(dataset.variants.filter(slug__in=[s.strip() for s in wanted]))
    unknown = sorted({s.strip() for s in wanted} - {v.slug for v in chosen})
    if unknown:
        raise NotFound(
            _("%(dataset)s has no variant %(slug)s.") % {"dataset": dataset, "slug": unknown[0]},
            code="unknown-variant",
            field="variants",
        )
    cited = citations.citation_set(dataset, chosen)
    if format is None:
        return cited.citations
    body = cited.render(format)
    if format == "text" and cited.naming_rule:
        body = f"{cited.naming_rule}\n\n{body}"
    response = HttpResponse(body, content_type=citations.MEDIA_TYPES[format])
    response["Content-Disposition"] = (
        f'inline; filename="{dataset.slug}-citations.{citations.EXTENSIONS[format]}"'
    )
    return response


@router.get(
    "/variants/{slug}/files",
    response={200: list[ListedFileOut], frozenset({404}): ProblemOut},
    auth=None,
    summary="File metadata of a variant (names, sizes, checksums; not the data)",
)
@paginate(BoundedPageNumberPagination, page_size=500)
def list_variant_files(request, slug: str):
    variant = get_object_or_404(policy.file_listable_variants(request.user), slug=slug)
    return policy.variant_file_list(variant)
