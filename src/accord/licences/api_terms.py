"""API endpoint for custodian staff publishing a dataset's new terms (SMIC S6, CASMEMG C5): the
clauses and effective date in, the next version drafted and published with the dataset's
notice, every licence told. Like the other staff decisions it needs a browser session signed in
recently with two-factor: publishing changes a legal agreement for every licensee, so a standing
API token is refused (with the portal page to publish from); drafting and diffing happen in the
portal's terms page."""

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
from accord.catalog.models import Clause
from accord.catalog.services_staff import ClauseText
from accord.core.errors import NotAllowed
from accord.core.permissions import Permission

from . import services_terms

router = Router(tags=["licences (custodian staff)"], auth=token_or_session)


class ClauseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=10, description="Clause code, e.g. S6.")
    title: str = Field(min_length=1, max_length=150)
    text: str = Field(min_length=1, max_length=5000)
    enforcement: Clause.Enforcement = Clause.Enforcement.ATTESTATION
    how_enforced: str = Field("", max_length=5000)


class TermsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    effective_date: dt.date = Field(
        description="No earlier than today plus the dataset's notice days."
    )
    change_summary: str = Field("", max_length=5000)
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
        "the portal (`/datasets/{slug}/manage/terms/`), where staff draft the next version, "
        "see it clause by clause against the current one, and publish it."
    ),
    operation_id="accord_licences_api_publish_terms",
)
def publish_terms(request, slug: str, body: TermsIn):
    dataset = get_object_or_404(
        policy.datasets_editable_by(request.user, Permission.CATALOG_LICENSE_PUBLISH), slug=slug
    )
    if getattr(request, "api_token", None) is not None:
        raise NotAllowed(
            gettext(
                "New terms cannot be published with an API token: publishing changes the legal "
                "agreement of every licensee, so a person who signed in with two-factor "
                "publishes them in the portal, at %(url)s (draft, compare and publish there)."
            )
            % {"url": settings.SITE_URL + reverse("catalog:staff_terms", args=[dataset.slug])},
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
