"""The signer's page for a change of terms: the new version clause by clause against the one
the licence is on, and the two answers, accept (click-through) or opt out. The licence is
fetched through the signer's selector (404 for anyone else)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from accord.agreements import licence_agreement
from accord.agreements.signed_pdf import read_upload
from accord.catalog.models import LicenseVersion
from accord.core.decorators import signed_in
from accord.core.errors import DomainError
from accord.core.pages import refusal

from . import selectors, services_terms


@dataclass(frozen=True)
class ClauseChange:
    code: str
    kind: str  # "added", "removed", "changed", "same"
    old: object | None
    new: object | None


def clause_diff(old: LicenseVersion | None, new: LicenseVersion) -> list[ClauseChange]:
    """The clauses of ``new`` against ``old``, matched by code, in the new order; clauses
    ``new`` drops come last."""
    before = {c.code: c for c in old.clauses.all()} if old is not None else {}
    rows = []
    for clause in new.clauses.all():
        prior = before.pop(clause.code, None)
        if prior is None:
            kind = "added"
        elif (prior.title, prior.text) != (clause.title, clause.text):
            kind = "changed"
        else:
            kind = "same"
        rows.append(ClauseChange(clause.code, kind, prior, clause))
    rows += [ClauseChange(code, "removed", c, None) for code, c in before.items()]
    return rows


@signed_in
def licence_terms(request, reference: str):
    licence = selectors.licence_for_signer(request.user, reference)
    if request.method == "GET" and request.GET.get("agreement") == "pdf":
        try:
            document = services_terms.terms_change_document(licence=licence, actor=request.user)
        except DomainError as exc:
            refusal(request, exc)
            return redirect("agreements:licence_terms", reference)
        return licence_agreement.agreement_download(document)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "upload":
                upload = request.FILES.get("agreement")
                if upload is None:
                    raise DomainError(gettext("Choose the scan of the signed agreement to upload."))
                services_terms.terms_change_accept_signed(
                    licence=licence, actor=request.user, data=read_upload(upload)
                )
                messages.success(
                    request,
                    gettext(
                        "The signed agreement is stored and you accepted the new terms; access "
                        "continues under them."
                    ),
                )
            elif action == "accept":
                if not request.POST.get("agree"):
                    raise DomainError(
                        gettext("Tick the box to accept the new terms, or opt out instead.")
                    )
                services_terms.terms_change_accept(licence=licence, actor=request.user)
                messages.success(
                    request,
                    gettext("You accepted the new terms; access continues under them."),
                )
            elif action == "opt_out":
                services_terms.terms_change_opt_out(licence=licence, actor=request.user)
                messages.success(
                    request,
                    gettext(
                        "You opted out: the licence is void and access has ended. Confirm "
                        "deleting the data on the page we emailed you."
                    ),
                )
            else:
                raise DomainError(gettext("Choose to accept the new terms or to opt out."))
        except DomainError as exc:
            refusal(request, exc)
        else:
            return redirect("agreements:licence_terms", reference)
    change = selectors.open_terms_change(licence)
    return render(
        request,
        "licences/licence_terms.html",
        {
            "licence": licence,
            "change": change,
            "diff": clause_diff(change.previous_version, change.license_version) if change else [],
            "history": licence.terms_changes.select_related("license_version").order_by(
                "-license_version__version"
            ),
        },
    )
