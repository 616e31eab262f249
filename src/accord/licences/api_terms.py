"""API endpoint for custodian staff publishing a dataset's new terms (SMIC S6, CASMEMG C5): the
clauses and effective date in, the next version drafted and published with the dataset's
notice, every licence told. Like the other staff decisions it needs a browser session signed in
recently with two-factor: publishing changes a legal agreement for every licensee, so a standing
API token is refused (with the portal page to publish from). Drafting the next version and
comparing it clause by clause with the current one is not a decision: a token may do both
(``PUT``/``GET /datasets/{slug}/terms/draft``), and a person publishes the draft in the portal."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from accord.access import policy
from accord.api.auth import require_recent_interactive_sign_in, token_or_session
from accord.api.problems import ProblemOut
from accord.catalog.models import Clause, LicenseVersion
from accord.catalog.services_staff import ClauseText, licence_version_draft
from accord.core.errors import NotAllowed, NotFound
from accord.core.permissions import Permission
from accord.core.validators import MultiLine, SingleLine

from . import services_terms
from .views_terms import clause_diff

router = Router(tags=["licences (custodian staff)"], auth=token_or_session)


class ClauseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: SingleLine = Field(min_length=1, max_length=10, description="Clause code, e.g. S6.")
    title: SingleLine = Field(min_length=1, max_length=150)
    text: MultiLine = Field(min_length=1, max_length=5000)
    enforcement: Clause.Enforcement = Clause.Enforcement.ATTESTATION
    how_enforced: MultiLine = Field("", max_length=5000)


class TermsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: SingleLine = Field(min_length=1, max_length=200)
    effective_date: dt.date = Field(
        description="No earlier than today plus the dataset's notice days."
    )
    change_summary: MultiLine = Field("", max_length=5000)
    clauses: list[ClauseIn] = Field(min_length=1, max_length=200)


class TermsClauseOut(Schema):
    code: str
    title: str
    text: str


class TermsOut(Schema):
    dataset: str
    version: int
    title: str
    status: str
    effective_date: dt.date
    published_at: dt.datetime | None
    licences_notified: int
    clauses: list[TermsClauseOut]


class ClauseChangeOut(Schema):
    code: str
    change: str = Field(description="added, removed, changed or same")
    old_title: str | None
    old_text: str | None
    new_title: str | None
    new_text: str | None


class DraftOut(Schema):
    dataset: str
    version: int
    title: str
    status: str
    effective_date: dt.date
    earliest_effective_date: dt.date
    change_summary: str
    clauses: list[TermsClauseOut]
    current_version: int | None = Field(description="The published version the diff is against.")
    diff: list[ClauseChangeOut]
    publish_in_portal: str = Field(description="The portal page where a person publishes it.")


def _terms_page(dataset) -> str:
    return settings.SITE_URL + reverse("catalog:staff_terms", args=[dataset.slug])


def _dataset_for_terms(request, slug: str):
    return get_object_or_404(
        policy.datasets_editable_by(request.user, Permission.CATALOG_LICENSE_PUBLISH), slug=slug
    )


def _latest(dataset, status: str) -> LicenseVersion | None:
    return dataset.license_versions.filter(status=status).order_by("-version").first()


def _draft_out(dataset, draft: LicenseVersion) -> dict:
    current = _latest(dataset, LicenseVersion.Status.PUBLISHED)
    return {
        "dataset": dataset.slug,
        "version": draft.version,
        "title": draft.title,
        "status": draft.status,
        "effective_date": draft.effective_date,
        "earliest_effective_date": services_terms.earliest_effective_date(dataset),
        "change_summary": draft.change_summary,
        "clauses": [
            {"code": c.code, "title": c.title, "text": c.text} for c in draft.clauses.all()
        ],
        "current_version": current.version if current else None,
        "diff": [
            {
                "code": row.code,
                "change": row.kind,
                "old_title": getattr(row.old, "title", None),
                "old_text": getattr(row.old, "text", None),
                "new_title": getattr(row.new, "title", None),
                "new_text": getattr(row.new, "text", None),
            }
            for row in clause_diff(current, draft)
        ],
        "publish_in_portal": _terms_page(dataset),
    }


@router.put(
    "/datasets/{slug}/terms/draft",
    response={200: DraftOut, frozenset({400, 404, 409}): ProblemOut},
    summary="Draft the next terms of a dataset (staff with the terms permission; a token may)",
    description=(
        "Saves the clauses, title and effective date as the draft of the next version (changing "
        "the draft already started, if any) and answers with its clause-by-clause diff against "
        "the version in force. Nobody is told anything: a draft is not a decision. A person "
        "publishes it in the portal, at `publish_in_portal`."
    ),
    operation_id="accord_licences_api_draft_terms",
)
def draft_terms(request, slug: str, body: TermsIn):
    dataset = _dataset_for_terms(request, slug)
    draft = licence_version_draft(
        dataset=dataset,
        actor=request.user,
        title=body.title,
        effective_date=body.effective_date,
        change_summary=body.change_summary,
        clauses=[
            ClauseText(c.code, c.title, c.text, c.enforcement, c.how_enforced) for c in body.clauses
        ],
        version=_latest(dataset, LicenseVersion.Status.DRAFT),
    )
    return _draft_out(dataset, draft)


@router.get(
    "/datasets/{slug}/terms/draft",
    response={200: DraftOut, frozenset({404}): ProblemOut},
    summary="The draft of a dataset's next terms, with its diff against the terms in force",
    operation_id="accord_licences_api_get_terms_draft",
)
def get_terms_draft(request, slug: str):
    dataset = _dataset_for_terms(request, slug)
    draft = _latest(dataset, LicenseVersion.Status.DRAFT)
    if draft is None:
        raise NotFound(gettext("%(dataset)s has no draft of new terms.") % {"dataset": dataset})
    return _draft_out(dataset, draft)


@router.post(
    "/datasets/{slug}/terms",
    response={201: TermsOut, frozenset({400, 403, 404, 409}): ProblemOut},
    summary="Publish new terms for a dataset (staff with the terms permission, recent sign-in)",
    description=(
        "Drafts the next version of the dataset's terms from the clauses given and publishes "
        "it: every licence in force gets a notice and its signer is asked to accept or opt out "
        "before the effective date, which must give at least the dataset's notice days.\n\n"
        "Publishing changes a legal agreement for every licensee, so it needs a person who "
        "signed in to the portal recently with two-factor: call it from that browser session. "
        "**An API token is always refused** with a 403 problem "
        "(`type` …/problems/publish-in-portal) whose `detail` gives the dataset's terms page in "
        "the portal (`/datasets/{slug}/manage/terms/`), where the draft is published. A token "
        "may draft the next version and read its diff against the current one "
        "(`PUT`/`GET /datasets/{slug}/terms/draft`)."
    ),
    operation_id="accord_licences_api_publish_terms",
)
def publish_terms(request, slug: str, body: TermsIn):
    dataset = _dataset_for_terms(request, slug)
    if getattr(request, "api_token", None) is not None:
        raise NotAllowed(
            gettext(
                "New terms cannot be published with an API token: publishing changes the legal "
                "agreement of every licensee, so a person who signed in with two-factor "
                "publishes them in the portal, at %(url)s. A token may draft them and compare "
                "them with the terms in force: PUT and GET %(draft)s."
            )
            % {
                "url": _terms_page(dataset),
                "draft": f"/api/v1/datasets/{dataset.slug}/terms/draft",
            },
            code="publish-in-portal",
        )
    require_recent_interactive_sign_in(request)
    version = services_terms.terms_draft_and_publish(
        dataset=dataset,
        actor=request.user,
        title=body.title,
        effective_date=body.effective_date,
        change_summary=body.change_summary,
        clauses=[
            ClauseText(c.code, c.title, c.text, c.enforcement, c.how_enforced) for c in body.clauses
        ],
    )
    return 201, {
        "dataset": dataset.slug,
        "version": version.version,
        "title": version.title,
        "status": version.status,
        "effective_date": version.effective_date,
        "published_at": version.published_at,
        "licences_notified": version.terms_changes.count(),
        "clauses": [
            {"code": c.code, "title": c.title, "text": c.text} for c in version.clauses.all()
        ],
    }
