"""The signer's renewal page: their details and the current terms to re-confirm, and the
button that starts a new term."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.agreements import licence_agreement
from accord.agreements.signed_pdf import read_upload
from accord.catalog.selectors import clauses_read_in
from accord.core.decorators import signed_in
from accord.core.errors import DomainError
from accord.core.pages import refusal

from . import selectors
from .expiry import (
    licence_renew,
    licence_renew_signed,
    licence_renewal_document,
    renewal_deadline,
    renewal_state,
)


class RenewForm(forms.Form):
    details_confirmed = forms.BooleanField(
        required=False, label=gettext_lazy("My name, address and organisation above are correct.")
    )
    terms_accepted = forms.BooleanField(
        required=False, label=gettext_lazy("I accept the terms shown above for a new term.")
    )


@signed_in
def licence_renew_page(request, reference: str):
    licence = selectors.licence_for_signer(request.user, reference)
    if request.method == "GET" and request.GET.get("agreement") == "pdf":
        try:
            document = licence_renewal_document(licence=licence, actor=request.user)
        except DomainError as exc:
            refusal(request, exc)
            return redirect("agreements:licence_renew", reference)
        return licence_agreement.agreement_download(document)
    form = RenewForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            if licence.dataset.renewal_requires_signed_agreement:
                upload = request.FILES.get("agreement")
                if upload is None:
                    raise DomainError(_("Choose the scan of the signed agreement to upload."))
                licence = licence_renew_signed(
                    licence=licence,
                    actor=request.user,
                    details_confirmed=form.cleaned_data["details_confirmed"],
                    data=read_upload(upload),
                )
            else:
                licence = licence_renew(
                    licence=licence,
                    actor=request.user,
                    details_confirmed=form.cleaned_data["details_confirmed"],
                    terms_accepted=form.cleaned_data["terms_accepted"],
                )
        except DomainError as exc:
            refusal(request, exc)
        else:
            messages.success(
                request,
                _("Licence %(ref)s is renewed until %(date)s; downloads work again.")
                % {"ref": licence.reference, "date": f"{licence.expires_at:%Y-%m-%d}"},
            )
            return redirect("agreements:licence_detail", reference)
    terms = licence.dataset.current_license()
    return render(
        request,
        "licences/licence_renew.html",
        {
            "licence": licence,
            "form": form,
            "terms": terms,
            "clauses": clauses_read_in(terms.clauses.all()) if terms else [],
            "state": renewal_state(licence),
            "deadline": renewal_deadline(licence),
        },
    )
