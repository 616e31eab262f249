"""The page on which a signer or member confirms deleting their copies of a dataset when a
licence ends. Each attestation is fetched through a selector that 404s for anyone else's."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from accord.core.decorators import signed_in
from accord.core.errors import DomainError
from accord.core.pages import refusal

from . import selectors, services_closeout


@signed_in
def deletion_attestation(request, pk: int):
    attestation = selectors.attestation_for(request.user, pk)
    if request.method == "POST":
        if not request.POST.get("confirm"):
            messages.error(
                request,
                gettext(
                    "Tick the box to confirm that every copy is deleted, or come back once it is."
                ),
            )
        else:
            try:
                services_closeout.deletion_attestation_confirm(
                    attestation=attestation,
                    actor=request.user,
                    statement=request.POST.get("statement", ""),
                )
            except DomainError as exc:
                refusal(request, exc)
            else:
                messages.success(
                    request,
                    gettext("Thank you: your confirmation is recorded and the custodian told."),
                )
                return redirect("agreements:deletion_attestation", pk)
    return render(
        request,
        "licences/deletion_attestation.html",
        {
            "attestation": attestation,
            "licence": attestation.licence,
            "files": attestation.files.all(),
            "statement": request.POST.get("statement", ""),
        },
    )
