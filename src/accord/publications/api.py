"""API endpoints of papers (mounted by accord.api.routers): the author's papers, checking a
paper (the verdict, kept as a draft) and registering it, and the custodian staff's register.
Thin: each endpoint fetches through a selector (404 for "not yours") and calls one service."""

from typing import Annotated

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from accord.access import policy
from accord.api.auth import require_recent_interactive_sign_in, token_or_session
from accord.api.pagination import BoundedPageNumberPagination, OutputRows
from accord.api.problems import ProblemOut
from accord.catalog.models import Dataset
from accord.core.errors import NotFound
from accord.core.validators import SingleLine

from . import selectors, services
from .extraction import read_upload
from .models import Publication

router = Router(tags=["publications"], auth=token_or_session)
staff_router = Router(tags=["publications (custodian staff)"], auth=token_or_session)
router.add_router("", staff_router)


def _op(name: str) -> str:
    return f"accord_publications_api_{name}"


class PaperOut(Schema):
    id: int
    dataset: str
    status: str
    title: str
    authors: str
    venue: str
    year: int
    doi: str
    variants: list[str]
    subjects: list[str]
    is_public: bool
    has_pdf: bool
    state: str
    check_state: str
    override_reason: str
    verdict: dict


class StaffFilters(Schema):
    dataset: str = ""
    state: str = ""
    year: int | None = None
    variant: str = ""


class OverrideIn(Schema):
    state: str
    reason: str


class PublicIn(Schema):
    is_public: bool


def _out(p: Publication) -> dict:
    return {
        "id": p.pk,
        "dataset": p.dataset.slug,
        "status": p.status,
        "title": p.title,
        "authors": p.authors,
        "venue": p.venue,
        "year": p.year,
        "doi": p.doi,
        "variants": [v.slug for v in p.variants.all()],
        "subjects": list(p.subject_codes),
        "is_public": p.is_public,
        "has_pdf": bool(p.pdf_storage_name),
        "state": p.state,
        "check_state": p.check_state,
        "override_reason": p.override_reason,
        "verdict": p.verdict,
    }


@router.get(
    "/publications",
    response=list[PaperOut],
    summary="Your papers (drafts and registered)",
    operation_id=_op("mine"),
)
@paginate(BoundedPageNumberPagination, page_size=50)
def mine(request):
    return OutputRows(selectors.publications_mine(request.user), _out)


@router.post(
    "/datasets/{slug}/publications",
    response={200: PaperOut, frozenset({403, 404, 422, 503}): ProblemOut},
    summary="Check a paper that used the dataset (and, with submit=true, register it)",
    description=(
        "The PDF goes through the malware scan and the sandboxed PDF checks; a refused file "
        "is a 422 problem saying why and nothing is stored. The answer holds the verdict "
        "(`verdict.checks`: citations, naming, images; `verdict.reasons`). Without `submit` "
        "the paper stays a draft: register it with `POST /publications/{id}/submit`. "
        "`variants` and `subjects` are comma-separated."
    ),
    operation_id=_op("check"),
)
def check(
    request,
    slug: str,
    title: Annotated[SingleLine, Form(..., min_length=1, max_length=500)],
    authors: Annotated[SingleLine, Form(..., min_length=1, max_length=2000)],
    venue: Annotated[SingleLine, Form(..., min_length=1, max_length=300)],
    year: Form[int],
    variants: Annotated[SingleLine, Form(..., min_length=1, max_length=500)],
    doi: Annotated[SingleLine, Form("", max_length=200)] = "",
    subjects: Annotated[SingleLine, Form("", max_length=500)] = "",
    is_public: Form[bool] = False,
    submit: Form[bool] = False,
    pdf: File[UploadedFile] = None,  # type: ignore[assignment]
):
    dataset = get_object_or_404(Dataset, slug=slug, is_published=True)
    if not policy.can_register_publication(request.user, dataset):
        raise NotFound(_("No such dataset among those you hold a licence for."))
    details = services.PaperDetails(
        title=title,
        authors=authors,
        venue=venue,
        year=year,
        doi=doi,
        variants=tuple(v.strip() for v in variants.split(",") if v.strip()),
        subjects=services.split_subjects(subjects),
        is_public=is_public,
    )
    publication = services.publication_check(
        dataset=dataset,
        actor=request.user,
        details=details,
        pdf=read_upload(pdf) if pdf else None,
    )
    if submit:
        publication = services.publication_submit(publication=publication, actor=request.user)
    return _out(selectors.publication_mine(request.user, publication.pk))


@router.get(
    "/publications/{pk}",
    response={200: PaperOut, frozenset({404}): ProblemOut},
    summary="One of your papers, with its verdict",
    operation_id=_op("get"),
)
def get(request, pk: int):
    return _out(selectors.publication_mine(request.user, pk))


@router.post(
    "/publications/{pk}/submit",
    response={200: PaperOut, frozenset({403, 404, 422}): ProblemOut},
    summary="Register a checked paper (compliant or not; a flagged one goes to the custodian "
    "with its reasons)",
    operation_id=_op("submit"),
)
def submit(request, pk: int):
    publication = selectors.publication_mine(request.user, pk)
    services.publication_submit(publication=publication, actor=request.user)
    return _out(selectors.publication_mine(request.user, pk))


@router.put(
    "/publications/{pk}/public",
    response={200: PaperOut, frozenset({404}): ProblemOut},
    summary="Choose whether the dataset's page lists the paper",
    operation_id=_op("set_public"),
)
def set_public(request, pk: int, body: PublicIn):
    publication = selectors.publication_mine(request.user, pk)
    services.publication_set_public(
        publication=publication, actor=request.user, is_public=body.is_public
    )
    return _out(selectors.publication_mine(request.user, pk))


@staff_router.get(
    "/review/publications",
    response={200: list[PaperOut], frozenset({404}): ProblemOut},
    summary="Papers that used your custodians' datasets (filter by dataset, state, year, variant)",
    operation_id=_op("staff_list"),
)
@paginate(BoundedPageNumberPagination, page_size=50)
def staff_list(request, filters: Query[StaffFilters]):
    dataset = None
    if filters.dataset:
        dataset = selectors.reviewable_dataset(request.user, filters.dataset[:100])
    papers = selectors.publications_for_staff(
        request.user,
        dataset=dataset,
        state=filters.state if filters.state in Publication.State.values else "",
        year=filters.year,
        variant=filters.variant[:50],
    )
    return OutputRows(papers, _out)


@staff_router.post(
    "/review/publications/{pk}/override",
    response={200: PaperOut, frozenset({403, 404, 422}): ProblemOut},
    summary="Set a paper's compliance state with a reason (audited; needs a recent sign-in)",
    operation_id=_op("staff_override"),
)
def staff_override(request, pk: int, body: OverrideIn):
    publication = selectors.publication_for_staff(request.user, pk)
    require_recent_interactive_sign_in(request)
    services.publication_override(
        publication=publication, actor=request.user, state=body.state, reason=body.reason
    )
    return _out(selectors.publication_for_staff(request.user, pk))
