"""Custodian staff's pages for a dataset's terms: the versions, a draft edited clause by clause
(each clause a row: code, title, text, how it is enforced), its diff against the current
published version, and publishing it with the dataset's notice (a recent sign-in needed).
Publishing goes through accord.licences.services_terms, which tells every licence."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accord.catalog import selectors_staff as selectors
from accord.catalog.models import Clause, Dataset, LicenseVersion
from accord.catalog.services_staff import ClauseText, licence_version_draft
from accord.core.decorators import sensitive, staff
from accord.core.errors import DomainError
from accord.core.pages import refusal
from accord.core.permissions import Permission
from accord.licences.services_terms import earliest_effective_date, terms_publish
from accord.licences.views_terms import clause_diff

PUBLISH = Permission.CATALOG_LICENSE_PUBLISH
BLANK_ROWS = 2


def _current(dataset: Dataset) -> LicenseVersion | None:
    return (
        dataset.license_versions.filter(status=LicenseVersion.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )


def _draft(dataset: Dataset) -> LicenseVersion | None:
    return (
        dataset.license_versions.filter(status=LicenseVersion.Status.DRAFT)
        .order_by("-version")
        .first()
    )


def _rows(post) -> list[ClauseText]:
    """The clause rows of the form, blank rows dropped."""
    fields = ("code", "title", "text", "enforcement", "how_enforced")
    columns = [post.getlist(f"clause_{f}") for f in fields]
    rows = []
    for values in zip(*columns, strict=False):
        code, title, text, enforcement, how = (v.strip()[:5000] for v in values)
        if code or title or text:
            rows.append(ClauseText(code[:10], title[:150], text, enforcement, how))
    return rows


@staff(PUBLISH)
def terms(request, slug: str):
    dataset = selectors.editable_dataset_or_404(request.user, slug, PUBLISH)
    current, draft = _current(dataset), _draft(dataset)
    if request.method == "POST":
        try:
            effective = dt.date.fromisoformat(request.POST.get("effective_date", ""))
        except ValueError:
            messages.error(request, gettext("Give the effective date as YYYY-MM-DD."))
        else:
            try:
                draft = licence_version_draft(
                    dataset=dataset,
                    actor=request.user,
                    title=request.POST.get("title", "").strip()[:200],
                    effective_date=effective,
                    change_summary=request.POST.get("change_summary", "").strip()[:5000],
                    clauses=_rows(request.POST),
                    version=draft,
                )
            except DomainError as exc:
                refusal(request, exc)
            else:
                messages.success(request, gettext("The draft is saved."))
                return redirect("catalog:staff_terms", dataset.slug)
    source = draft or current
    clauses = list(source.clauses.all()) if source else []
    return render(
        request,
        "catalog/staff_terms.html",
        {
            "dataset": dataset,
            "current": current,
            "draft": draft,
            "title": source.title if source else gettext("Licence agreement"),
            "effective_date": draft.effective_date if draft else earliest_effective_date(dataset),
            "earliest": earliest_effective_date(dataset),
            "change_summary": draft.change_summary if draft else "",
            "clauses": clauses,
            "blank_rows": range(BLANK_ROWS),
            "enforcements": Clause.Enforcement.choices,
            "diff": clause_diff(current, draft) if draft else [],
            "versions": dataset.license_versions.order_by("-version"),
        },
    )


@require_POST
@sensitive
@staff(PUBLISH)
def terms_publish_view(request, slug: str):
    dataset = selectors.editable_dataset_or_404(request.user, slug, PUBLISH)
    draft = _draft(dataset)
    if draft is None:
        raise Http404
    try:
        terms_publish(version=draft, actor=request.user)
    except DomainError as exc:
        refusal(request, exc)
    else:
        messages.success(
            request,
            gettext(
                "Version %(version)s is published; every licence holder has been told and "
                "each signer asked to accept or opt out before %(date)s."
            )
            % {"version": draft.version, "date": draft.effective_date.isoformat()},
        )
    return redirect("catalog:staff_terms", dataset.slug)
